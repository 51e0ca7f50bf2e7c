"""The invoice as an approver decides from it: lines beside the order and receipts, both bank accounts, the
possible duplicate side by side, the VAT breakdown, the PDF, why it came to them, and who did what.

One builder (`build`) behind two verbs: `for_task` (the task page and GET /api/v1/tasks/{id}, with the
decision cards of the task's instance) and `for_invoice` (the invoice page and GET /api/v1/invoices/{id}). A
view parses the document once and reads the instance's tasks and its decisions once each. It answers codes and numbers, never
sentences: the edges put them into the reader's words. The comparison is made against master data as it
stands now (a receipt booked after the decision shows); the data collection is the one the decision read.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.models import AuditEvent
from server.auth.actor import Actor
from server.auth.permissions import require
from server.db import utcnow
from server.decisions.cells import rule_cells
from server.instances.models import ProcessInstance, ProcessModelVersion
from server.invoices import service as ingestion
from server.invoices.attachments import numbered
from server.invoices.comparison import (
    BankComparison,
    LineComparison,
    compare_bank,
    compare_lines,
    vat_breakdown,
)
from server.invoices.facts import facts_from_invoice
from server.invoices.matching import match
from server.invoices.models import Invoice, ReceivedDocument
from server.invoices.safexml import DocumentError
from server.invoices.snapshot import snapshot_for
from server.invoices.steps import earlier_invoices
from server.invoices.ubl import parse_invoice
from server.invoices.ubl_types import Attachment
from server.invoices.ubl_types import Invoice as ParsedInvoice
from server.operations.invoice_parts import (
    Acted,
    Asked,
    AttachmentView,
    DecisionCard,
    DuplicateView,
    InvoiceReview,
    TimelineEntry,
    Tolerance,
    Why,
    attachment_views,
    duplicate_view,
    plain,
)
from server.tasks import access
from server.tasks.models import OPEN_STATUSES, HumanTask

__all__ = ["Acted", "Asked", "AttachmentView", "DecisionCard", "DuplicateView", "InvoiceReview", "TaskReview",
           "TimelineEntry", "Tolerance", "Why", "attachment", "build", "for_invoice", "for_task"]
ROUTING_OUTPUTS = ("route_to", "route_type", "auto_approve")
TOLERANCE_INPUTS = ("confrontation_difference_pct", "confrontation_difference_amount")
TIMELINE_PREFIXES = ("task.", "admin.", "invoice.", "mail.", "timer.", "incident.")
TIMELINE_ACTIONS = ("instance.started", "engine.decision", "document.received", "document.started")
TIMELINE_LIMIT = 200


@dataclasses.dataclass(frozen=True)
class TaskReview:
    """The review of a task's invoice (None when the task handles no invoice) and its instance's decisions."""

    review: InvoiceReview | None
    decisions: tuple[DecisionCard, ...]


def for_task(session: Session, *, actor: Actor, task_id: int) -> TaskReview:
    """The review of the task's invoice and the decisions the instance took; NotFound like the task."""
    require(actor, "tasks.read")
    task = access.get_task(session, actor, task_id)
    # A delegate from a partner environment sees the task's invoice, nothing else of the instance or its peers.
    whole = actor.environment_id == task.environment_id
    events = _decision_events(session, task.environment_id, task.instance_id) if whole else []
    invoice = session.scalars(select(Invoice).where(Invoice.environment_id == task.environment_id,
                                                    Invoice.instance_id == task.instance_id)).first()
    review = build(session, invoice=invoice, whole=whole, decisions=events) if invoice is not None else None
    return TaskReview(review=review, decisions=tuple(_decision_card(e) for e in events))


def for_invoice(session: Session, *, actor: Actor, invoice_id: int) -> InvoiceReview:
    """The review of an invoice of the caller's environment (NotFound otherwise)."""
    require(actor, "invoices.read")
    return build(session, invoice=ingestion.get_invoice(session, actor, invoice_id), whole=True)


def attachment(session: Session, *, actor: Actor, invoice_id: int, number: int) -> Attachment | None:
    """Embedded attachment `number` (1 is the first) of an invoice of the caller's environment, or None."""
    require(actor, "invoices.read")
    invoice = ingestion.get_invoice(session, actor, invoice_id)
    document = session.get(ReceivedDocument, invoice.document_id)
    return numbered(document.content, number) if document is not None else None


def build(session: Session, *, invoice: Invoice, whole: bool = True, today: dt.date | None = None,
          decisions: Sequence[AuditEvent] | None = None) -> InvoiceReview:
    """Everything the approver reads about one invoice; `whole=False` leaves out the instance and other invoices.
    `decisions`: the instance's `engine.decision` entries when the caller has read them already."""
    parsed = _parsed(session, invoice)
    today = today or utcnow().date()
    collection = dict(invoice.collection or {})
    lines, bank, duplicates_of = _compared(session, invoice, parsed, today)
    duplicates = _duplicates(session, invoice, duplicates_of) if whole else ()
    if whole and decisions is None and invoice.instance_id is not None:
        decisions = _decision_events(session, invoice.environment_id, invoice.instance_id)
    why = _why(decisions or ()) if whole else ()
    tasks = _tasks(session, invoice) if whole else []
    days = (invoice.due_date - today).days if invoice.due_date is not None else None
    return InvoiceReview(
        id=invoice.id, number=invoice.number, document_type=invoice.document_type, status=invoice.status,
        currency=invoice.currency or "EUR", issue_date=invoice.issue_date, due_date=invoice.due_date,
        days_until_due=days, supplier_name=invoice.supplier_name,
        customer_name=parsed.customer.display_name if parsed else "",
        order_reference=parsed.order_reference if parsed else None, contact_email=invoice.contact_email,
        payable_amount=invoice.payable_amount, instance_id=invoice.instance_id if whole else None,
        totals=_totals(parsed), lines=lines, bank=bank, duplicates=duplicates,
        possible_duplicate=bool(collection.get("possible_duplicate") or duplicates_of),
        vat=vat_breakdown(parsed) if parsed else (), vat_total=parsed.tax_amount if parsed else None,
        difference_amount=_decimal(collection.get("confrontation_difference_amount")),
        difference_pct=_decimal(collection.get("confrontation_difference_pct")),
        tolerances=_tolerances(session, invoice, why) if whole else (),
        attachments=attachment_views(parsed.attachments if parsed else ()), why=why,
        timeline=_timeline(session, invoice, tasks) if whole else (), asked=_asked(tasks), acted=_acted(tasks),
        collection=plain(collection))


def _compared(session: Session, invoice: Invoice, parsed: ParsedInvoice | None, today: dt.date
              ) -> tuple[tuple[LineComparison, ...], BankComparison | None, tuple[int, ...]]:
    """The lines and bank account against master data as it stands now, and the earlier look-alikes."""
    if parsed is None:
        return (), None, ()
    facts = facts_from_invoice(parsed)
    masterdata = snapshot_for(session, environment_id=invoice.environment_id, facts=facts)
    result = match(facts, masterdata, today=today, earlier_invoices=earlier_invoices(session, invoice))
    return compare_lines(parsed, masterdata, result), compare_bank(parsed, masterdata, result), result.duplicate_of


def _parsed(session: Session, invoice: Invoice) -> ParsedInvoice | None:
    document = session.get(ReceivedDocument, invoice.document_id)
    if document is None:
        return None
    try:
        return parse_invoice(document.content, max_bytes=max(len(document.content), 1))
    except DocumentError:
        return None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _totals(parsed: ParsedInvoice | None) -> Mapping[str, Decimal | None]:
    if parsed is None:
        return {}
    totals = parsed.totals
    return {"line_extension": totals.line_extension, "tax_exclusive": totals.tax_exclusive,
            "tax_inclusive": totals.tax_inclusive, "payable": totals.payable}


def _duplicates(session: Session, invoice: Invoice, ids: tuple[int, ...]) -> tuple[DuplicateView, ...]:
    if not ids:
        return ()
    rows = session.scalars(select(Invoice).where(Invoice.environment_id == invoice.environment_id,
                                                 Invoice.id.in_(ids)).order_by(Invoice.id)).all()
    return tuple(duplicate_view(row, invoice) for row in rows)


def _decision_events(session: Session, environment_id: int, instance_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.environment_id == environment_id, AuditEvent.instance_id == instance_id,
        AuditEvent.action == "engine.decision").order_by(AuditEvent.seq)))


def _decision_card(event: AuditEvent) -> DecisionCard:
    after = event.after or {}
    trace = after.get("trace") or {}
    return DecisionCard(at=event.at, element=after.get("name") or event.target_id,
                        decision=trace.get("decision_name") or after.get("decision"),
                        inputs=tuple(i for i in trace.get("inputs", []) if isinstance(i, dict)),
                        rules=tuple(after.get("matched_rules") or ()), outputs=after.get("outputs") or {})


def _why(events: Sequence[AuditEvent]) -> tuple[Why, ...]:
    """The routing decisions' matched rules (the decisions whose outputs route; else every decision)."""
    routing = [e for e in events if any(k in ((e.after or {}).get("outputs") or {}) for k in ROUTING_OUTPUTS)]
    found = []
    for event in routing or events:
        after = event.after or {}
        trace = after.get("trace") or {}
        outputs = after.get("outputs") or {}
        for rule in after.get("matched_rules") or [{}]:
            found.append(Why(at=event.at, decision_id=str(trace.get("decision_id") or after.get("decision") or ""),
                             decision_name=str(trace.get("decision_name") or after.get("decision") or ""),
                             rule_id=rule.get("id"), rule_index=rule.get("index"), annotation=rule.get("annotation"),
                             outputs=plain(outputs if isinstance(outputs, dict) else {})))
    return tuple(found)


def _tolerances(session: Session, invoice: Invoice, why: tuple[Why, ...]) -> tuple[Tolerance, ...]:
    """The bands the deciding table allows on the confrontation difference before it approves automatically."""
    if invoice.instance_id is None or not why:
        return ()
    version = session.scalars(select(ProcessModelVersion).join(
        ProcessInstance, ProcessInstance.model_version_id == ProcessModelVersion.id).where(
        ProcessInstance.id == invoice.instance_id)).first()
    sources = version.dmn_sources if version is not None else {}
    found: list[Tolerance] = []
    for decision_id in dict.fromkeys(w.decision_id for w in why):
        for source in sources.values():
            xml = source.encode() if isinstance(source, str) else bytes(source)
            for rule in rule_cells(xml, decision_id=decision_id):
                if rule.outputs.get("auto_approve", "").strip() != "true":
                    continue
                found.extend(Tolerance(input=name, test=rule.inputs[name], annotation=rule.annotation)
                             for name in TOLERANCE_INPUTS if rule.inputs.get(name, "-") not in ("-", ""))
    return tuple(found)


def _tasks(session: Session, invoice: Invoice) -> list[HumanTask]:
    if invoice.instance_id is None:
        return []
    return list(session.scalars(select(HumanTask).where(HumanTask.environment_id == invoice.environment_id,
                                                       HumanTask.instance_id == invoice.instance_id)
                                .order_by(HumanTask.id)))


def _asked(tasks: Sequence[HumanTask]) -> tuple[Asked, ...]:
    return tuple(Asked(task_id=t.id, task_name=t.name, status=t.status, assignee=t.assignee,
                       users=tuple(t.candidate_users or ()), groups=tuple(t.candidate_groups or ()),
                       roles=tuple(t.candidate_roles or ()), due_at=t.due_at)
                 for t in tasks if t.status in OPEN_STATUSES)


def _acted(tasks: Sequence[HumanTask]) -> tuple[Acted, ...]:
    done = []
    for task in tasks:
        outcome = task.outcome or {}
        decision = outcome.get("decision") if outcome.get("decision") in ("approve", "disapprove") else None
        if decision is None and isinstance(outcome.get("approved"), bool):
            decision = "approve" if outcome["approved"] else "disapprove"
        if task.completed_by:
            done.append(Acted(who=task.completed_by, task_name=task.name, at=task.completed_at,
                              decision=decision or "complete"))
        done.extend(Acted(who=str(c.get("by") or ""), task_name=task.name, at=_when(c.get("at")),
                          decision="comment") for c in task.comments or () if isinstance(c, dict))
    return tuple(sorted(done, key=lambda a: a.at or dt.datetime.min.replace(tzinfo=dt.UTC)))


def _names(value: Any) -> str | None:
    """A recipient or a list of them as one text ("a, b"); None when there is none."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or None
    return str(value) if value else None


def _when(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _timeline(session: Session, invoice: Invoice, tasks: Sequence[HumanTask]) -> tuple[TimelineEntry, ...]:
    """The instance's comments, decisions, task steps, interventions and mail, oldest first."""
    if invoice.instance_id is None:
        return ()
    names = {str(t.id): t.name for t in tasks}
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.environment_id == invoice.environment_id, AuditEvent.instance_id == invoice.instance_id)
        .order_by(AuditEvent.seq).limit(TIMELINE_LIMIT * 4))
    entries = []
    for event in events:
        if not (event.action in TIMELINE_ACTIONS or event.action.startswith(TIMELINE_PREFIXES)):
            continue
        after = event.after or {}
        found = after.get("data")
        data: dict[str, Any] = found if isinstance(found, dict) else {}
        text = after.get("text") or data.get("reason") or data.get("comment") or after.get("note") or None
        decision = data.get("decision") if data.get("decision") in ("approve", "disapprove") else None
        if event.action == "engine.decision":
            rules = [r.get("annotation") for r in after.get("matched_rules") or [] if r.get("annotation")]
            text = "; ".join(rules) or None
        entries.append(TimelineEntry(at=event.at, actor=event.actor, action=event.action,
                                     task_name=names.get(event.target_id or "") if event.target_type == "task" else None,
                                     text=str(text) if text else None, decision=decision,
                                     to=_names(after.get("to") or after.get("delegated_to"))))
    return tuple(entries[-TIMELINE_LIMIT:])
