"""The invoice parsed on ingest, kept for the purchase workflow's first steps in the same transaction."""
from __future__ import annotations

from sqlalchemy.orm import Session

from server.invoices.models import Invoice, ReceivedDocument
from server.invoices.ubl import parse_invoice
from server.invoices.ubl_types import Invoice as ParsedInvoice
from server.txlocal import TransactionLocal

# Invoice id -> the document parsed on ingest; gone when the unit of work commits or rolls back.
_PARSED: TransactionLocal[dict[int, ParsedInvoice]] = TransactionLocal(dict)


def remember_parsed(session: Session, invoice_id: int, parsed: ParsedInvoice) -> None:
    """Keep the invoice just parsed on ingest for `match_invoice` in the same transaction (no second parse)."""
    _PARSED.get(session)[invoice_id] = parsed


def parsed_invoice(session: Session, invoice: Invoice) -> ParsedInvoice:
    """The invoice's parsed document: the one ingest remembered, else parsed again from the stored bytes."""
    parsed = (_PARSED.peek(session) or {}).get(invoice.id)
    if parsed is None:  # a retry or a later run: parse the stored document again
        document = session.get(ReceivedDocument, invoice.document_id)
        assert document is not None
        parsed = parse_invoice(document.content, max_bytes=max(len(document.content), 1))
    return parsed
