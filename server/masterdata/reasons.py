"""Why the matcher decided as it did: a reason code with its values, and the English sentence for it.

The matcher (server.invoices.matching) and the master-data lookup write these; the invoice keeps the
code and values (translated where shown) beside the English sentence the API and the audit log have
always given. Values are JSON-safe: texts, numbers written as decimal strings, and the kinds of evidence
("how") as a list. Pure: standard library only.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

Code = Literal[
    "supplier_not_found", "administration_not_found", "supplier_ambiguous", "administration_ambiguous",
    "supplier_found", "administration_found", "order_not_on_file", "order_of_another_supplier",
    "order_line_not_on_order", "quantity_exceeds_order", "amount_differs_from_order", "receipts_differ",
    "rule_pattern_unusable", "line_unmatched", "line_rule_to_review", "possible_duplicate",
    "iban_not_on_file", "iban_not_preferred",
]
CODES: tuple[str, ...] = get_args(Code)
# The sentence each code had before reasons carried codes: the API's `reasons` keep it word for word.
ENGLISH: Mapping[str, str] = {
    "supplier_not_found": "no supplier found",
    "administration_not_found": "no administration found",
    "supplier_ambiguous": "supplier is ambiguous: {a} and {b} match equally",
    "administration_ambiguous": "administration is ambiguous: {a} and {b} match equally",
    "supplier_found": "supplier {code} found by {how}",
    "administration_found": "administration {code} found by {how}",
    "order_not_on_file": "order {order} is not on file",
    "order_of_another_supplier": "order {order} belongs to another supplier",
    "order_line_not_on_order": "line {line} refers to order line {wanted}, not on order {order}",
    "quantity_exceeds_order": "order line {line}: invoiced quantity {quantity} exceeds ordered {ordered}",
    "amount_differs_from_order": "order line {line}: invoiced {amount} differs from {expected} at the order price",
    "receipts_differ": "goods receipts differ from the invoiced quantities or prices",
    "rule_pattern_unusable": "matching rule {rule} has an unusable pattern",
    "line_unmatched": "line {line} ({item}) matches no order line and no rule",
    "line_rule_to_review": "line {line} matched rule {rule}, to be reviewed via the workflow",
    "possible_duplicate": "an earlier invoice of this supplier has the same number, or the same amount and date",
    "iban_not_on_file": "no IBAN of the invoice is on file for supplier {code}",
    "iban_not_preferred": "the invoice's IBAN is not the preferred account of supplier {code}",
}
Value = str | tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Reason:
    """One matching reason: its code and the values its sentence names."""

    code: Code
    values: Mapping[str, Value] = dataclasses.field(default_factory=dict)

    @property
    def text(self) -> str:
        """The English sentence (a list value, such as `how`, reads "id, name")."""
        return ENGLISH[self.code].format(**{k: ", ".join(v) if isinstance(v, tuple) else v
                                            for k, v in self.values.items()})

    def to_json(self) -> dict[str, Any]:
        """What the invoice stores: code, values (lists as JSON arrays) and the English text."""
        return {"code": self.code, "values": {k: list(v) if isinstance(v, tuple) else v
                                              for k, v in self.values.items()}, "text": self.text}


def reason(code: Code, /, **values: object) -> Reason:
    """A reason with its values as texts (a number as its decimal string; a list of texts stays a list)."""
    return Reason(code, {k: tuple(str(p) for p in v) if isinstance(v, Sequence) and not isinstance(v, str)
                         else str(v) for k, v in values.items()})
