"""While a long write holds SQLite's writer lock (an import, a big deploy), people can still read: GET
requests run in read-only transactions and neither take nor wait for that lock."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from server.app import create_app
from server.db import reads_only
from tests.conftest import make_settings
from tests.support.admin_scenario import Purchase, open_purchase

READS = ("/api/v1/tasks", "/api/v1/process-instances", "/api/v1/audit?limit=5", "/api/v1/audit/verify")


@pytest.fixture
def purchase(sqlite_url: str, tmp_path: Path) -> Iterator[Purchase]:
    yield from open_purchase(make_settings(tmp_path, sqlite_url))


def _answered_within(seconds: float, call) -> list:
    answers: list = []
    reader = threading.Thread(target=lambda: answers.append(call()), daemon=True)
    reader.start()
    reader.join(seconds)
    return answers


def test_gets_answer_while_another_transaction_holds_the_writer_lock(purchase: Purchase) -> None:
    purchase.start("INV-READ")
    client = create_app(host=purchase.host).test_client()
    headers = {"Authorization": f"Bearer {purchase.tokens['audrey']}"}
    holding, release = threading.Event(), threading.Event()

    def write_slowly() -> None:
        with purchase.host.db.unit_of_work() as session:
            session.execute(text("UPDATE environments SET name = name"))  # BEGIN IMMEDIATE: the lock is ours
            holding.set()
            release.wait(60)

    writer = threading.Thread(target=write_slowly, daemon=True)
    writer.start()
    assert holding.wait(10)
    try:
        for url in READS:
            answers = _answered_within(5, lambda url=url: client.get(url, headers=headers))
            assert answers, f"GET {url} waited for the writer"
            assert answers[0].status_code == 200, (url, answers[0].get_json())
    finally:
        release.set()
        writer.join(30)


def test_a_get_that_tried_to_write_would_fail_instead_of_taking_the_lock(purchase: Purchase) -> None:
    with reads_only(), purchase.host.db.unit_of_work() as session, pytest.raises(Exception, match="readonly"):
        session.execute(text("UPDATE environments SET name = name"))
