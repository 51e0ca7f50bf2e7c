"""Findings in the reader's language: the matching reasons (server.invoices.matching and the master-data
lookup) and the validation findings of a received document, translated where they are shown.

The database keeps what the services wrote (codes and English); this catalogue reads it at render:
Stroom's own validation findings by their code, matching reasons by their sentence. The EN 16931 and
Peppol rule texts are official and stay in English; the pages say so."""
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
# How the master-data lookup found a party ("supplier S01 found by id, name").
FOUND_BY = {"id": N_("ID"), "name": N_("name"), "address": N_("address"), "bank_account": N_("bank account"),
            "city": N_("city")}
_NUMBERS = ("quantity", "ordered", "amount", "expected")
# Matching reasons by their sentence: a pattern with named parts and its translation.
MATCH_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), t) for p, t in (
    (r"^no supplier found$", N_("No supplier found in master data")),
    (r"^no administration found$", N_("No administration found in master data")),
    (r"^supplier is ambiguous: (?P<a>.+) and (?P<b>.+) match equally$",
     N_("Supplier is ambiguous: %(a)s and %(b)s match equally")),
    (r"^administration is ambiguous: (?P<a>.+) and (?P<b>.+) match equally$",
     N_("Administration is ambiguous: %(a)s and %(b)s match equally")),
    (r"^supplier (?P<code>.+) found by (?P<how>[a-z_, ]+)$", N_("Supplier %(code)s found by %(how)s")),
    (r"^administration (?P<code>.+) found by (?P<how>[a-z_, ]+)$", N_("Administration %(code)s found by %(how)s")),
    (r"^order (?P<order>.+) is not on file$", N_("Order %(order)s is not on file")),
    (r"^order (?P<order>.+) belongs to another supplier$", N_("Order %(order)s belongs to another supplier")),
    (r"^line (?P<line>.+) refers to order line (?P<wanted>.+), not on order (?P<order>.+)$",
     N_("Line %(line)s refers to order line %(wanted)s, which is not on order %(order)s")),
    (r"^order line (?P<line>.+): invoiced quantity (?P<quantity>\S+) exceeds ordered (?P<ordered>\S+)$",
     N_("Order line %(line)s: invoiced quantity %(quantity)s exceeds the ordered %(ordered)s")),
    (r"^order line (?P<line>.+): invoiced (?P<amount>\S+) differs from (?P<expected>\S+) at the order price$",
     N_("Order line %(line)s: invoiced %(amount)s differs from %(expected)s at the order price")),
    (r"^goods receipts differ from the invoiced quantities or prices$",
     N_("Goods receipts differ from the invoiced quantities or prices")),
    (r"^matching rule (?P<rule>.+) has an unusable pattern$", N_("Matching rule %(rule)s has an unusable pattern")),
    (r"^line (?P<line>\S+) \((?P<item>.*)\) matches no order line and no rule$",
     N_("Line %(line)s (%(item)s) matches no order line and no matching rule")),
    (r"^line (?P<line>.+) matched rule (?P<rule>.+), to be reviewed via the workflow$",
     N_("Line %(line)s matched rule %(rule)s, to be reviewed in the workflow")),
    (r"^an earlier invoice of this supplier has the same number, or the same amount and date$",
     N_("An earlier invoice of this supplier has the same number, or the same amount and date")),
    (r"^no IBAN of the invoice is on file for supplier (?P<code>.+)$",
     N_("No bank account of the invoice is on file for supplier %(code)s")),
    (r"^the invoice's IBAN is not the preferred account of supplier (?P<code>.+)$",
     N_("The invoice's bank account is not the preferred account of supplier %(code)s")),
))


@dataclasses.dataclass(frozen=True)
class FindingWords:
    """A validation finding as shown: its rule, its text, and whether that text is the official English."""

    rule: str
    text: str
    official: bool


def _part(name: str, value: str) -> str:
    if name == "how":
        return ", ".join(_(FOUND_BY.get(p.strip(), p.strip())) for p in value.split(","))
    if name in _NUMBERS and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return str(format_decimal(Decimal(value)))
    return value


def match_reason_words(reason: Any) -> str:
    """One matching reason in the reader's language (a sentence this catalogue does not know as it is)."""
    text = str(reason or "")
    for pattern, translation in MATCH_REASONS:
        found = pattern.match(text)
        if found:
            return _(translation, **{k: _part(k, v) for k, v in found.groupdict().items()})
    return text


def match_reasons_words(reasons: Any) -> list[str]:
    """The matching reasons of an invoice (its collection's or the process data's), translated."""
    return [match_reason_words(r) for r in reasons if r] if isinstance(reasons, (list, tuple)) else []


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
    own = OWN_FINDINGS.get(rule)
    if own is not None:
        return FindingWords(rule, _(own), False)
    return FindingWords(rule, str(finding.get("message") or ""), True)


def findings_words(findings: Iterable[Any]) -> list[FindingWords]:
    """Several findings (anything not a finding is left out)."""
    return [finding_words(f) for f in findings if isinstance(f, Mapping)]
