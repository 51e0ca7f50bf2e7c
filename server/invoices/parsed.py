"""The invoice parsed on ingest, kept for the purchase workflow's first steps in the same transaction."""
from __future__ import annotations

from sqlalchemy.orm import Session

from server.invoices.models import Invoice, ReceivedDocument
from server.invoices.ubl import parse_invoice
from server.invoices.ubl_types import Invoice as ParsedInvoice

_PARSED = "parsed_invoices"


def remember_parsed(session: Session, invoice_id: int, parsed: ParsedInvoice) -> None:
    """Keep the invoice just parsed on ingest for `match_invoice` in the same transaction (no second parse)."""
    session.info.setdefault(_PARSED, {})[invoice_id] = parsed


def parsed_invoice(session: Session, invoice: Invoice) -> ParsedInvoice:
    """The invoice's parsed document: the one ingest remembered, else parsed again from the stored bytes."""
    parsed = session.info.get(_PARSED, {}).get(invoice.id)
    if parsed is None:  # a retry or a later run: parse the stored document again
        document = session.get(ReceivedDocument, invoice.document_id)
        assert document is not None
        parsed = parse_invoice(document.content, max_bytes=max(len(document.content), 1))
    return parsed
