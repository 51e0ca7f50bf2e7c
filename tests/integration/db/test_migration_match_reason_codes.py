"""Migration 0026 gives invoices matched before it their matching reasons as codes with values, read once from
the English sentences (which stay), keeps a sentence it cannot read as text only, and can be undone."""
from __future__ import annotations

import json

from alembic import command
from sqlalchemy import select, text

from server.auth import service as auth
from server.db import Database
from server.invoices.models import Invoice, ReceivedDocument
from server.masterdata.reasons import CODES, ENGLISH
from server.migrate import alembic_config, upgrade

BEFORE = "0025_masterdata_speed"
OLD_REASONS = [
    "supplier S01 found by id, bank_account, name",
    "administration A1 found by city",
    "supplier is ambiguous: S01 and S02 match equally",
    "order 4500012 is not on file",
    "line 3 refers to order line 9, not on order PO-1",
    "order line 2: invoiced quantity 12 exceeds ordered 10",
    "order line 2: invoiced 1234.50 differs from 1200.00 at the order price",
    "line 4 (Koffie, 2 kg) matches no order line and no rule",
    "the invoice's IBAN is not the preferred account of supplier S01",
    "a sentence some earlier release wrote differently",
]


def migrate(db: Database, direction: str, revision: str) -> None:
    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def test_stored_reasons_get_their_codes_and_keep_their_sentences(private_url: str) -> None:
    db = Database(private_url)
    try:
        upgrade(db.engine)
        with db.unit_of_work() as session:
            env = auth.ensure_environment(session, "default")
            document = ReceivedDocument(environment_id=env.id, sha256="0" * 64, size=1, content=b"x")
            session.add(document)
            session.flush()
            env_id, document_id = env.id, document.id
        migrate(db, "downgrade", BEFORE)  # a database of the previous release, with its matched invoices
        collections = [{"possible_duplicate": False, "reasons": OLD_REASONS}, {"reasons": []}, {}]
        with db.engine.begin() as connection:
            for number, collection in enumerate(collections):
                connection.execute(text("INSERT INTO invoices (environment_id, document_id, document_type, number, "
                                        "supplier_key, supplier_name, currency, data, collection, status, created_at) "
                                        "VALUES (:e, :d, 'Invoice', :n, '', '', 'EUR', '{}', :c, 'received', "
                                        "CURRENT_TIMESTAMP)"),
                                   {"e": env_id, "d": document_id, "n": f"F{number}", "c": json.dumps(collection)})
        upgrade(db.engine)
        with db.unit_of_work() as session:
            stored = session.scalars(select(Invoice.collection).order_by(Invoice.id)).all()
        first = stored[0]
        assert first["reasons"] == OLD_REASONS and first["possible_duplicate"] is False
        assert [r["text"] for r in first["coded_reasons"]] == OLD_REASONS
        assert [r["code"] for r in first["coded_reasons"]] == [
            "supplier_found", "administration_found", "supplier_ambiguous", "order_not_on_file",
            "order_line_not_on_order", "quantity_exceeds_order", "amount_differs_from_order", "line_unmatched",
            "iban_not_preferred", None]
        assert first["coded_reasons"][0]["values"] == {"code": "S01", "how": ["id", "bank_account", "name"]}
        assert first["coded_reasons"][7]["values"] == {"line": "4", "item": "Koffie, 2 kg"}
        assert first["coded_reasons"][-1]["values"] == {}
        assert all(r["code"] in CODES for r in first["coded_reasons"][:-1])
        # Read once from the sentence, the code and values say the same sentence again.
        for reason in first["coded_reasons"][:-1]:
            values = {k: ", ".join(v) if isinstance(v, list) else v for k, v in reason["values"].items()}
            assert ENGLISH[reason["code"]].format(**values) == reason["text"]
        assert stored[1] == {"reasons": [], "coded_reasons": []} and stored[2] == {}
        migrate(db, "downgrade", BEFORE)
        with db.engine.connect() as connection:
            rows = [json.loads(c) if isinstance(c, str) else c
                    for c in connection.execute(text("SELECT collection FROM invoices ORDER BY id")).scalars()]
        assert rows == collections
    finally:
        db.dispose()


def test_the_migration_reads_every_sentence_the_matcher_wrote() -> None:
    """The frozen patterns cover every reason code, and give back the values its sentence was written from."""
    import importlib

    from server.masterdata.reasons import reason
    migration = importlib.import_module("server.migrations.versions.0026_match_reason_codes")
    samples = {"a": "S01", "b": "S02", "code": "S 01", "how": ["id", "name"], "order": "PO 7", "line": "3",
               "wanted": "9", "quantity": "12.5", "ordered": "10", "amount": "-4.10", "expected": "0.00",
               "rule": "5", "item": "Koffie (2 kg), bonen"}
    for code in CODES:
        names = [n for n in samples if "{" + n + "}" in ENGLISH[code]]
        written = reason(code, **{n: samples[n] for n in names}).to_json()  # type: ignore[arg-type]
        assert migration.coded(written["text"]) == written, code
