"""A writer that hangs inside its transaction, for the SQLite writer-queue stories."""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from sqlalchemy import text

from server.db import Database


@contextlib.contextmanager
def writer_hung_inside(db: Database, statement: str) -> Iterator[None]:
    """Another thread runs `statement` and keeps its transaction (and the writer's turn) open until
    the block ends; then it commits."""
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.unit_of_work() as session:
            session.execute(text(statement))
            inside.set()
            release.wait(timeout=30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert inside.wait(timeout=10), "the writer did not get in"
        yield
    finally:
        release.set()
        thread.join(timeout=10)
