"""A master-data import as an ERP administrator runs it daily: thousands of rows, written in short
transactions, re-imported the next day with a few changes (only those are written and audited), and a
file with bad rows refused as a whole with every line named. SQLite and PostgreSQL in turn."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server import collector, leases
from server.audit import details
from server.audit.models import AuditDetail, AuditEvent
from server.auth.actor import Actor
from server.masterdata import bulk
from server.masterdata.models import MasterDataImport, OrderLine, Supplier, SupplierBankAccount
from server.operations import masterdata as operations
from tests.integration.masterdata.conftest import Env

ROWS = 1200


def iban(n: int, bank: str = "ABNA") -> str:
    """A valid Dutch IBAN for account number n."""
    account = f"{n:010d}"
    digits = "".join(str(int(ch, 36)) for ch in f"{bank}{account}NL00")
    return f"NL{98 - int(digits) % 97:02d}{bank}{account}"


def suppliers(rows: int, name: str = "Leverancier", changed: frozenset[int] = frozenset()) -> bytes:
    lines = ["code;name;city;kvk"] + [f"S{n:05d};{'Other' if n in changed else name} {n} B.V.;Utrecht;{10000000 + n}"
                                      for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def importer(env: Env, host, monkeypatch: pytest.MonkeyPatch):
    """import(kind, data) -> (summary view, progress calls); small chunks so every import takes several."""
    monkeypatch.setattr(bulk, "FIRST_CHUNK", 100)
    monkeypatch.setattr(bulk, "MAX_CHUNK", 250)
    monkeypatch.setattr(bulk, "MIN_CHUNK_POSTGRES", 50)
    db = host.db  # with the audit chain installed, as the worker's
    actor = Actor.system(env.id, "erp")

    def run(kind: str, data: bytes) -> tuple[operations.ImportView, list[tuple[int, int]]]:
        calls: list[tuple[int, int]] = []
        with db.unit_of_work() as session:
            queued = operations.import_master_data(session, actor=actor, edge="cli", kind=kind, data=data)
        operations.run_master_data_import(db, import_id=queued.id, progress=lambda done, total: calls.append((done, total)))
        with db.reading() as session:
            return operations.master_data_import(session, actor=actor, import_id=queued.id), calls
    return run


@pytest.fixture
def db(env: Env, host) -> Iterator[Session]:
    """A reading session (it never holds SQLite's writer lock, so imports run beside it)."""
    with host.db.reading() as session:
        yield session


def audited(db: Session, action: str = "masterdata.changed") -> int:
    """Records changed (detail rows of the chunks' batch entries), or entries of another action."""
    db.rollback()
    if action == "masterdata.changed":
        return db.scalar(select(func.count()).select_from(AuditDetail))
    return db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def last_change(db: Session, env: Env, target_type: str, key: str) -> dict:
    db.rollback()
    return details.history(db, env.id, target_type, key)[-1]


def test_a_big_file_is_written_in_chunks_and_the_next_days_delta_writes_only_what_changed(
        db: Session, env: Env, importer, monkeypatch: pytest.MonkeyPatch):
    advance = bulk._advance
    thresholds: list[int] = []
    monkeypatch.setattr(bulk, "_advance", lambda *a, **k: thresholds.append(gc.get_threshold()[2]) or advance(*a, **k))
    first, progress = importer("suppliers", suppliers(ROWS))
    assert (first.status, first.created, first.updated, first.unchanged, first.refused) == ("done", ROWS, 0, 0, ())
    # No full collection while the chunks were written (server/collector.py); as before once it ended.
    assert thresholds and set(thresholds) == {collector.NEVER} and gc.get_threshold()[2] != collector.NEVER
    assert len(progress) >= 5 and progress[-1] == (ROWS, ROWS)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)  # only forward
    assert audited(db) == ROWS and audited(db, "masterdata.imported") == 1

    again, _ = importer("suppliers", suppliers(ROWS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, ROWS)
    assert audited(db) == ROWS  # nothing changed, nothing audited

    changed = frozenset({3, 499, 1100})
    delta, _ = importer("suppliers", suppliers(ROWS, changed=changed))
    assert (delta.created, delta.updated, delta.unchanged) == (0, 3, ROWS - 3)
    db.rollback()
    newest = db.scalars(select(AuditDetail.target_id).order_by(AuditDetail.id.desc()).limit(3)).all()
    assert sorted(newest) == ["S00003", "S00499", "S01100"]
    entry = last_change(db, env, "masterdata.supplier", "S00003")
    assert (entry["before"]["name"], entry["after"]["name"]) == ("Leverancier 3 B.V.", "Other 3 B.V.")
    assert (entry["actor"], entry["note"]) == ("erp", "import via cli")
    assert entry["after"]["identifiers"] == ["0106:10000003"]
    stored = db.scalars(select(Supplier).where(Supplier.code == "S00499")).one()  # (same snapshot)
    assert (stored.name, stored.normalised_name, [i.value for i in stored.identifiers]) == (
        "Other 499 B.V.", "other 499", ["10000499"])


def test_a_delta_changing_different_columns_of_different_suppliers_stores_each_change(db: Session, importer):
    importer("suppliers", suppliers(3))
    body = ("code;name;city;kvk\nS00000;Leverancier 0 B.V.;Amersfoort;10000000\n"
            "S00001;Renamed 1 B.V.;Utrecht;10000001\nS00002;Leverancier 2 B.V.;Utrecht;10000002\n")
    delta, _ = importer("suppliers", body.encode())
    assert (delta.updated, delta.unchanged) == (2, 1)
    db.rollback()
    stored = {s.code: (s.name, s.normalised_name, s.city) for s in db.scalars(select(Supplier))}
    assert stored == {"S00000": ("Leverancier 0 B.V.", "leverancier 0", "Amersfoort"),
                      "S00001": ("Renamed 1 B.V.", "renamed 1", "Utrecht"),
                      "S00002": ("Leverancier 2 B.V.", "leverancier 2", "Utrecht")}


def test_a_delta_changing_only_an_identifier_replaces_it_and_stamps_the_supplier(db: Session, importer):
    importer("suppliers", suppliers(2))
    db.rollback()
    stamped = db.scalars(select(Supplier.updated_at).where(Supplier.code == "S00001")).one()
    body = "code;name;city;kvk\nS00000;Leverancier 0 B.V.;Utrecht;10000000\nS00001;Leverancier 1 B.V.;Utrecht;20000001\n"
    delta, _ = importer("suppliers", body.encode())
    assert (delta.updated, delta.unchanged) == (1, 1)
    db.rollback()
    changed = db.scalars(select(Supplier).where(Supplier.code == "S00001")).one()
    assert [i.value for i in changed.identifiers] == ["20000001"] and changed.updated_at > stamped


def test_a_new_preferred_account_for_every_supplier_clears_the_old_one_and_names_both(db: Session, env: Env,
                                                                                        importer):
    importer("suppliers", suppliers(300))
    accounts = "supplier_code,iban,bic,preferred\n" + "".join(f"S{n:05d},{iban(n)},,ja\n" for n in range(300))
    first, _ = importer("bank_accounts", accounts.encode())
    assert (first.status, first.created) == ("done", 300)
    fraud = "supplier_code,iban,bic,preferred\n" + "".join(f"S{n:05d},{iban(n, 'RABO')},,ja\n" for n in range(300))
    second, _ = importer("bank_accounts", fraud.encode())
    assert (second.status, second.created, second.updated) == ("done", 300, 0)
    db.rollback()
    preferred = db.scalars(select(SupplierBankAccount.iban).where(SupplierBankAccount.preferred)).all()
    assert sorted(preferred) == sorted(iban(n, "RABO") for n in range(300))
    last = last_change(db, env, "masterdata.bank_accounts", "S00007")
    assert (last["before"]["preferred_iban"], last["after"]["preferred_iban"]) == (iban(7), iban(7, "RABO"))
    assert len(last["after"]["accounts"]) == 2


def test_order_lines_import_in_bulk_and_a_changed_price_is_an_update(db: Session, env: Env, importer):
    importer("suppliers", suppliers(10))
    orders = "number,supplier_code\n" + "".join(f"PO{n},S{n % 10:05d}\n" for n in range(50))
    assert importer("purchase_orders", orders.encode())[0].created == 50
    lines = "order_number,line_number,quantity,unit_price,description\n" + "".join(
        f"PO{n // 10},{n % 10 + 1},{n % 7 + 1},\"12,50\",Item {n}\n" for n in range(500))
    first, _ = importer("order_lines", lines.encode())
    assert (first.status, first.created) == ("done", 500)
    again, _ = importer("order_lines", lines.replace("Item 42\n", "Item 42 (new)\n").encode())
    assert (again.created, again.updated, again.unchanged) == (0, 1, 499)
    db.rollback()
    line = db.scalars(select(OrderLine).where(OrderLine.description == "Item 42 (new)")).one()
    assert (line.order.number, line.line_number, line.unit_price) == ("PO4", "3", Decimal("12.5"))
    entry = last_change(db, env, "masterdata.order_line", "PO4/3")
    assert entry["before"]["description"] == "Item 42" and entry["after"]["unit_price"] == "12.5"


def test_a_file_with_bad_rows_is_refused_whole_and_every_bad_line_is_named(db: Session, importer):
    importer("suppliers", suppliers(5))
    body = (f"supplier_code,iban,preferred\nS00001,{iban(1)},ja\nS99999,{iban(2)},ja\nS00002,NL00XXXX,nee\n"
            f"S00001,{iban(1)},nee\n")
    refused, _ = importer("bank_accounts", body.encode())
    assert refused.status == "refused" and (refused.created, refused.done) == (0, 0)
    assert [(r["line"], r["field"]) for r in refused.refused] == [(3, "supplier_code"), (4, "iban"), (5, "iban")]
    assert "S99999" in refused.refused[0]["message"]
    db.rollback()
    assert db.scalar(select(func.count()).select_from(SupplierBankAccount)) == 0


def test_json_rows_import_as_the_same_csv_would(db: Session, importer):
    body = b'{"rows": [{"code": "GR1", "name": "\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac"},' \
           b' {"code": "DK1", "name": "\xc3\x98rsted A/S"}]}'
    view, _ = importer("suppliers", body)
    assert (view.status, view.created) == ("done", 2)
    db.rollback()
    keys = dict(db.execute(select(Supplier.code, Supplier.normalised_name)).all())
    assert keys == {"GR1": "ελληνικα", "DK1": "orsted"}


def test_the_smaller_kinds_are_written_in_chunks_too(db: Session, importer):
    """10,000 purchase orders in one transaction held SQLite's writer lock for a minute (invoices got 503)."""
    importer("suppliers", suppliers(10))
    orders = "number,supplier_code\n" + "".join(f"PO{n},S{n % 10:05d}\n" for n in range(600))
    first, progress = importer("purchase_orders", orders.encode())
    assert (first.status, first.created) == ("done", 600) and len(progress) >= 3
    again, _ = importer("purchase_orders", orders.replace("PO7,S00007", "PO7,S00001").encode())
    assert (again.created, again.updated, again.unchanged) == (0, 1, 599)
    refused, _ = importer("purchase_orders", b"number,supplier_code\nPO1,S00001\nPO9999,S77777\n")
    assert refused.status == "refused" and [r["line"] for r in refused.refused] == [3]


class RunnerDied(Exception):
    """What the test throws into a runner to stand for its process being killed."""


def test_an_import_whose_runner_died_is_taken_over_after_its_last_chunk(db: Session, env: Env, host,
                                                                        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(bulk, "FIRST_CHUNK", 100)
    monkeypatch.setattr(bulk, "MAX_CHUNK", 250)
    monkeypatch.setattr(bulk, "MIN_CHUNK_POSTGRES", 50)
    actor = Actor.system(env.id, "erp")
    with host.db.unit_of_work() as session:
        queued = operations.import_master_data(session, actor=actor, edge="cli", kind="suppliers",
                                               data=suppliers(ROWS))

    def die_after_the_first_chunk(done: int, total: int) -> None:
        raise RunnerDied()

    with pytest.raises(RunnerDied):
        bulk.run(host.db, queued.id, progress=die_after_the_first_chunk)
    bulk.run(host.db, queued.id)  # a second runner: the first still looks alive
    with host.db.unit_of_work() as session:  # a minute passes without a heartbeat
        row = session.get_one(MasterDataImport, queued.id)
        assert (row.status, row.done) == ("running", 100) and row.heartbeat_at is not None
        row.heartbeat_at -= leases.STALE_AFTER
    resumed: list[int] = []
    bulk.run(host.db, queued.id, progress=lambda done, total: resumed.append(done))
    with host.db.reading() as session:
        view = operations.master_data_import(session, actor=actor, import_id=queued.id)
    assert (view.status, view.done, view.created, view.unchanged) == ("done", ROWS, ROWS, 0)
    assert resumed[0] > 100 and resumed[-1] == ROWS  # on from the last committed chunk
    assert audited(db) == ROWS and audited(db, "masterdata.imported") == 1


def test_a_supplier_deleted_mid_import_stops_it_at_that_line_with_the_coded_reason(env: Env, host, db: Session,
                                                                                   importer):
    importer("suppliers", suppliers(150))
    body = "supplier_code,iban\n" + "".join(f"S{n:05d},{iban(n)}\n" for n in range(150))
    actor = Actor.system(env.id, "erp")
    with host.db.unit_of_work() as session:
        queued = operations.import_master_data(session, actor=actor, edge="cli", kind="bank_accounts",
                                               data=body.encode())

    def delete_the_last_supplier(done: int, total: int) -> None:  # after the first chunk of 100
        if done == 100:
            with host.db.unit_of_work() as session:
                session.execute(delete(Supplier).where(Supplier.code == "S00149"))

    operations.run_master_data_import(host.db, import_id=queued.id, progress=delete_the_last_supplier)
    with host.db.reading() as session:
        view = operations.master_data_import(session, actor=actor, import_id=queued.id)
    assert (view.status, view.created, view.refused_count) == ("failed", 100, 1)  # the chunk before it kept
    assert view.refused_rows == ({"line": 151, "problems": [
        {"field": "supplier_code", "code": "unknown_supplier", "values": {"value": "S00149"},
         "message": "supplier S00149 not found"}]},)
    assert view.error == "stopped at line 151: supplier S00149 not found"
