"""The master-data verb functions on SQLite and PostgreSQL: keys, conflicts, environments, preferred accounts."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from server.errors import Conflict, InvalidInput, NotFound
from server.masterdata import service
from server.masterdata.models import SupplierBankAccount
from tests.integration.masterdata.conftest import Env

JANSEN = service.SupplierInput(
    code="S001", name="Jansen Kantoorartikelen B.V.", postal_code="3511 ab", city="Utrecht", country="nl",
    email=" Facturen@Jansen.example ", identifiers=(("KVK", "1234 5678"), ("VAT", "nl123456789b01")),
)  # fmt: skip


def test_supplier_is_stored_with_normalised_keys_and_found_by_code_and_name(env: Env) -> None:
    created = service.create_supplier(env.session, JANSEN, environment_id=env.id)
    env.session.commit()
    row = service.get_supplier(env.session, created.id, environment_id=env.id)
    assert (row.normalised_name, row.postal_code, row.country, row.email) == (
        "jansen kantoorartikelen", "3511AB", "NL", "facturen@jansen.example"
    )
    assert [(i.scheme, i.value) for i in row.identifiers] == [("0106", "12345678"), ("VAT", "NL123456789B01")]
    assert service.list_suppliers(env.session, environment_id=env.id, search="JANSEN bv") == [row]
    assert service.list_suppliers(env.session, environment_id=env.id, search="S001") == [row]
    assert service.list_suppliers(env.session, environment_id=env.id, search="Pieters") == []


def test_supplier_of_another_environment_is_not_found(env: Env) -> None:
    created = service.create_supplier(env.session, JANSEN, environment_id=env.id)
    with pytest.raises(NotFound):
        service.get_supplier(env.session, created.id, environment_id=env.other_id)
    # The same code is free in the other environment.
    service.create_supplier(env.session, JANSEN, environment_id=env.other_id)
    env.session.commit()


def test_second_supplier_with_the_same_code_is_a_conflict(env: Env) -> None:
    service.create_supplier(env.session, JANSEN, environment_id=env.id)
    with pytest.raises(Conflict) as caught:
        service.create_supplier(env.session, JANSEN, environment_id=env.id)
    assert caught.value.details == [{"field": "code", "message": "supplier S001 already exists"}]


def test_invalid_supplier_lists_every_problem(env: Env) -> None:
    bad = service.SupplierInput(code="", name="X", country="Nederland", identifiers=(("0106", ""),))
    with pytest.raises(InvalidInput) as caught:
        service.create_supplier(env.session, bad, environment_id=env.id)
    assert [d["field"] for d in caught.value.details] == ["code", "country", "identifiers"]


def test_update_replaces_identifiers_keeping_those_still_listed(env: Env) -> None:
    created = service.create_supplier(env.session, JANSEN, environment_id=env.id)
    kept_id = created.identifiers[0].id
    changed = service.SupplierInput(code="S001", name="Jansen B.V.", identifiers=(("0106", "12345678"), ("0088", "1")))
    row = service.update_supplier(env.session, created.id, changed, environment_id=env.id)
    env.session.commit()
    assert [(i.id == kept_id, i.scheme, i.value) for i in row.identifiers] == [(True, "0106", "12345678"),
                                                                             (False, "0088", "1")]  # fmt: skip
    assert (row.normalised_name, row.postal_code) == ("jansen", None)


def test_new_preferred_account_takes_over_from_the_old_one(env: Env) -> None:
    service.create_supplier(env.session, JANSEN, environment_id=env.id)
    first = service.create_bank_account(
        env.session, service.BankAccountInput("S001", "NL91 ABNA 0417 1643 00", preferred=True), environment_id=env.id
    )
    second = service.create_bank_account(
        env.session, service.BankAccountInput("S001", "NL44RABO0123456789", "rabo nl2u", preferred=True),
        environment_id=env.id,
    )  # fmt: skip
    env.session.commit()
    assert (first.iban, first.preferred, second.preferred, second.bic) == ("NL91ABNA0417164300", False, True, "RABONL2U")


def test_database_refuses_two_preferred_accounts_for_one_supplier(env: Env) -> None:
    supplier = service.create_supplier(env.session, JANSEN, environment_id=env.id)
    for iban in ("NL91ABNA0417164300", "NL44RABO0123456789"):
        env.session.add(SupplierBankAccount(environment_id=env.id, supplier_id=supplier.id, iban=iban, preferred=True))
    with pytest.raises(IntegrityError):
        env.session.flush()


def test_account_with_a_bad_checksum_is_refused(env: Env) -> None:
    service.create_supplier(env.session, JANSEN, environment_id=env.id)
    with pytest.raises(InvalidInput) as caught:
        service.create_bank_account(env.session, service.BankAccountInput("S001", "NL91ABNA0417164301"),
                                    environment_id=env.id)  # fmt: skip
    assert caught.value.details[0]["field"] == "iban"


def test_order_with_lines_and_receipts_refers_to_its_supplier_and_administration(env: Env) -> None:
    service.create_supplier(env.session, JANSEN, environment_id=env.id)
    admin = service.create_administration(
        env.session, service.AdministrationInput("A01", "Stroom Demo B.V.", "Amsterdam"), environment_id=env.id
    )
    order = service.create_order(env.session, service.OrderInput("PO-1", "S001", "A01"), environment_id=env.id)
    line = service.create_order_line(
        env.session, service.OrderLineInput("PO-1", "1", Decimal(10), Decimal("4.50")), environment_id=env.id
    )
    service.create_receipt(
        env.session, service.ReceiptInput("PO-1", "1", "GR-1", Decimal(6), order.created_at.date()),
        environment_id=env.id,
    )  # fmt: skip
    env.session.commit()
    assert (order.administration_id, order.status) == (admin.id, "released")
    assert [r.quantity for r in service.list_receipts(env.session, line.id, environment_id=env.id)] == [6]
    blocked = service.update_order(
        env.session, order.id, service.OrderInput("PO-1", "S001", None, "blocked"), environment_id=env.id
    )
    assert (blocked.status, blocked.administration_id) == ("blocked", None)
    with pytest.raises(NotFound) as caught:
        service.create_order(env.session, service.OrderInput("PO-2", "S404"), environment_id=env.id)
    assert caught.value.details[0]["field"] == "supplier_code"


def test_matching_rule_with_broken_regex_is_refused(env: Env) -> None:
    with pytest.raises(InvalidInput):
        service.create_rule(env.session, service.RuleInput("(koffie", "4000", is_regex=True), environment_id=env.id)


def test_trusted_sender_is_recognised_in_any_case_and_only_in_its_environment(env: Env) -> None:
    sender = service.create_trusted_sender(
        env.session, service.TrustedSenderInput("Facturen@Jansen.example", "carla"), environment_id=env.id
    )
    env.session.commit()
    assert (sender.email, sender.added_by, sender.added_at.tzinfo is not None) == (
        "facturen@jansen.example", "carla", True
    )
    assert service.is_trusted_sender(env.session, "FACTUREN@jansen.example", environment_id=env.id)
    assert not service.is_trusted_sender(env.session, "facturen@jansen.example", environment_id=env.other_id)
    with pytest.raises(Conflict):
        service.create_trusted_sender(env.session, service.TrustedSenderInput("facturen@jansen.example", "piet"),
                                      environment_id=env.id)  # fmt: skip
