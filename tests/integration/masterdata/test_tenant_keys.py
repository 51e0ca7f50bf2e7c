"""The database itself keeps master data in its environment: a child row that names another environment's
parent is refused, whatever code writes it (bulk COPY, executemany, the ORM)."""
from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy.exc import IntegrityError

from server.db import insert_many
from server.masterdata.models import (
    GoodsReceipt,
    OrderLine,
    PurchaseOrder,
    Supplier,
    SupplierBankAccount,
    SupplierIdentifier,
)
from tests.integration.masterdata.conftest import Env


def test_a_child_naming_another_environments_parent_is_refused_by_the_database(env: Env) -> None:
    session = env.session
    supplier = Supplier(environment_id=env.id, code="S1", name="Jansen", normalised_name="jansen")
    session.add(supplier)
    session.flush()
    order = PurchaseOrder(environment_id=env.id, number="PO1", supplier_id=supplier.id)
    session.add(order)
    session.flush()
    line = OrderLine(environment_id=env.id, order_id=order.id, line_number="1", quantity=Decimal(1),
                     unit_price=Decimal(1))
    session.add(line)
    session.flush()
    strangers = [
        SupplierIdentifier(environment_id=env.other_id, supplier_id=supplier.id, scheme="0106", value="1"),
        SupplierBankAccount(environment_id=env.other_id, supplier_id=supplier.id, iban="NL91ABNA0417164300"),
        PurchaseOrder(environment_id=env.other_id, number="PO1", supplier_id=supplier.id),
        OrderLine(environment_id=env.other_id, order_id=order.id, line_number="2", quantity=Decimal(1),
                  unit_price=Decimal(1)),
        GoodsReceipt(environment_id=env.other_id, order_line_id=line.id, reference="R1", quantity=Decimal(1),
                     received_on=dt.date(2026, 3, 1)),
    ]
    for stranger in strangers:
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(stranger)
            session.flush()
    # The bulk writers' path: COPY on PostgreSQL, sqlite3's executemany on SQLite (driver errors, unwrapped).
    account = {"environment_id": env.other_id, "supplier_id": supplier.id, "iban": "NL91ABNA0417164300",
               "bic": None, "preferred": False}
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)), session.begin_nested():
        insert_many(session, SupplierBankAccount.__table__, [account])
    # In its parent's environment the same row is accepted: the refusal was the environment.
    session.add(SupplierIdentifier(environment_id=env.id, supplier_id=supplier.id, scheme="0106", value="1"))
    session.flush()
