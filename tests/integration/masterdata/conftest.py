"""A session on a migrated database (SQLite and PostgreSQL in turn) with two environments."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from server.auth import service as auth
from server.auth.actor import Actor
from server.db import Database
from server.host import Host
from server.operations import masterdata as operations
from server.operations.masterdata import ImportView

DATA = Path(__file__).resolve().parents[2] / "data" / "masterdata"


@dataclass
class Env:
    session: Session
    id: int
    other_id: int


@pytest.fixture
def env(database_url: str) -> Iterator[Env]:
    """A session (the test decides when to commit) and the ids of two environments."""
    db = Database(database_url)
    session = db.sessions()
    # Real environments, with their audit chains: the CLI import writes audit entries.
    main, other = auth.ensure_environment(session, "main"), auth.ensure_environment(session, "other")
    session.commit()
    try:
        yield Env(session=session, id=main.id, other_id=other.id)
    finally:
        session.rollback()
        session.close()
        db.dispose()


def read(name: str) -> bytes:
    """A test CSV file's bytes."""
    return (DATA / name).read_bytes()


ImportFile = Callable[..., ImportView]


@pytest.fixture
def import_file(env: Env, host: Host) -> ImportFile:
    """import_file(kind, data, environment_id=env.id) -> the import's summary, imported the one way every
    edge imports: queued by `import_master_data`, then run in this process (chunked, audited)."""

    def run(kind: str, data: bytes, *, environment_id: int | None = None) -> ImportView:
        actor = Actor.system(environment_id or env.id, "erp")
        env.session.rollback()  # the test's session must not hold SQLite's lock while the import writes
        with host.db.unit_of_work() as session:
            queued = operations.import_master_data(session, actor=actor, edge="cli", kind=kind, data=data)
        operations.run_master_data_import(host.db, import_id=queued.id)
        with host.db.reading() as session:
            view = operations.master_data_import(session, actor=actor, import_id=queued.id)
        env.session.expire_all()
        return view

    return run
