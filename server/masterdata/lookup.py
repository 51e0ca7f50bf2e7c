"""Pure look-ups in a master-data snapshot: which supplier, administration or rule fits (no I/O).

Supplier (purchase relation): each candidate is scored on four kinds of evidence: an identifier
(KvK, VAT id, GLN, endpoint id; see `normalise.identifiers_agree`), a bank account (an invoice IBAN on
file for it), its name (normalised; any of the trading and registered names) and its address (same
normalised postal code and, when both sides name one, the same city). The strongest evidence wins,
in that order (identifier > bank account > name > address); two candidates with equal evidence are
ambiguous and none is chosen. The flags say which evidence held for the chosen supplier, so an IBAN
that belongs to a *different* supplier leaves its bank-account flag false.

Administration (own company): the same with identifiers, the normalised name and the normalised city
(in that order of strength); city alone finds an administration only when no other one shares it.

Free matching rules: a pattern is a case-insensitive substring of the item name, or, when `is_regex`,
a case-insensitive regular expression searched anywhere in it; an unusable regex never matches.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from server.masterdata.normalise import identifiers_agree, normalise_city
from server.masterdata.reasons import Code, Reason, reason
from server.masterdata.records import AdministrationRecord, Identifier, RuleRecord, SupplierRecord

T = TypeVar("T", SupplierRecord, AdministrationRecord)
Kind = Literal["supplier", "administration"]
NOT_FOUND: dict[Kind, Code] = {"supplier": "supplier_not_found", "administration": "administration_not_found"}
AMBIGUOUS: dict[Kind, Code] = {"supplier": "supplier_ambiguous", "administration": "administration_ambiguous"}
FOUND: dict[Kind, Code] = {"supplier": "supplier_found", "administration": "administration_found"}


@dataclass(frozen=True)
class Found:
    """The chosen record (or None), which evidence held for it, and the reason saying so."""

    record: SupplierRecord | AdministrationRecord | None
    flags: dict[str, bool]
    reason: Reason


def _any_identifier(ours: Collection[Identifier], theirs: Collection[Identifier]) -> bool:
    return any(identifiers_agree(left, right) for left in ours for right in theirs)


def _pick(scored: Sequence[tuple[tuple[bool, ...], T]], labels: tuple[str, ...], kind: Kind) -> Found:
    """The candidate with the strongest evidence, or none when nothing holds or the best two tie."""
    ranked = sorted((item for item in scored if any(item[0])), key=lambda item: item[0], reverse=True)
    nothing = dict.fromkeys(labels, False)
    if not ranked:
        return Found(None, nothing, reason(NOT_FOUND[kind]))
    if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
        return Found(None, nothing, reason(AMBIGUOUS[kind], a=ranked[0][1].code, b=ranked[1][1].code))
    flags, record = ranked[0]
    held = [label for label, value in zip(labels, flags) if value]
    return Found(record, dict(zip(labels, flags)), reason(FOUND[kind], code=record.code, how=held))


def find_supplier(
    suppliers: Sequence[SupplierRecord],
    *,
    identifiers: Collection[Identifier],
    ibans: Collection[str],
    names: Collection[str],
    postal_code: str,
    city: str,
) -> Found:
    """The supplier the normalised invoice keys point to; flags "id", "bank_account", "name", "address"."""
    scored = []
    for supplier in suppliers:
        by_address = (
            bool(postal_code)
            and postal_code == supplier.postal_code
            and (not city or not supplier.city or city == normalise_city(supplier.city))
        )
        flags = (
            _any_identifier(identifiers, supplier.identifiers),
            any(account.iban in ibans for account in supplier.bank_accounts),
            supplier.normalised_name in names,
            by_address,
        )
        scored.append((flags, supplier))
    return _pick(scored, ("id", "bank_account", "name", "address"), "supplier")


def find_administration(
    administrations: Sequence[AdministrationRecord],
    *,
    identifiers: Collection[Identifier],
    names: Collection[str],
    city: str,
) -> Found:
    """The administration the normalised customer keys point to; flags "id", "name", "city"."""
    scored = [
        (
            (
                _any_identifier(identifiers, admin.identifiers),
                admin.normalised_name in names,
                bool(city) and city == normalise_city(admin.city),
            ),
            admin,
        )
        for admin in administrations
    ]
    return _pick(scored, ("id", "name", "city"), "administration")


def rule_applies(rule: RuleRecord, text: str) -> bool | None:
    """Whether a free matching rule matches the text; None when its regular expression is unusable."""
    if not rule.is_regex:
        return rule.pattern.casefold() in text.casefold()
    try:
        return re.search(rule.pattern, text, re.IGNORECASE) is not None
    except re.error:
        return None


def rules_for(rules: Sequence[RuleRecord], supplier_id: int | None) -> list[RuleRecord]:
    """The rules that may apply to a supplier's lines: its own first, then those for any supplier."""
    usable = [
        r
        for r in rules
        if r.supplier_id is None or (supplier_id is not None and r.supplier_id == supplier_id)
    ]
    return sorted(usable, key=lambda r: (r.supplier_id is None, r.id))
