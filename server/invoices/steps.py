"""Service tasks of the purchase-invoice workflow: match against master data, record the outcome."""
from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import select

from server.audit import service as audit
from server.db import utcnow
from server.engine import ServiceCall
from server.invoices.matching import EarlierInvoice, facts_from_invoice, match
from server.invoices.models import Invoice, ReceivedDocument
from server.invoices.ubl import parse_invoice
from server.masterdata.snapshot import snapshot_for


def _invoice(call: ServiceCall) -> Invoice:
    ctx = call.context
    invoice_id = call.params.get("invoice_id", call.data.get("invoice_id"))
    invoice = ctx.session.get(Invoice, invoice_id)
    if invoice is None or invoice.environment_id != ctx.environment_id:
        raise LookupError(f"invoice {invoice_id} not found")
    return invoice


def match_invoice(call: ServiceCall) -> dict[str, Any]:
    """Compute the e-invoice data collection and merge it into the process data."""
    session = call.context.session
    invoice = _invoice(call)
    document = session.get(ReceivedDocument, invoice.document_id)
    assert document is not None
    parsed = parse_invoice(document.content, max_bytes=max(len(document.content), 1))
    facts = facts_from_invoice(parsed)
    earlier = [EarlierInvoice(number=i.number, issue_date=i.issue_date, payable_amount=i.payable_amount,
                              supplier_id=i.supplier_id, supplier_key=i.supplier_key, id=i.id)
               for i in session.scalars(select(Invoice).where(
                   Invoice.environment_id == invoice.environment_id, Invoice.id < invoice.id,
                   Invoice.supplier_key == invoice.supplier_key))]
    result = match(facts, snapshot_for(session, environment_id=invoice.environment_id, facts=facts),
                   today=utcnow().date(), earlier_invoices=earlier)
    collection = result.collection()
    invoice.collection = {**collection, "reasons": list(result.reasons)}
    invoice.supplier_id, invoice.administration_id = result.supplier_id, result.administration_id
    session.flush()
    return {**collection, "match_reasons": list(result.reasons), "supplier_id": result.supplier_id,
            "administration_id": result.administration_id}


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


def services() -> dict[str, Callable[[ServiceCall], Any]]:
    return {"match_invoice": match_invoice, "record_outcome": record_outcome}
