"""Suppliers named in Greek, Cyrillic or with Nordic letters are found by the name an invoice gives.

On main `normalise.fold` kept a-z and 0-9 only: every Greek or Cyrillic name got the key "" (so any
two of them "matched" nothing, or each other) and "Ørsted" became "rsted". Migration 0017 recomputes
the keys stored under the old fold.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import select, text

from server.auth import service as auth
from server.db import Database
from server.invoices.facts import InvoiceFacts, PartyFacts
from server.invoices.matching import match
from server.invoices.snapshot import snapshot_for
from server.masterdata import service
from server.masterdata.models import Supplier
from server.masterdata.normalise import fold, normalise_name
from server.migrate import alembic_config, upgrade
from tests.integration.masterdata.conftest import Env, ImportFile

SUPPLIERS = "code;name;city\nGR1;Ελληνικά Τρόφιμα Α.Ε.;Αθήνα\nRU1;ООО Ромашка;Москва\nDK1;Ørsted A/S;Fredericia\n" \
            "DE1;Müller & Söhne GmbH;Köln\nNL1;Jansen B.V.;Utrecht\n"


@pytest.mark.parametrize(("written", "key"), [
    ("Ørsted", "orsted"), ("ØRSTED A/S", "orsted"), ("Ελληνικά Τρόφιμα Α.Ε.", "ελληνικα τροφιμα"),
    ("ΕΛΛΗΝΙΚΆ ΤΡΌΦΙΜΑ", "ελληνικα τροφιμα"), ("ООО «Ромашка»", "ромашка"), ("Straße GmbH", "strasse"),
    ("Ærø Æbler ApS", "aero aebler"), ("O'Brien & Co", "obrien"), ("Café d'Élan", "cafe delan"),
])
def test_a_name_key_keeps_every_script_and_ignores_case_accents_and_punctuation(written: str, key: str) -> None:
    assert normalise_name(written) == key
    assert fold(written) != ""


def test_suppliers_named_in_greek_cyrillic_and_nordic_letters_match_invoices_by_name(
        env: Env, import_file: ImportFile) -> None:
    result = import_file("suppliers", SUPPLIERS.encode())
    assert (result.status, result.created) == ("done", 5)
    for written, code in [("ΕΛΛΗΝΙΚΑ ΤΡΟΦΙΜΑ ΑΕ", "GR1"), ("ромашка", "RU1"), ("ORSTED", "DK1"),
                          ("ørsted a/s", "DK1"), ("Mueller", None), ("Muller und Sohne", None),
                          ("Müller & Söhne", "DE1")]:
        facts = InvoiceFacts(number="F1", payable_amount=Decimal(10), supplier=PartyFacts(names=(written,)))
        masterdata = snapshot_for(env.session, environment_id=env.id, facts=facts)
        found = match(facts, masterdata, today=dt.date(2026, 3, 1))
        codes = {s.id: s.code for s in masterdata.suppliers}
        assert (codes.get(found.supplier_id) if found.supplier_id else None) == code, written
        assert found.supplier_match_name == (code is not None), written


def test_the_migration_recomputes_keys_stored_under_the_old_fold(private_url: str) -> None:
    db = Database(private_url)
    try:
        upgrade(db.engine)
        with db.unit_of_work() as session:
            env = auth.ensure_environment(session, "default")
        config = alembic_config(db.url)
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0014_ops_instances")
        with db.engine.begin() as connection:  # as the previous release stored them
            for code, name, old_key in [("DK1", "Ørsted A/S", "rsted"), ("GR1", "Ελληνικά Τρόφιμα Α.Ε.", ""),
                                        ("NL1", "Jansen B.V.", "jansen")]:
                connection.execute(text(
                    "INSERT INTO suppliers (environment_id, code, name, normalised_name, created_at, updated_at) "
                    "VALUES (:env, :code, :name, :key, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                    {"env": env.id, "code": code, "name": name, "key": old_key})
        upgrade(db.engine)
        with db.unit_of_work() as session:
            keys = dict(session.execute(select(Supplier.code, Supplier.normalised_name)).all())
        assert keys == {"DK1": "orsted", "GR1": "ελληνικα τροφιμα", "NL1": "jansen"}
    finally:
        db.dispose()
