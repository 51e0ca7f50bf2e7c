"""A session on a migrated database (SQLite and PostgreSQL in turn) with two environments."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from server.auth import service as auth
from server.db import Database

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
