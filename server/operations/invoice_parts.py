"""The frozen parts of an invoice review and their JSON form (codes and numbers; the edges word them)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from server.invoices.comparison import BankComparison, LineComparison, VatRow
from server.invoices.models import Invoice
from server.invoices.ubl_types import Attachment

PDF = "application/pdf"
PDF_MAGIC = b"%PDF-"


@dataclasses.dataclass(frozen=True)
class Why:
    """A matched rule of a routing decision: its annotation is the "why this came to you"."""

    at: dt.datetime | None
    decision_id: str
    decision_name: str
    rule_id: str | None
    rule_index: int | None
    annotation: str | None
    outputs: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class DecisionCard:
    """A decision the instance took, as its audit entry has it: the table, the inputs it looked at (with their
    `expression`, `label` and `value`), the matched rules (`index`, `annotation`) and the outputs."""

    at: dt.datetime | None
    element: str | None
    decision: str | None
    inputs: tuple[Mapping[str, Any], ...]
    rules: tuple[Mapping[str, Any], ...]
    outputs: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class Tolerance:
    """A band the deciding table allows on a difference (`test` as written, e.g. `< 1`) before auto-approval."""

    input: str
    test: str
    annotation: str


@dataclasses.dataclass(frozen=True)
class DuplicateLine:
    line_id: str
    item: str
    quantity: Decimal | None
    price: Decimal | None
    amount: Decimal | None


@dataclasses.dataclass(frozen=True)
class DuplicateView:
    """The earlier invoice this one may duplicate, with what they share."""

    id: int
    number: str
    issue_date: dt.date | None
    supplier_name: str
    payable_amount: Decimal | None
    currency: str
    status: str
    instance_id: int | None
    lines: tuple[DuplicateLine, ...]
    same_number: bool
    same_amount_and_date: bool


@dataclasses.dataclass(frozen=True)
class AttachmentView:
    """An embedded attachment; `problem` is None when it can be shown inline, else "not_pdf" or "bad_pdf"."""

    number: int
    name: str
    mime_type: str
    size: int
    description: str
    problem: str | None


@dataclasses.dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime | None
    actor: str
    action: str
    task_name: str | None
    text: str | None
    decision: str | None
    to: str | None


@dataclasses.dataclass(frozen=True)
class Asked:
    """An open task on the invoice and whom it is offered to."""

    task_id: int
    task_name: str
    status: str
    assignee: str | None
    users: tuple[str, ...]
    groups: tuple[str, ...]
    roles: tuple[str, ...]
    due_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class Acted:
    """Someone who acted: `decision` is approve, disapprove, complete or comment."""

    who: str
    task_name: str
    at: dt.datetime | None
    decision: str


@dataclasses.dataclass(frozen=True)
class InvoiceReview:
    """Everything an approver reads about one invoice, as one frozen view."""

    id: int
    number: str
    document_type: str
    status: str
    currency: str
    issue_date: dt.date | None
    due_date: dt.date | None
    days_until_due: int | None
    supplier_name: str
    customer_name: str
    order_reference: str | None
    contact_email: str | None
    payable_amount: Decimal | None
    instance_id: int | None
    totals: Mapping[str, Decimal | None]
    lines: tuple[LineComparison, ...]
    bank: BankComparison | None
    duplicates: tuple[DuplicateView, ...]
    possible_duplicate: bool
    vat: tuple[VatRow, ...]
    vat_total: Decimal | None
    difference_amount: Decimal | None
    difference_pct: Decimal | None
    tolerances: tuple[Tolerance, ...]
    attachments: tuple[AttachmentView, ...]
    why: tuple[Why, ...]
    timeline: tuple[TimelineEntry, ...]
    asked: tuple[Asked, ...]
    acted: tuple[Acted, ...]
    collection: Mapping[str, Any]

    @property
    def pdf_problem(self) -> str | None:
        """None when a PDF can be shown; "no_attachment", "no_pdf" or "bad_pdf" otherwise."""
        if not self.attachments:
            return "no_attachment"
        if any(a.problem is None for a in self.attachments):
            return None
        return "bad_pdf" if any(a.problem == "bad_pdf" for a in self.attachments) else "no_pdf"

    @property
    def lines_differ(self) -> bool:
        return any(line.differs for line in self.lines)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe: amounts as strings (with `currency` beside them), dates and times as ISO text."""
        body = plain(dataclasses.asdict(self))
        body["pdf_problem"] = self.pdf_problem
        body["bank"] = None if self.bank is None else {**plain(dataclasses.asdict(self.bank)),
                                                       "differs": self.bank.differs}
        body["lines"] = [{**plain(dataclasses.asdict(line)), "differs": line.differs} for line in self.lines]
        return body


def plain(value: Any) -> Any:
    """Decimals as strings, dates as ISO text, tuples as lists, mappings as dicts (recursively)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def attachment_views(attachments: Iterable[Attachment]) -> tuple[AttachmentView, ...]:
    """The embedded attachments numbered from 1 (as the attachment URLs count); PDFs checked by their bytes."""
    found = [a for a in attachments if a.content]
    views = []
    for number, item in enumerate(found, start=1):
        mime = item.mime_type or ""
        problem = None if mime == PDF and (item.content or b"").startswith(PDF_MAGIC) else (
            "bad_pdf" if mime == PDF else "not_pdf")
        views.append(AttachmentView(number=number, name=item.filename or item.id or f"attachment-{number}",
                                    mime_type=mime, size=item.size, description=item.description or "",
                                    problem=problem))
    return tuple(views)


def duplicate_view(other: Invoice, invoice: Invoice) -> DuplicateView:
    """The earlier invoice beside this one: number, date, supplier, amount, lines and what they share."""
    lines = [line for line in (other.data or {}).get("lines") or [] if isinstance(line, dict)]
    return DuplicateView(
        id=other.id, number=other.number, issue_date=other.issue_date, supplier_name=other.supplier_name,
        payable_amount=other.payable_amount, currency=other.currency or "EUR", status=other.status,
        instance_id=other.instance_id,
        lines=tuple(DuplicateLine(line_id=str(line.get("id") or ""),
                                  item=str(line.get("item_name") or line.get("description") or ""),
                                  quantity=_decimal(line.get("quantity")),
                                  price=_decimal((line.get("price") or {}).get("amount")),
                                  amount=_decimal(line.get("net_amount"))) for line in lines),
        same_number=other.number.strip().casefold() == invoice.number.strip().casefold(),
        same_amount_and_date=(other.payable_amount == invoice.payable_amount
                              and other.issue_date == invoice.issue_date))


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except ArithmeticError:
        return None
