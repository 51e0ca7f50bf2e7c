"""The invoice parsed on ingest, kept for the purchase workflow's first steps in the same transaction."""
from __future__ import annotations

from sqlalchemy.orm import Session

from server.invoices.models import Invoice, ReceivedDocument
from server.invoices.ubl import parse_invoice
from server.invoices.ubl_types import Invoice as ParsedInvoice
from server.masterdata.records import MasterData
from server.txlocal import TransactionLocal

# Invoice id -> the document parsed on ingest; gone when the unit of work commits or rolls back.
_PARSED: TransactionLocal[dict[int, ParsedInvoice]] = TransactionLocal(dict)
# Invoice id -> its master data, read on ingest before the transaction (SQLite: outside the writer lock).
_MASTERDATA: TransactionLocal[dict[int, MasterData]] = TransactionLocal(dict)


def remember_parsed(session: Session, invoice_id: int, parsed: ParsedInvoice,
                    masterdata: MasterData | None = None) -> None:
    """Keep the invoice just parsed on ingest (and the master data read for it, if any) for `match_invoice`
    in the same transaction: no second parse, no second read."""
    _PARSED.get(session)[invoice_id] = parsed
    if masterdata is not None:
        _MASTERDATA.get(session)[invoice_id] = masterdata


def remembered_masterdata(session: Session, invoice_id: int) -> MasterData | None:
    """The master data ingest read for this invoice, once (a later match in the same run may follow a step
    that changed master data, so it reads again); None when there is none: read it now."""
    return (_MASTERDATA.peek(session) or {}).pop(invoice_id, None)


def parsed_invoice(session: Session, invoice: Invoice) -> ParsedInvoice:
    """The invoice's parsed document: the one ingest remembered, else parsed again from the stored bytes."""
    parsed = (_PARSED.peek(session) or {}).get(invoice.id)
    if parsed is None:  # a retry or a later run: parse the stored document again
        document = session.get(ReceivedDocument, invoice.document_id)
        assert document is not None
        parsed = parse_invoice(document.content, max_bytes=max(len(document.content), 1))
    return parsed
