"""Service tasks of the shipped templates: match and record purchase invoices, the instance's initiator,
trusted senders, concept sales invoices sent."""
from __future__ import annotations

from collections.abc import Callable
from email.utils import parseaddr
from typing import Any

from sqlalchemy import bindparam, func, select, union
from sqlalchemy.orm import Session

from server import causes
from server.audit import service as audit
from server.db import execute, utcnow
from server.engine import ServiceCall, ServiceParam, describe
from server.instances.models import ProcessInstance
from server.invoices import service as ingestion
from server.invoices.facts import EarlierInvoice, facts_from_invoice
from server.invoices.matching import match
from server.invoices.models import Invoice
from server.invoices.parsed import parsed_invoice, remembered_masterdata
from server.invoices.snapshot import snapshot_for
from server.masterdata import service as masterdata
from server.masterdata.inputs import TrustedSenderInput


def _invoice(call: ServiceCall) -> Invoice:
    ctx = call.context
    invoice_id = call.params.get("invoice_id", call.data.get("invoice_id"))
    invoice = ctx.session.get(Invoice, invoice_id) if invoice_id is not None else None
    if invoice is None or invoice.environment_id != ctx.environment_id:
        raise causes.CausedError(f"invoice {invoice_id} not found", cause=causes.NO_INVOICE)
    return invoice


_EARLIER = select(Invoice.number, Invoice.issue_date, Invoice.payable_amount, Invoice.supplier_id,
                  Invoice.supplier_key, Invoice.id, Invoice.document_type).where(
    Invoice.environment_id == bindparam("env"), Invoice.supplier_key == bindparam("supplier_key"),
    Invoice.id < bindparam("id"))
# Two arms so each uses its own index (migration 0008): same issue date, same folded number.
_EARLIER_SAME_NUMBER_OR_DATE = union(
    _EARLIER.where(Invoice.issue_date == bindparam("issue_date")),
    _EARLIER.where(func.lower(func.trim(Invoice.number)) == bindparam("number")))


def earlier_invoices(session: Session, invoice: Invoice) -> list[EarlierInvoice]:
    """The supplier's earlier invoices that may be duplicates: same number or same issue date.

    Narrowed in SQL (a superset of what `match` flags) and read as plain columns, so the cost does
    not grow with every invoice the supplier ever sent. A non-ASCII number is compared in Python
    only, as SQL lower() does not fold it the way str.casefold() does."""
    number = invoice.number.strip()
    params = {"env": invoice.environment_id, "id": invoice.id, "supplier_key": invoice.supplier_key,
              "issue_date": invoice.issue_date, "number": number.lower()}
    query = _EARLIER_SAME_NUMBER_OR_DATE if number.isascii() else _EARLIER
    return [EarlierInvoice(number=n, issue_date=d, payable_amount=a, supplier_id=s, supplier_key=k, id=i,
                           document_type=t)
            for n, d, a, s, k, i, t in execute(session, query, params)]


@describe("Match invoice", description="Compute the e-invoice data collection against the master data.",
          params=(ServiceParam("invoice_id", "Invoice id", description="FEEL; the process's invoice_id by default"),))
def match_invoice(call: ServiceCall) -> dict[str, Any]:
    """Compute the e-invoice data collection and merge it into the process data."""
    session = call.context.session
    invoice = _invoice(call)
    facts = facts_from_invoice(parsed_invoice(session, invoice))
    masterdata = remembered_masterdata(session, invoice.id) or snapshot_for(
        session, environment_id=invoice.environment_id, facts=facts)
    result = match(facts, masterdata,
                   today=utcnow().date(), earlier_invoices=earlier_invoices(session, invoice))
    collection = result.collection()
    # The English sentences as the API always gave them; the codes and values beside them are what the
    # pages translate (server.masterdata.reasons).
    texts, coded = [r.text for r in result.reasons], [r.to_json() for r in result.reasons]
    invoice.collection = {**collection, "reasons": texts, "coded_reasons": coded}
    invoice.supplier_id, invoice.administration_id = result.supplier_id, result.administration_id
    return {**collection, "match_reasons": texts, "match_coded_reasons": coded, "supplier_id": result.supplier_id,
            "administration_id": result.administration_id}


@describe("Record outcome", description="Mark the invoice approved (ready to book) or disapproved.",
          params=(ServiceParam("outcome", "Outcome", kind="choice", required=True,
                               choices=("approved", "disapproved")),))
def record_outcome(call: ServiceCall) -> dict[str, Any]:
    """Mark the invoice approved (ready to book) or disapproved, as the workflow decided."""
    invoice = _invoice(call)
    outcome = str(call.params.get("outcome") or call.data.get("outcome") or "")
    if outcome not in ("approved", "disapproved"):
        raise ValueError(f"outcome must be approved or disapproved, not {outcome!r}")
    before = invoice.status
    invoice.status = outcome
    invoice.note = str(call.data.get("reason") or call.data.get("comment") or "")[:2000] or None
    audit.record(call.context.session, actor=call.context.actor, action=f"invoice.{outcome}",
                 target_type="invoice", target_id=invoice.id, instance_id=call.context.instance_id,
                 before={"status": before}, after={"status": outcome, "note": invoice.note})
    return {"outcome": outcome}


@describe("Set initiator", description="initiator: who started the instance (start data cannot forge it).")
def set_initiator(call: ServiceCall) -> dict[str, Any]:
    """`initiator`: who started the instance, from the instance row (start data cannot forge it)."""
    ctx = call.context
    instance = ctx.session.get(ProcessInstance, ctx.instance_id) if ctx.instance_id is not None else None
    if instance is None:
        raise LookupError("set_initiator runs only inside a process instance")
    return {"initiator": instance.started_by}


@describe("Store trusted sender", description="Trust a sender address and start its waiting documents.",
          params=(ServiceParam("email", "E-mail address", description="FEEL; the process's email by default"),))
def store_trusted_sender(call: ServiceCall) -> dict[str, Any]:
    """Add the approved address to the trusted senders and start the documents of it that wait."""
    ctx = call.context
    email = parseaddr(str(call.params.get("email") or call.data.get("email") or ""))[1].strip().lower()
    requested_by = str(call.data.get("initiator") or ctx.actor.name)
    if not masterdata.is_trusted_sender(ctx.session, email, environment_id=ctx.environment_id):
        masterdata.create_trusted_sender(ctx.session, TrustedSenderInput(email, requested_by),
                                         environment_id=ctx.environment_id)
        audit.record(ctx.session, actor=ctx.actor, action="trusted_sender.added", target_type="trusted_sender",
                     target_id=email, instance_id=ctx.instance_id, after={"email": email, "requested_by": requested_by})
    started = ingestion.start_waiting_documents(ctx.session, ctx.host, actor=ctx.actor, sender=email)
    return {"trusted_sender": email, "released_documents": started}


@describe("Mark sales invoice sent", description="The approved concept counts as sent (audited).")
def mark_sales_invoice_sent(call: ServiceCall) -> dict[str, Any]:
    """The approved concept counts as sent from now on (recorded in the audit trail)."""
    ctx = call.context
    data = call.data
    sent_at = utcnow().isoformat()
    audit.record(ctx.session, actor=ctx.actor, action="sales_invoice.sent", target_type="sales_invoice",
                 target_id=str(data.get("invoice_number") or ctx.instance_id), instance_id=ctx.instance_id,
                 after={"number": data.get("invoice_number"), "customer": data.get("customer_name"),
                        "amount": data.get("payable_amount"), "currency": data.get("currency"),
                        "approved_by": _last_actor(data)})
    return {"sales_invoice_status": "sent", "sent_at": sent_at}


def _last_actor(data: Any) -> str | None:
    actors = data.get("_actors") if isinstance(data.get("_actors"), dict) else {}
    reviewers = actors.get("review_concept") or []
    return str(reviewers[-1]) if reviewers else None


def services() -> dict[str, Callable[[ServiceCall], Any]]:
    return {"match_invoice": match_invoice, "record_outcome": record_outcome, "set_initiator": set_initiator,
            "store_trusted_sender": store_trusted_sender, "mark_sales_invoice_sent": mark_sales_invoice_sent}
