"""The invoice beside a task: parties, lines, totals, match flags and decisions in plain words."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from flask import Response
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.invoices.attachments import download_name, embedded
from server.invoices.models import Invoice, ReceivedDocument
from server.invoices.ubl_types import Attachment
from server.operations.invoice_parts import DecisionCard
from server.pages.words import N_, due_words, money_words, number_words

INLINE_TYPES = {"application/pdf"}  # shown in the page's viewer; anything else is downloaded

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


def decisions(cards: Iterable[DecisionCard]) -> list[dict[str, Any]]:
    """Each decision the instance took (read by the task operation): its table, inputs, matched rules and
    outputs, a status code among the inputs in words."""
    return [{"at": card.at, "element": card.element, "decision": card.decision,
             "inputs": [_input_words(dict(i)) for i in card.inputs], "rules": list(card.rules),
             "outputs": dict(card.outputs)} for card in cards]


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


PDF_PROBLEMS = {
    "no_attachment": N_("The invoice has no attached document to show."),
    "no_pdf": N_("The attached document is not a PDF, so it cannot be shown here; download it instead."),
    "bad_pdf": N_("The attached PDF cannot be shown: its content is not a readable PDF. Download it instead."),
}
TOLERANCE_INPUTS = {"confrontation_difference_pct": N_("difference %(test)s %%"),
                    "confrontation_difference_amount": N_("difference %(test)s")}
INVOICE_STATUSES = (N_("approved"), N_("disapproved"))
DECISION_WORDS = {"approve": N_("approved"), "disapprove": N_("disapproved"), "complete": N_("completed"),
                  "comment": N_("commented")}


def attachment_response(item: Attachment, number: int, *, download: bool) -> Response:
    """An embedded attachment as the browser gets it: a PDF inline for the viewer (unless `download`),
    anything else as a download; sandboxed by its own CSP, framed only by Stroom's own pages."""
    inline = item.mime_type in INLINE_TYPES and not download
    response = Response(item.content, mimetype=item.mime_type if inline else "application/octet-stream")
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{download_name(item, number)}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'self'"
    return response


def money(value: Any, currency: str | None = "EUR") -> str:
    """An amount with its currency in the reader's locale (words.money_words), '' for None."""
    return money_words(value, currency)


def number(value: Any) -> str:
    """A quantity or rate in the reader's locale ("10", "2,5"); '' for None."""
    if isinstance(value, str) and value:
        try:
            value = Decimal(value)
        except ArithmeticError:
            return value
    return number_words(value)


def signed_money(value: Any, currency: str | None) -> str:
    """A difference: '+' before a positive amount, so more and less read apart."""
    text = money(value, currency)
    return f"+{text}" if text and Decimal(str(value)) > 0 else text


def rule_words(annotation: str | None, index: int | None = None) -> str:
    """A matched rule as the page says it: its annotation (pass it through the model's texts first), else its
    number."""
    if annotation:
        return annotation
    return _("rule %(n)s applied", n=index) if index is not None else _("no rule matched")


def tolerance_words(tolerance: Any) -> str:
    """'difference < 1 %' for a band the table allows before auto-approval."""
    template = TOLERANCE_INPUTS.get(tolerance.input)
    return _(template, test=tolerance.test) if template else f"{tolerance.input} {tolerance.test}"


def pdf_problem_words(problem: str | None) -> str:
    return _(PDF_PROBLEMS[problem]) if problem in PDF_PROBLEMS else ""


def decision_words(decision: str) -> str:
    return _(DECISION_WORDS[decision]) if decision in DECISION_WORDS else decision


def filters() -> dict[str, Any]:
    """The Jinja filters the invoice views use."""
    return {"money": money, "number": number, "signed_money": signed_money, "rule_words": rule_words,
            "tolerance_words": tolerance_words, "pdf_problem_words": pdf_problem_words,
            "decision_words": decision_words, "due_words": due_words, "vat_category_words": vat_category_words}


VAT_CATEGORIES = {
    "S": N_("standard rate"), "Z": N_("zero rate"), "E": N_("exempt from VAT"), "AE": N_("VAT reverse charge"),
    "K": N_("intra-community supply"), "G": N_("export outside the EU"), "O": N_("not subject to VAT"),
    "L": N_("Canary Islands tax"), "M": N_("Ceuta and Melilla tax"),
}


def vat_category_words(code: str | None) -> str:
    """A VAT category code in words ("standard rate (S)"); the code alone when unknown."""
    known = VAT_CATEGORIES.get(code or "")
    return f"{_(known)} ({code})" if known else (code or _("not given"))
