"""Migration 0029 gives each master-data child one key (parent id, environment id) -> parent instead of a key
to its parent and one to `environments`, keeps every row (no cascade on SQLite's table rebuilds), leaves
the schema the models describe, and can be undone."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from server.auth import service as auth
from server.db import Database
from server.migrate import alembic_config, downgrade, upgrade
from server.models import metadata

BEFORE = "0028_import_codes"
TABLES = ("suppliers", "supplier_identifiers", "supplier_bank_accounts", "administrations",
          "administration_identifiers", "purchase_orders", "order_lines", "goods_receipts", "matching_rules",
          "audit_details")
# As the previous release stored them: one of each, all in one environment (:e).
ROWS = [
    ("INSERT INTO suppliers (id, environment_id, code, name, normalised_name, created_at, updated_at) "
     "VALUES (7, :e, 'S1', 'Jansen', 'jansen', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
    "INSERT INTO supplier_identifiers (environment_id, supplier_id, scheme, value) VALUES (:e, 7, '0106', '123')",
    ("INSERT INTO supplier_bank_accounts (environment_id, supplier_id, iban, preferred) "
     "VALUES (:e, 7, 'NL91ABNA0417164300', true)"),
    ("INSERT INTO administrations (id, environment_id, code, name, normalised_name, normalised_city, created_at, "
     "updated_at) VALUES (3, :e, 'A1', 'Eigen', 'eigen', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
    ("INSERT INTO administration_identifiers (environment_id, administration_id, scheme, value) "
     "VALUES (:e, 3, '0106', '999')"),
    ("INSERT INTO purchase_orders (id, environment_id, number, supplier_id, administration_id, status, created_at) "
     "VALUES (5, :e, 'PO1', 7, 3, 'released', CURRENT_TIMESTAMP)"),
    ("INSERT INTO order_lines (id, environment_id, order_id, line_number, description, quantity, unit_price, "
     "matching_handled) VALUES (11, :e, 5, '1', 'Koffie', 2, 10, false)"),
    ("INSERT INTO goods_receipts (environment_id, order_line_id, reference, quantity, received_on) "
     "VALUES (:e, 11, 'R1', 2, '2026-03-01')"),
    ("INSERT INTO matching_rules (environment_id, supplier_id, pattern, is_regex, ledger_account, "
     "review_via_workflow, created_at) VALUES (:e, 7, 'koffie', false, '4000', false, CURRENT_TIMESTAMP)"),
    ("INSERT INTO audit_details (environment_id, batch, position, target_type, target_id, detail) "
     "VALUES (:e, 'b1', 0, 'masterdata.supplier', 'S1', '{}')"),
]


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in TABLES}


def keys(engine: Engine, table: str) -> set[tuple[tuple[str, ...], str, tuple[str, ...], str | None]]:
    """(columns, parent table, parent columns, ON DELETE) of each foreign key of `table`."""
    return {(tuple(k["constrained_columns"]), k["referred_table"], tuple(k["referred_columns"]),
             k["options"].get("ondelete")) for k in inspect(engine).get_foreign_keys(table)}


def differences(engine: Engine) -> list[object]:
    """What the master-data tables lack or have beyond the models (alembic's autogenerate comparison)."""
    def ours(name: str | None, kind: str, *_: object) -> bool:
        return kind != "table" or name in TABLES

    options = {"include_name": ours, "include_object": lambda item, name, kind, *_: ours(name, kind)}
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts=options), metadata)


def test_master_data_keeps_its_rows_and_gets_one_key_per_parent_in_its_environment(private_url: str) -> None:
    db = Database(private_url)
    try:
        upgrade(db.engine)
        with db.unit_of_work() as session:
            env = auth.ensure_environment(session, "default").id
        downgrade(db.engine, BEFORE)  # a database of the previous release, with master data
        with db.engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement), {"e": env})
        stored = counts(db.engine)
        assert set(stored.values()) == {1}

        upgrade(db.engine)
        assert counts(db.engine) == stored
        assert differences(db.engine) == []
        assert keys(db.engine, "supplier_identifiers") == {
            (("supplier_id", "environment_id"), "suppliers", ("id", "environment_id"), "CASCADE")}
        assert keys(db.engine, "purchase_orders") == {
            (("supplier_id", "environment_id"), "suppliers", ("id", "environment_id"), None),
            (("administration_id", "environment_id"), "administrations", ("id", "environment_id"), None)}
        assert keys(db.engine, "order_lines") == {
            (("order_id", "environment_id"), "purchase_orders", ("id", "environment_id"), "CASCADE")}
        assert keys(db.engine, "matching_rules") == {
            (("environment_id",), "environments", ("id",), None),
            (("supplier_id", "environment_id"), "suppliers", ("id", "environment_id"), "CASCADE")}
        assert keys(db.engine, "audit_details") == set()

        downgrade(db.engine, BEFORE)
        assert counts(db.engine) == stored
        assert keys(db.engine, "order_lines") == {(("order_id",), "purchase_orders", ("id",), "CASCADE"),
                                                  (("environment_id",), "environments", ("id",), None)}
        assert keys(db.engine, "audit_details") == {(("environment_id",), "environments", ("id",), None)}
        assert differences(db.engine) != []  # the comparison sees the old keys
        assert "uq_suppliers_id_environment_id" not in {i["name"] for i in inspect(db.engine).get_indexes("suppliers")}
        upgrade(db.engine)
        assert differences(db.engine) == []
    finally:
        db.dispose()


def test_audit_details_stay_append_only_after_the_rebuild(private_url: str) -> None:
    db = Database(private_url)
    try:
        upgrade(db.engine)
        with db.unit_of_work() as session:
            env = auth.ensure_environment(session, "default").id
        with db.engine.begin() as connection:
            connection.execute(text(ROWS[-1]), {"e": env})
        for statement in ("UPDATE audit_details SET detail = '[]'", "DELETE FROM audit_details"):
            with db.engine.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
                connection.execute(text(statement))
    finally:
        db.dispose()


def test_on_sqlite_enforcing_foreign_keys_the_migration_refuses_instead_of_deleting_order_lines(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(db.engine)
        with db.unit_of_work() as session:
            env = auth.ensure_environment(session, "default").id
        downgrade(db.engine, BEFORE)
        with db.engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement), {"e": env})
        config = alembic_config(db.url)
        with db.engine.begin() as connection, pytest.raises(RuntimeError, match="deletes its children"):
            config.attributes["connection"] = connection  # Alembic on the app's connection: keys enforced
            command.upgrade(config, "heads")
        assert counts(db.engine)["order_lines"] == 1
    finally:
        db.dispose()
