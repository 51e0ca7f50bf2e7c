"""The invoice beside a task: parties, lines, totals, match flags and decisions in plain words."""
from __future__ import annotations

import dataclasses
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.models import AuditEvent
from server.invoices.attachments import embedded
from server.invoices.models import Invoice, ReceivedDocument
from server.invoices.ubl_types import Attachment
from server.pages.words import N_, due_words

STATUS_WORDS = {
    "confrontation_status_einvoice": {0: N_("no receipts to compare"), 1: N_("receipts without differences"),
                                      2: N_("receipts with differences")},
    "confrontation_status": {0: N_("not to be matched"), 1: N_("to be matched"), 2: N_("partially matched"),
                             3: N_("fully matched"), 4: N_("matching handled")},
    "obligation_status": {0: N_("no purchase order"), 1: N_("released order without differences"),
                          2: N_("blocked order without differences"), 3: N_("order with differences")},
    "free_matching_status": {0: N_("no free matching"), 1: N_("free matching rules apply"),
                             2: N_("free matching to be assessed in the workflow")},
    "manual_booking_status": {0: N_("no manual booking"), 1: N_("manually booked lines without matching")},
}
FLAG_WORDS = {
    "supplier_match_id": N_("Supplier found by its ID"),
    "supplier_match_name": N_("Supplier found by its name"),
    "supplier_match_address": N_("Supplier found by its address"),
    "supplier_match_bank_account": N_("Supplier found by its bank account"),
    "bank_account_is_preferred": N_("Bank account is the supplier's preferred account"),
    "administration_match_id": N_("Administration found by its ID"),
    "administration_match_name": N_("Administration found by its name"),
    "administration_match_city": N_("Administration found by its city"),
    "possible_duplicate": N_("Possible duplicate of an earlier invoice"),
}
STATUS_LABELS = {
    "confrontation_status_einvoice": N_("Receipts"), "confrontation_status": N_("Matching"),
    "obligation_status": N_("Purchase order"), "free_matching_status": N_("Free matching"),
    "manual_booking_status": N_("Manual booking"),
}


@dataclasses.dataclass(frozen=True)
class Flag:
    label: str
    good: bool | None
    text: str


def invoice_for_instance(session: Session, environment_id: int, instance_id: int,
                         data: dict[str, Any] | None = None) -> Invoice | None:
    """The invoice an instance handles (by its row, or by the invoice_id in its data)."""
    invoice = session.scalars(select(Invoice).where(Invoice.environment_id == environment_id,
                                                    Invoice.instance_id == instance_id)).first()
    if invoice is None and data and isinstance(data.get("invoice_id"), int):
        found = session.get(Invoice, data["invoice_id"])
        invoice = found if found is not None and found.environment_id == environment_id else None
    return invoice


def flags(collection: dict[str, Any]) -> list[Flag]:
    """The data collection as sentences; 'possible duplicate' counts as bad when true."""
    result = []
    for key, words in STATUS_WORDS.items():
        if key in collection and collection[key] is not None:
            value = collection[key]
            text = words.get(int(value), str(value)) if str(value).lstrip("-").isdigit() else str(value)
            result.append(Flag(_(STATUS_LABELS[key]), None, _(text)))
    if collection.get("confrontation_difference_amount") not in (None, ""):
        result.append(Flag(_("Difference"), None, f"{collection['confrontation_difference_amount']} "
                           f"({collection.get('confrontation_difference_pct', '?')} %)"))
    for key, label in FLAG_WORDS.items():
        if key in collection and collection[key] is not None:
            value = bool(collection[key])
            good = not value if key == "possible_duplicate" else value
            result.append(Flag(_(label), good, _("yes") if value else _("no")))
    days = collection.get("days_until_due")
    if isinstance(days, (int, float)) and not isinstance(days, bool):
        result.append(Flag(_("Due"), False if days < 0 else None, due_words(int(days))))
    return result


def decisions(session: Session, environment_id: int, instance_id: int) -> list[dict[str, Any]]:
    """Each decision the instance took: its table, inputs, matched rules and outputs."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.environment_id == environment_id,
                                                      AuditEvent.instance_id == instance_id,
                                                      AuditEvent.action == "engine.decision")
                             .order_by(AuditEvent.seq)).all()
    result = []
    for event in events:
        after = event.after or {}
        trace = after.get("trace") or {}
        result.append({"at": event.at, "element": after.get("name") or event.target_id,
                       "decision": trace.get("decision_name") or after.get("decision"),
                       "inputs": [_input_words(i) for i in trace.get("inputs", []) if isinstance(i, dict)],
                       "rules": after.get("matched_rules", []),
                       "outputs": after.get("outputs", {})})
    return result


def _input_words(clause: dict[str, Any]) -> dict[str, Any]:
    """A decision input whose value is a status code shows that status in words ("no purchase order", not 0)."""
    words = STATUS_WORDS.get(str(clause.get("expression") or "").strip())
    value = clause.get("value")
    if words and isinstance(value, int) and not isinstance(value, bool) and value in words:
        return {**clause, "value": _(words[value])}
    return clause


def attachments(session: Session, invoice: Invoice) -> list[Attachment]:
    """The embedded attachments of the invoice's document (parsed again; bytes never live in JSON)."""
    document = session.get(ReceivedDocument, invoice.document_id)
    return embedded(document.content) if document is not None else []
