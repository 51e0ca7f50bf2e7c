"""The PostgreSQL pool: connections killed while idle are replaced unseen; busy ones are not pinged."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, event, text

from server import db as database
from server.db import Database
from tests.support.databases import PG_ADMIN_URL


def backend_pid(db: Database) -> int:
    with db.unit_of_work() as session:
        return int(session.scalar(text("SELECT pg_backend_pid()")))


def terminate(pid: int) -> None:
    """What a database restart or an idle-connection reaper does to a pooled connection."""
    admin = create_engine(PG_ADMIN_URL)
    try:
        with admin.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}) is True
    finally:
        admin.dispose()


@pytest.fixture
def db(postgres_url: str):
    db = Database(postgres_url, pool_size=2)
    yield db
    db.dispose()


def pings(db: Database) -> list[str]:
    seen: list[str] = []
    original = db.engine.dialect.do_ping

    def counting(dbapi_connection):
        seen.append("ping")
        return original(dbapi_connection)

    db.engine.dialect.do_ping = counting  # type: ignore[method-assign]
    return seen


def test_a_connection_killed_while_idle_is_replaced_and_the_next_transaction_succeeds(db, monkeypatch):
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.05)
    first = backend_pid(db)
    terminate(first)
    time.sleep(0.1)
    with db.unit_of_work() as session:  # no OperationalError: the ping found the dead connection
        assert session.scalar(text("SELECT 1")) == 1
        assert session.scalar(text("SELECT pg_backend_pid()")) != first
    with db.reading() as session:
        assert session.scalar(text("SELECT 1")) == 1


def test_a_connection_back_in_the_pool_a_moment_ago_is_used_without_a_ping(db):
    seen = pings(db)
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    for _ in range(5):
        backend_pid(db)
    assert seen == [] and len(statements) == 5
