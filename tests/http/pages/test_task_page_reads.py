"""One task page view does its work once: the invoice document is parsed once, the instance's tasks are read
once, its decisions are read once (the decision cards and "why this came to you" share them), and the same
holds for the API's task and the invoice page. Counted on every engine (the reads of a GET go to SQLite's
read-only engine, not the writer's)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from server.invoices.models import Invoice
from server.invoices.ubl import parse_invoice
from server.operations import invoice_review
from tests.e2e.site import Site
from tests.http.pages.test_approver_desk import invoice_task

INSTANCE_TASKS = re.compile(r"SELECT human_tasks\.id, .*\sFROM human_tasks\s+WHERE .*human_tasks\.instance_id = ", re.S)
DECISIONS = re.compile(r"\sFROM audit_events\s+WHERE .*audit_events\.action = ", re.S)


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[str], list[bytes]]]:
    """The SQL statements run and the documents parsed (the real parser, counted) while inside."""
    statements: list[str] = []
    parsed: list[bytes] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    def parse(content: bytes, **options):  # type: ignore[no-untyped-def]
        parsed.append(content)
        return parse_invoice(content, **options)

    monkeypatch.setattr(invoice_review, "parse_invoice", parse)
    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements, parsed
    finally:
        event.remove(Engine, "before_cursor_execute", count)


@pytest.mark.parametrize("path", ["/tasks/{task}", "/api/v1/tasks/{task}", "/invoices/{invoice}"])
def test_a_view_parses_the_invoice_once_and_reads_tasks_and_decisions_once(
        site: Site, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    task_id, number = invoice_task(site)
    with site.host.db.unit_of_work() as session:
        invoice_id = session.scalars(select(Invoice.id).where(Invoice.number == number)).one()
    client = site.client("carla")
    url = path.format(task=task_id, invoice=invoice_id)
    with counting(monkeypatch) as (statements, parsed):
        response = client.get(url)
    assert response.status_code == 200
    assert 'data-testid="decision"' in response.text or not url.startswith("/tasks")  # the cards are there
    why = response.get_json()["review"]["why"] if url.startswith("/api") else "Why this came to you" in response.text
    assert why  # why it came to them: read from the same decisions
    assert len(parsed) == 1
    assert len([s for s in statements if INSTANCE_TASKS.search(s)]) == 1, statements
    assert len([s for s in statements if DECISIONS.search(s)]) == 1, statements
