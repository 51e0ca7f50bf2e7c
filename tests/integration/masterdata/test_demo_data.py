"""The demo master data in a real database: loading is repeatable, and the snapshot matches like the records."""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select

from server.demo_data import demo_invoice_paths, demo_snapshot, load_demo
from server.invoices.facts import EarlierInvoice, facts_from_invoice
from server.invoices.matching import match, supplier_key
from server.invoices.ubl import parse_invoice
from server.masterdata import models, service
from tests.integration.masterdata.conftest import Env

TODAY = dt.date(2026, 3, 10)
TABLES = (models.Supplier, models.SupplierIdentifier, models.SupplierBankAccount, models.Administration,
          models.PurchaseOrder, models.OrderLine, models.GoodsReceipt, models.MatchingRule, models.TrustedSender)


def counts(env: Env) -> dict[str, int]:
    return {t.__tablename__: env.session.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


def test_loading_the_demo_twice_changes_nothing(env: Env) -> None:
    load_demo(env.session, environment_id=env.id)
    env.session.commit()
    first = counts(env)
    load_demo(env.session, environment_id=env.id)
    env.session.commit()
    assert counts(env) == first
    assert first["suppliers"] == 3 and first["goods_receipts"] == 4


def test_samples_match_the_same_against_the_database_as_against_plain_records(env: Env) -> None:
    load_demo(env.session, environment_id=env.id)
    env.session.commit()
    records = demo_snapshot()
    earlier_db: list[EarlierInvoice] = []
    earlier_plain: list[EarlierInvoice] = []
    for path in demo_invoice_paths():
        facts = facts_from_invoice(parse_invoice(path.read_bytes()))
        snapshot = service.snapshot_for(env.session, environment_id=env.id, facts=facts)
        from_db = match(facts, snapshot, today=TODAY, earlier_invoices=earlier_db)
        plain = match(facts, records, today=TODAY, earlier_invoices=earlier_plain)
        assert from_db.collection() == plain.collection(), path.name
        assert from_db.reasons == plain.reasons
        supplier = service.get_supplier(env.session, from_db.supplier_id or 0, environment_id=env.id)
        assert supplier.code == next(s.code for s in records.suppliers if s.id == plain.supplier_id)
        # The snapshot holds candidates only: never the supplier of an unrelated order or other invoices.
        assert len(snapshot.suppliers) == 1 and len(snapshot.orders) <= 1
        for earlier, result in ((earlier_db, from_db), (earlier_plain, plain)):
            earlier.append(EarlierInvoice(facts.number, facts.issue_date, facts.payable_amount, result.supplier_id,
                                          supplier_key(facts.supplier)))  # fmt: skip


def test_snapshot_finds_order_cited_in_another_case(env: Env) -> None:
    load_demo(env.session, environment_id=env.id)
    facts = facts_from_invoice(parse_invoice(demo_invoice_paths()[0].read_bytes()))
    snapshot = service.snapshot_for(
        env.session, environment_id=env.id, facts=dataclasses.replace(facts, order_reference=" 6001001 ")
    )
    assert [o.number for o in snapshot.orders] == ["6001001"]
    assert [len(line.receipts) for line in snapshot.orders[0].lines] == [1, 1]


def test_demo_data_stays_in_its_environment(env: Env) -> None:
    load_demo(env.session, environment_id=env.id)
    facts = facts_from_invoice(parse_invoice(demo_invoice_paths()[0].read_bytes()))
    snapshot = service.snapshot_for(env.session, environment_id=env.other_id, facts=facts)
    assert snapshot.suppliers == snapshot.administrations == snapshot.orders == snapshot.rules == ()
