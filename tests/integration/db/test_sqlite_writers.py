"""SQLite writers queue on a file lock: each gets its turn as soon as the previous one is done."""
from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from server.db import Database, _turns_held
from tests.support.writers import writer_hung_inside


@pytest.fixture
def db(sqlite_url: str):
    db = Database(sqlite_url)
    with db.unit_of_work() as session:
        session.execute(text("CREATE TABLE counter (n INTEGER)"))
        session.execute(text("INSERT INTO counter VALUES (0)"))
    yield db
    db.dispose()


def add_one(db: Database, *, hold: float = 0.0) -> None:
    with db.unit_of_work() as session:
        n = session.scalar(text("SELECT n FROM counter"))
        time.sleep(hold)  # a read-modify-write that would lose updates without the write lock
        session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})


def test_concurrent_writers_take_turns_and_lose_no_update(db: Database, sqlite_url: str):
    # Two engines stand for two web worker processes; two threads each for their request threads.
    other = Database(sqlite_url)
    try:
        threads = [threading.Thread(target=lambda d=d: [add_one(d, hold=0.002) for _ in range(25)])
                   for d in (db, db, other, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        with db.reading() as session:
            assert session.scalar(text("SELECT n FROM counter")) == 100
    finally:
        other.dispose()


def test_a_failed_transaction_lets_the_next_writer_in_at_once(db: Database):
    with pytest.raises(RuntimeError), db.unit_of_work() as session:
        session.execute(text("UPDATE counter SET n = 99"))
        raise RuntimeError("the request failed halfway")
    done = threading.Event()
    threading.Thread(target=lambda: (add_one(db), done.set()), daemon=True).start()
    assert done.wait(timeout=5), "the rolled-back writer still holds the turn"
    with db.reading() as session:
        assert session.scalar(text("SELECT n FROM counter")) == 1


def test_the_lock_file_lies_beside_the_database(db: Database, sqlite_url: str):
    add_one(db)
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    assert (database.parent / (database.name + "-writers.lock")).exists()


def test_a_transaction_opened_inside_another_in_the_same_thread_does_not_wait_for_itself(db: Database):
    # As before the queue: the inner writer meets SQLite's busy timeout (here 1 s) instead of hanging.
    with db.unit_of_work() as outer:
        outer.execute(text("UPDATE counter SET n = 5"))
        inner = db.engine.connect()
        inner.connection.driver_connection.execute("PRAGMA busy_timeout=1000")  # not a transaction
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            inner.begin()
        inner.close()
        assert time.monotonic() - started < 10
    add_one(db)  # the outer one's turn ended with it
    with db.reading() as session:
        assert session.scalar(text("SELECT n FROM counter")) == 6


def test_a_writer_that_gets_no_turn_in_time_fails_with_database_locked(db: Database, monkeypatch):
    # One writer hangs inside its transaction; the next one gives up after the wait, and the turn
    # passes on as soon as the hung one ends.
    monkeypatch.setattr("server.db.SQLITE_WAIT_SECONDS", 0.3)
    with writer_hung_inside(db, "UPDATE counter SET n = 10"):
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            add_one(db)
        assert 0.3 <= time.monotonic() - started < 5
    add_one(db)
    with db.reading() as session:
        assert session.scalar(text("SELECT n FROM counter")) == 11


def test_a_connection_invalidated_inside_its_transaction_gives_back_the_turn(db: Database):
    # The turn came through a wait (another writer held it), so it sits on the waiter's own file.
    still_held = []

    def invalidated_writer() -> None:
        with contextlib.suppress(Exception), db.unit_of_work() as session:
            session.execute(text("UPDATE counter SET n = 50"))
            session.connection().invalidate()  # as after a lost connection: closed while holding the turn
        still_held.extend(_turns_held())  # held turns make this thread's next transactions skip the queue

    with writer_hung_inside(db, "UPDATE counter SET n = 0"):
        waiting = threading.Thread(target=invalidated_writer)
        waiting.start()
        time.sleep(0.2)  # it queues behind the hung writer
    waiting.join(timeout=10)
    assert still_held == []
    done = threading.Event()
    threading.Thread(target=lambda: (add_one(db), done.set()), daemon=True).start()
    assert done.wait(timeout=5), "the invalidated connection still holds the writers' turn"
    with db.reading() as session:
        assert session.scalar(text("SELECT n FROM counter")) == 1
