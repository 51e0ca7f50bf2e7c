"""Verb functions for suppliers, their bank accounts, administrations and trusted senders (flush only)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.db import utcnow
from server.errors import InvalidInput
from server.masterdata.common import (
    blank_to_none,
    check,
    conflict,
    ensure_free,
    find_row,
    get_row,
    list_rows,
    not_found,
)
from server.masterdata.inputs import AdministrationInput, BankAccountInput, SupplierInput, TrustedSenderInput
from server.masterdata.models import (
    Administration,
    AdministrationIdentifier,
    Supplier,
    SupplierBankAccount,
    SupplierIdentifier,
    TrustedSender,
)
from server.masterdata.normalise import (
    normalise_city,
    normalise_email,
    normalise_iban,
    normalise_identifier,
    normalise_name,
    normalise_postal_code,
)

Ident = TypeVar("Ident", SupplierIdentifier, AdministrationIdentifier)


def _sync_identifiers(
    current: list[Ident], wanted: Sequence[tuple[str, str]], make: Callable[[str, str], Ident]
) -> None:
    """Keep identifiers still wanted, drop the others, add the new ones (no unique-key churn)."""
    pairs = list(dict.fromkeys(normalise_identifier(scheme, value) for scheme, value in wanted))
    for ident in list(current):
        if (ident.scheme, ident.value) not in pairs:
            current.remove(ident)
    have = {(ident.scheme, ident.value) for ident in current}
    current.extend(make(scheme, value) for scheme, value in pairs if (scheme, value) not in have)


# Suppliers


def _apply_supplier(row: Supplier, data: SupplierInput) -> None:
    row.code = data.code.strip()
    row.name = data.name.strip()
    row.normalised_name = normalise_name(data.name)
    row.address_line1 = blank_to_none(data.address_line1)
    row.address_line2 = blank_to_none(data.address_line2)
    row.postal_code = normalise_postal_code(data.postal_code) or None
    row.city = blank_to_none(data.city)
    row.country = (blank_to_none(data.country) or "").upper() or None
    row.email = normalise_email(data.email) or None
    row.language = blank_to_none(data.language)
    env = row.environment_id
    _sync_identifiers(
        row.identifiers,
        data.identifiers,
        lambda s, v: SupplierIdentifier(environment_id=env, scheme=s, value=v),
    )


def supplier_by_code(
    session: Session, code: str, *, environment_id: int, field: str = "supplier_code"
) -> Supplier:
    """The supplier with this code, or NotFound naming `field` in its details."""
    row = find_row(session, Supplier, environment_id=environment_id, code=(code or "").strip())
    if row is None:
        raise not_found(f"supplier {code} not found", field=field)
    return row


def create_supplier(session: Session, data: SupplierInput, *, environment_id: int) -> Supplier:
    """A new supplier; Conflict when its code is taken."""
    check(data, what="supplier")
    ensure_free(session, Supplier, environment_id=environment_id, what="supplier", field="code", value=data.code)
    row = Supplier(environment_id=environment_id, identifiers=[], bank_accounts=[])
    _apply_supplier(row, data)
    session.add(row)
    session.flush()
    return row


def update_supplier(
    session: Session, supplier_id: int, data: SupplierInput, *, environment_id: int
) -> Supplier:
    """Replace a supplier's fields and identifiers (bank accounts are kept)."""
    check(data, what="supplier")
    row = get_supplier(session, supplier_id, environment_id=environment_id)
    ensure_free(session, Supplier, environment_id=environment_id, what="supplier", field="code", value=data.code,
                keep=row)
    _apply_supplier(row, data)
    session.flush()
    return row


def save_supplier(session: Session, data: SupplierInput, *, environment_id: int) -> tuple[Supplier, bool]:
    """Create or update the supplier with this code; True when it was created."""
    row = find_row(session, Supplier, environment_id=environment_id, code=data.code.strip())
    if row is None:
        return create_supplier(session, data, environment_id=environment_id), True
    return update_supplier(session, row.id, data, environment_id=environment_id), False


def get_supplier(session: Session, supplier_id: int, *, environment_id: int) -> Supplier:
    """The supplier with this id in this environment, or NotFound."""
    return get_row(session, Supplier, supplier_id, environment_id=environment_id, what="supplier")


def list_suppliers(
    session: Session, *, environment_id: int, search: str | None = None, limit: int = 100, offset: int = 0
) -> list[Supplier]:
    """Suppliers by code; `search` matches the code or the (normalised) name."""
    where = []
    if search and search.strip():
        where.append(
            or_(Supplier.code == search.strip(), Supplier.normalised_name.contains(normalise_name(search)))
        )
    return list_rows(
        session, Supplier, environment_id=environment_id, order_by=[Supplier.code], where=where, limit=limit,
        offset=offset,
    )  # fmt: skip


# Bank accounts


def _apply_bank_account(session: Session, row: SupplierBankAccount, data: BankAccountInput) -> None:
    row.iban = normalise_iban(data.iban)
    row.bic = (data.bic or "").replace(" ", "").upper() or None
    if data.preferred and not row.preferred:
        # The partial unique index allows one preferred account: clear the old one before setting this.
        others = select(SupplierBankAccount).filter_by(supplier_id=row.supplier_id, preferred=True)
        for other in session.scalars(others):
            other.preferred = False
        session.flush()
    row.preferred = data.preferred


def create_bank_account(
    session: Session, data: BankAccountInput, *, environment_id: int
) -> SupplierBankAccount:
    """A new account for the supplier; when preferred, the supplier's former preferred one no longer is."""
    check(data, what="bank account")
    supplier = supplier_by_code(session, data.supplier_code, environment_id=environment_id)
    iban = normalise_iban(data.iban)
    if find_row(
        session, SupplierBankAccount, environment_id=environment_id, supplier_id=supplier.id, iban=iban
    ):
        raise conflict(f"supplier {supplier.code} already has bank account {iban}", field="iban")
    row = SupplierBankAccount(environment_id=environment_id, supplier_id=supplier.id, preferred=False)
    _apply_bank_account(session, row, data)
    supplier.bank_accounts.append(row)
    session.flush()
    return row


def update_bank_account(
    session: Session, account_id: int, data: BankAccountInput, *, environment_id: int
) -> SupplierBankAccount:
    """Change an account's IBAN, BIC or preferred flag (it stays with its supplier)."""
    check(data, what="bank account")
    row = get_bank_account(session, account_id, environment_id=environment_id)
    if supplier_by_code(session, data.supplier_code, environment_id=environment_id).id != row.supplier_id:
        raise InvalidInput("a bank account cannot move to another supplier")
    iban = normalise_iban(data.iban)
    other = find_row(
        session, SupplierBankAccount, environment_id=environment_id, supplier_id=row.supplier_id, iban=iban
    )
    if other is not None and other.id != row.id:
        raise conflict(f"the supplier already has bank account {iban}", field="iban")
    _apply_bank_account(session, row, data)
    session.flush()
    return row


def save_bank_account(
    session: Session, data: BankAccountInput, *, environment_id: int
) -> tuple[SupplierBankAccount, bool]:
    """Create or update the supplier's account with this IBAN; True when it was created."""
    check(data, what="bank account")
    supplier = supplier_by_code(session, data.supplier_code, environment_id=environment_id)
    iban = normalise_iban(data.iban)
    row = find_row(
        session, SupplierBankAccount, environment_id=environment_id, supplier_id=supplier.id, iban=iban
    )
    if row is None:
        return create_bank_account(session, data, environment_id=environment_id), True
    return update_bank_account(session, row.id, data, environment_id=environment_id), False


def get_bank_account(session: Session, account_id: int, *, environment_id: int) -> SupplierBankAccount:
    """The bank account with this id in this environment, or NotFound."""
    return get_row(
        session, SupplierBankAccount, account_id, environment_id=environment_id, what="bank account"
    )


def list_bank_accounts(
    session: Session,
    *,
    environment_id: int,
    supplier_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[SupplierBankAccount]:
    """Bank accounts, optionally of one supplier."""
    where = [SupplierBankAccount.supplier_id == supplier_id] if supplier_id is not None else []
    order = [SupplierBankAccount.supplier_id, SupplierBankAccount.id]
    return list_rows(
        session, SupplierBankAccount, environment_id=environment_id, order_by=order, where=where, limit=limit,
        offset=offset,
    )  # fmt: skip


# Administrations


def _apply_administration(row: Administration, data: AdministrationInput) -> None:
    row.code = data.code.strip()
    row.name = data.name.strip()
    row.normalised_name = normalise_name(data.name)
    row.city = blank_to_none(data.city)
    row.normalised_city = normalise_city(data.city)
    env = row.environment_id
    _sync_identifiers(
        row.identifiers,
        data.identifiers,
        lambda s, v: AdministrationIdentifier(environment_id=env, scheme=s, value=v),
    )


def administration_by_code(
    session: Session, code: str, *, environment_id: int, field: str = "administration_code"
) -> Administration:
    """The administration with this code, or NotFound naming `field` in its details."""
    row = find_row(session, Administration, environment_id=environment_id, code=(code or "").strip())
    if row is None:
        raise not_found(f"administration {code} not found", field=field)
    return row


def create_administration(
    session: Session, data: AdministrationInput, *, environment_id: int
) -> Administration:
    """A new administration (own company); Conflict when its code is taken."""
    check(data, what="administration")
    ensure_free(session, Administration, environment_id=environment_id, what="administration", field="code",
                value=data.code)
    row = Administration(environment_id=environment_id, identifiers=[])
    _apply_administration(row, data)
    session.add(row)
    session.flush()
    return row


def update_administration(
    session: Session, administration_id: int, data: AdministrationInput, *, environment_id: int
) -> Administration:
    """Replace an administration's fields and identifiers."""
    check(data, what="administration")
    row = get_administration(session, administration_id, environment_id=environment_id)
    ensure_free(session, Administration, environment_id=environment_id, what="administration", field="code",
                value=data.code, keep=row)
    _apply_administration(row, data)
    session.flush()
    return row


def save_administration(
    session: Session, data: AdministrationInput, *, environment_id: int
) -> tuple[Administration, bool]:
    """Create or update the administration with this code; True when it was created."""
    row = find_row(session, Administration, environment_id=environment_id, code=data.code.strip())
    if row is None:
        return create_administration(session, data, environment_id=environment_id), True
    return update_administration(session, row.id, data, environment_id=environment_id), False


def get_administration(session: Session, administration_id: int, *, environment_id: int) -> Administration:
    """The administration with this id in this environment, or NotFound."""
    return get_row(
        session, Administration, administration_id, environment_id=environment_id, what="administration"
    )


def list_administrations(
    session: Session, *, environment_id: int, limit: int = 100, offset: int = 0
) -> list[Administration]:
    """Administrations by code."""
    order = [Administration.code]
    return list_rows(
        session, Administration, environment_id=environment_id, order_by=order, limit=limit, offset=offset
    )


# Trusted senders


def create_trusted_sender(
    session: Session, data: TrustedSenderInput, *, environment_id: int
) -> TrustedSender:
    """Trust an e-mail address (the approval happens in the trusted-senders workflow before this)."""
    check(data, what="trusted sender")
    email = normalise_email(data.email)
    if find_row(session, TrustedSender, environment_id=environment_id, email=email):
        raise conflict(f"{email} is already a trusted sender", field="email")
    row = TrustedSender(
        environment_id=environment_id, email=email, added_by=data.added_by.strip(), added_at=utcnow()
    )
    session.add(row)
    session.flush()
    return row


def update_trusted_sender(
    session: Session, sender_id: int, data: TrustedSenderInput, *, environment_id: int
) -> TrustedSender:
    """Correct a trusted sender's address."""
    check(data, what="trusted sender")
    row = get_trusted_sender(session, sender_id, environment_id=environment_id)
    email = normalise_email(data.email)
    other = find_row(session, TrustedSender, environment_id=environment_id, email=email)
    if other is not None and other.id != row.id:
        raise conflict(f"{email} is already a trusted sender", field="email")
    row.email, row.added_by = email, data.added_by.strip()
    session.flush()
    return row


def get_trusted_sender(session: Session, sender_id: int, *, environment_id: int) -> TrustedSender:
    """The trusted sender with this id in this environment, or NotFound."""
    return get_row(session, TrustedSender, sender_id, environment_id=environment_id, what="trusted sender")


def is_trusted_sender(session: Session, email: str, *, environment_id: int) -> bool:
    """Whether documents from this address are trusted."""
    return (
        find_row(session, TrustedSender, environment_id=environment_id, email=normalise_email(email))
        is not None
    )


def list_trusted_senders(
    session: Session, *, environment_id: int, limit: int = 100, offset: int = 0
) -> list[TrustedSender]:
    """Trusted senders by address."""
    order = [TrustedSender.email]
    return list_rows(
        session, TrustedSender, environment_id=environment_id, order_by=order, limit=limit, offset=offset
    )
