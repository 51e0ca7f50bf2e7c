"""Purchase orders and goods receipts written set-based store and audit exactly what the row-by-row save
verbs did: the same files imported through both paths into two fresh databases leave the same rows, the
same counts and the same audit details, refusals included. SQLite and PostgreSQL in turn."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server.audit.models import AuditDetail, AuditEvent
from server.auth import service as auth
from server.auth.actor import Actor
from server.host import Host, open_host
from server.masterdata import bulk
from server.masterdata.models import GoodsReceipt, PurchaseOrder
from server.operations import masterdata as operations
from tests.conftest import make_settings
from tests.support import databases

SUPPLIERS = "code;name\n" + "".join(f"S{n};Leverancier {n}\n" for n in range(10))
ADMINISTRATIONS = "code;name\nA1;Eigen 1\nA2;Eigen 2\n"
ORDERS = "number;supplier_code;administration_code;status\n" + "".join(
    f"PO{n};S{n % 10};{('', 'A1', 'A2')[n % 3]};{('released', 'Blocked')[n % 5 == 0]}\n" for n in range(250))
LINES = "order_number;line_number;quantity;unit_price\n" + "".join(f"PO{n};1;10;2,50\n" for n in range(250))
RECEIPTS = "order_number;line_number;reference;quantity;received_on\n" + "".join(
    f"PO{n};1;GR-{n};{n % 9 + 1};2026-02-{n % 28 + 1:02d}\n" for n in range(250))
Importer = Callable[[str, str], tuple[Any, ...]]


def changed(body: str, *edits: tuple[str, str]) -> str:
    for old, new in edits:
        assert old in body
        body = body.replace(old, new)
    return body


@pytest.fixture
def fresh(request: pytest.FixtureRequest, database_url: str, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Host]]:
    """fresh(name) -> a host on a fresh, migrated database with its environment (on PostgreSQL the test's
    database emptied again, ids from 1); fixed chunks of 100, so both paths cut the same audit batches."""
    for name in ("FIRST_CHUNK", "MIN_CHUNK", "MAX_CHUNK", "MIN_CHUNK_POSTGRES"):
        monkeypatch.setattr(bulk, name, 100)
    hosts: list[Host] = []

    def make(name: str) -> Host:
        for host in hosts:
            host.db.dispose()
        folder = tmp_path / name
        folder.mkdir()
        if database_url.startswith("sqlite"):
            url = databases.fresh_sqlite(request.getfixturevalue("sqlite_template"), folder)
        else:
            databases.truncate_all(database_url)
            url = database_url
        host = open_host(make_settings(folder, url))
        hosts.append(host)
        with host.db.unit_of_work() as session:
            auth.ensure_environment(session, "main")
        return host

    yield make
    for host in hosts:
        host.db.dispose()


def importer(host: Host) -> Importer:
    """import(kind, csv) -> (status, created, updated, unchanged, refused rows, error) of a CLI import."""
    with host.db.unit_of_work() as session:
        actor = Actor.system(auth.get_environment(session, "main").id, "erp")

    def run(kind: str, body: str) -> tuple[Any, ...]:
        with host.db.unit_of_work() as session:
            queued = operations.import_master_data(session, actor=actor, edge="cli", kind=kind, data=body.encode())
        operations.run_master_data_import(host.db, import_id=queued.id)
        with host.db.reading() as session:
            view = operations.master_data_import(session, actor=actor, import_id=queued.id)
        return view.status, view.created, view.updated, view.unchanged, view.refused_rows, view.error
    return run


def stored(host: Host, model: type[Any]) -> dict[str, Any]:
    """Every row of the kind's table (but its timestamp) and every audit detail and batch entry, as written."""
    skip = {"created_at", "batch"}
    with host.db.reading() as session:
        rows = [{k: v for k, v in vars(r).items() if not k.startswith("_") and k not in skip}
                for r in session.scalars(select(model).order_by(model.id))]
        audit = [(d.position, d.target_type, d.target_id, json.loads(d.detail))
                 for d in session.scalars(select(AuditDetail).order_by(AuditDetail.id))]
        entries = [(e.action, e.target_type, e.note, {k: v for k, v in (e.after or {}).items() if k not in skip})
                   for e in session.scalars(select(AuditEvent).where(AuditEvent.action.like("masterdata.%"))
                                            .order_by(AuditEvent.seq))]
    return {"rows": rows, "audit": audit, "entries": entries}


def both_paths(fresh: Callable[[str], Host], monkeypatch: pytest.MonkeyPatch, kind: str, model: type[Any],
               story: Callable[[Importer], list[tuple[Any, ...]]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The story run row by row in one fresh database and set-based in another: (row by row, set-based)."""
    found = []
    for path in ("row-by-row", "set-based"):
        host = fresh(path)
        with monkeypatch.context() as patched:
            if path == "row-by-row":
                patched.delitem(bulk.WRITERS, kind)
            outcomes = story(importer(host))
        found.append({"outcomes": outcomes, **stored(host, model)})
    return found[0], found[1]


def test_purchase_orders_set_based_store_and_audit_what_row_by_row_did(fresh, monkeypatch: pytest.MonkeyPatch):
    def story(run: Importer) -> list[tuple[Any, ...]]:
        run("suppliers", SUPPLIERS)
        run("administrations", ADMINISTRATIONS)
        day2 = changed(ORDERS, ("\nPO7;S7;A1;released", "\nPO7;S1;A1;released"),
                       ("\nPO8;S8;A2;released", "\nPO8;S8;;released"), ("\nPO10;S0;A1;Blocked", "\nPO10;S0;A2;Blocked"),
                       ("\nPO11;S1;A2;released", "\nPO11;S1;A2;blocked"))
        return [run("purchase_orders", ORDERS), run("purchase_orders", ORDERS),
                run("purchase_orders", day2 + "PO999;S3;A1;released\n"),
                run("purchase_orders", "number;supplier_code;administration_code\nPO1;S1;A9\n"),
                run("purchase_orders", "number;supplier_code\nPO1;S1\nPO2;S9\nPO3;S77\n")]

    row_by_row, set_based = both_paths(fresh, monkeypatch, "purchase_orders", PurchaseOrder, story)
    assert set_based == row_by_row
    outcomes = set_based["outcomes"]
    assert [o[:4] for o in outcomes[:3]] == [("done", 250, 0, 0), ("done", 0, 0, 250), ("done", 1, 4, 246)]
    assert outcomes[3][0] == "failed" and outcomes[3][5] == (
        "stopped at line 2: could not be saved: administration A9 not found")
    assert outcomes[4][0] == "refused" and [r["line"] for r in outcomes[4][4]] == [4]
    orders = [entry for entry in set_based["audit"] if entry[1] == "masterdata.purchase_order"]
    assert len(orders) == 250 + 5  # nothing for the unchanged re-import
    po7 = [detail for _, _, key, detail in set_based["audit"] if key == "PO7"][-1]
    assert (po7["before"]["supplier"], po7["after"]["supplier"]) == ("S7", "S1")


def test_goods_receipts_set_based_store_and_audit_what_row_by_row_did(fresh, monkeypatch: pytest.MonkeyPatch):
    def story(run: Importer) -> list[tuple[Any, ...]]:
        run("suppliers", SUPPLIERS)
        run("administrations", ADMINISTRATIONS)
        assert run("purchase_orders", ORDERS)[0] == run("order_lines", LINES)[0] == "done"
        day2 = changed(RECEIPTS, ("\nPO4;1;GR-4;5;2026-02-05", "\nPO4;1;GR-4;5,5;2026-02-05"),
                       ("\nPO5;1;GR-5;6;2026-02-06", "\nPO5;1;GR-5;6,0000;2026-02-07"))
        return [run("goods_receipts", RECEIPTS), run("goods_receipts", RECEIPTS),
                run("goods_receipts", day2 + "PO4;1;GR-4b;1;2026-03-01\n"),
                run("goods_receipts", "order_number;line_number;reference;quantity;received_on\n"
                                      "PO1;1;GR-x;1;2026-03-01\nPO1;2;GR-y;1;2026-03-01\n")]

    row_by_row, set_based = both_paths(fresh, monkeypatch, "goods_receipts", GoodsReceipt, story)
    assert set_based == row_by_row
    outcomes = set_based["outcomes"]
    assert [o[:4] for o in outcomes[:3]] == [("done", 250, 0, 0), ("done", 0, 0, 250), ("done", 1, 2, 248)]
    assert outcomes[3][0] == "failed" and outcomes[3][5] == (
        "stopped at line 3: could not be saved: purchase order PO1 has no line 2")
    gr5 = [detail for _, _, key, detail in set_based["audit"] if key == "PO5/1/GR-5"][-1]
    assert (gr5["before"]["received_on"], gr5["after"]["received_on"]) == ("2026-02-06", "2026-02-07")
