"""Findings in the reader's language: the matching reasons (server.masterdata.reasons, written by the matcher
and the master-data lookup) and the validation findings of a received document, translated where shown.

The database keeps what the services wrote (codes with their values, and English); this catalogue reads
it at render: Stroom's own validation findings and the matching reasons by their code. A matching reason
without a code (stored before reasons had codes, in a sentence the upgrade could not read) shows as it was
written. The EN 16931 and Peppol rule texts are official and stay in English; the pages say so."""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

from server.pages.words import N_

# Stroom's own validation findings, by code (server.invoices.validation, .service, .refusals).
OWN_FINDINGS = {
    "empty": N_("The document is empty."),
    "too_large": N_("The document is larger than this server accepts."),
    "not_xml": N_("The document is not well-formed XML."),
    "doctype_forbidden": N_("Documents with a DOCTYPE declaration are not accepted."),
    "too_deep": N_("The document's elements nest too deeply."),
    "too_many_elements": N_("The document has too many elements."),
    "not_ubl": N_("The document is not a UBL 2.1 document."),
    "not_an_invoice": N_("The document is not a UBL invoice or credit note."),
    "invalid_value": N_("A number or date in the document is not valid."),
    "UBL-2.1-XSD": N_("The document does not follow the UBL 2.1 schema."),
    "validator_exception": N_("The e-invoice rules could not be checked."),
    "service_step_failed": N_("The document could not be processed completely."),
}
HOLD_RULE = "sender_not_known"
_HELD_ADDRESS = re.compile(r"not mailed: (?P<address>\S+) is neither")
# How the master-data lookup found a party (the `how` of "supplier_found": ["id", "name"]).
FOUND_BY = {"id": N_("ID"), "name": N_("name"), "address": N_("address"), "bank_account": N_("bank account"),
            "city": N_("city")}
_NUMBERS = ("quantity", "ordered", "amount", "expected")
# Matching reasons by their code (server.masterdata.reasons.CODES); the placeholders are the reason's values.
MATCH_REASONS: Mapping[str, str] = {
    "supplier_not_found": N_("No supplier found in master data"),
    "administration_not_found": N_("No administration found in master data"),
    "supplier_ambiguous": N_("Supplier is ambiguous: %(a)s and %(b)s match equally"),
    "administration_ambiguous": N_("Administration is ambiguous: %(a)s and %(b)s match equally"),
    "supplier_found": N_("Supplier %(code)s found by %(how)s"),
    "administration_found": N_("Administration %(code)s found by %(how)s"),
    "order_not_on_file": N_("Order %(order)s is not on file"),
    "order_of_another_supplier": N_("Order %(order)s belongs to another supplier"),
    "order_line_not_on_order": N_("Line %(line)s refers to order line %(wanted)s, which is not on order %(order)s"),
    "quantity_exceeds_order": N_("Order line %(line)s: invoiced quantity %(quantity)s exceeds the ordered %(ordered)s"),
    "amount_differs_from_order": N_("Order line %(line)s: invoiced %(amount)s differs from %(expected)s at the order "
                                    "price"),
    "receipts_differ": N_("Goods receipts differ from the invoiced quantities or prices"),
    "rule_pattern_unusable": N_("Matching rule %(rule)s has an unusable pattern"),
    "line_unmatched": N_("Line %(line)s (%(item)s) matches no order line and no matching rule"),
    "line_rule_to_review": N_("Line %(line)s matched rule %(rule)s, to be reviewed in the workflow"),
    "possible_duplicate": N_("An earlier invoice of this supplier has the same number, or the same amount and date"),
    "iban_not_on_file": N_("No bank account of the invoice is on file for supplier %(code)s"),
    "iban_not_preferred": N_("The invoice's bank account is not the preferred account of supplier %(code)s"),
}


@dataclasses.dataclass(frozen=True)
class FindingWords:
    """A validation finding as shown: its rule, its text, and whether that text is the official English."""

    rule: str
    text: str
    official: bool


def _part(name: str, value: Any) -> str:
    if name == "how" and isinstance(value, list):
        return ", ".join(_(FOUND_BY.get(str(p), str(p))) for p in value)
    if name in _NUMBERS and isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return str(format_decimal(Decimal(value)))
    return str(value)


def match_reason_words(reason: Any) -> str:
    """One matching reason ({"code", "values", "text"}) in the reader's language; one without a known code
    (an old sentence, or a bare string) as it was written."""
    if not isinstance(reason, Mapping):
        return str(reason or "")
    translation = MATCH_REASONS.get(str(reason.get("code")))
    values = reason.get("values")
    if translation is None or not isinstance(values, Mapping):
        return str(reason.get("text") or "")
    try:
        return _(translation, **{str(k): _part(str(k), v) for k, v in values.items()})
    except (KeyError, ValueError):  # values that do not fit the sentence: the English it was stored with
        return str(reason.get("text") or "")


def match_reasons_words(coded: Any, plain: Any = None) -> list[str]:
    """The matching reasons of an invoice, translated: its coded reasons (the collection's `coded_reasons`,
    the process data's `match_coded_reasons`), else the plain sentences (`reasons`) as they are."""
    found = coded if isinstance(coded, (list, tuple)) else plain if isinstance(plain, (list, tuple)) else []
    return [words for words in (match_reason_words(r) for r in found) if words]


_SIZES = re.compile(r"has (?P<size>\d+) bytes; the limit is (?P<limit>\d+)")


def finding_words(finding: Mapping[str, Any]) -> FindingWords:
    """A validation finding: Stroom's own by its code in the reader's language; an EN 16931 or Peppol
    rule's official text as it is (English), marked so."""
    rule = str(finding.get("rule") or "")
    if rule == HOLD_RULE:
        held = _HELD_ADDRESS.search(str(finding.get("message") or ""))
        return FindingWords(rule, _("The refusal was not mailed: %(address)s is neither a trusted sender nor a "
                                    "supplier's e-mail address in master data. The document waits here until "
                                    "the sender is trusted.", address=held.group("address") if held else "?"),
                            False)
    sizes = _SIZES.search(str(finding.get("message") or "")) if rule == "too_large" else None
    if sizes:  # the sender must learn the limit, not only that there is one
        return FindingWords(rule, _("The document is too large: it has %(size)s bytes, and this server accepts at "
                                    "most %(limit)s bytes.", size=sizes.group("size"), limit=sizes.group("limit")),
                            False)
    own = OWN_FINDINGS.get(rule)
    if own is not None:
        return FindingWords(rule, _(own), False)
    return FindingWords(rule, str(finding.get("message") or ""), True)


def findings_words(findings: Iterable[Any]) -> list[FindingWords]:
    """Several findings (anything not a finding is left out)."""
    return [finding_words(f) for f in findings if isinstance(f, Mapping)]
