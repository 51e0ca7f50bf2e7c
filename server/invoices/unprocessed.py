"""Documents left `received`: when one counts as left unprocessed, and the claim that lets one runner at a
time (the recovery job, or a re-delivery of its bytes) process it, backing off after each failed try.

Ingest stores a document in one transaction and processes it in the next; a process that dies in between,
or processing that raises, leaves the document `received`. Past the grace period (STROOM_RECOVER_AFTER_SECONDS)
its first delivery is no longer processing it. The claim is one conditional UPDATE on the attempt count the
claimer read, so of two claimers exactly one wins; it also sets when the next claim may come (`recovery_due`):
the lease of this try and, should it fail, the back-off. A runner that processes the document anyway (its
slow first delivery) is kept out by the row lock processing takes (server.invoices.service.process).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, literal_column, or_, select, update
from sqlalchemy.orm import Session

from server.db import execute
from server.invoices.models import ReceivedDocument
from server.settings import Settings

MAX_ATTEMPTS = 5  # tries of the recovery job; then the document stays in the inbox with its last error
BACKOFF_CAP = dt.timedelta(hours=6)
ERROR_LIMIT = 2000
# A literal, not a bound value: only then do SQLite and PostgreSQL's generic plans use the partial index.
_RECEIVED = ReceivedDocument.status == literal_column("'received'")


def grace(settings: Settings) -> dt.timedelta:
    """How long a document may stay `received` while its first delivery is still processing it."""
    return dt.timedelta(seconds=settings.recover_after_seconds)


def left_unprocessed(document: ReceivedDocument, *, now: dt.datetime, grace: dt.timedelta) -> bool:
    """Whether the document is still `received` past the grace period (its first delivery gave up on it)."""
    return document.status == "received" and document.received_at <= now - grace


def retry_delay(attempt: int, *, grace: dt.timedelta) -> dt.timedelta:
    """The wait after the `attempt`-th try (1-based) before the next: the grace period, doubled per try."""
    return min(grace * 2 ** min(max(attempt - 1, 0), 16), BACKOFF_CAP)


def due(session: Session, *, now: dt.datetime, grace: dt.timedelta, limit: int) -> list[tuple[int, int]]:
    """(document id, tries so far) of documents of every environment left unprocessed and due for a try,
    oldest first; one tried MAX_ATTEMPTS times is left alone."""
    query = (select(ReceivedDocument.id, ReceivedDocument.recovery_attempts)
             .where(_RECEIVED, ReceivedDocument.received_at <= now - grace,
                    ReceivedDocument.recovery_attempts < MAX_ATTEMPTS,
                    or_(ReceivedDocument.recovery_due.is_(None), ReceivedDocument.recovery_due <= now))
             .order_by(ReceivedDocument.received_at, ReceivedDocument.id).limit(limit))
    return [(document_id, attempts) for document_id, attempts in session.execute(query)]


def claim(session: Session, *, document_id: int, attempts: int, now: dt.datetime, grace: dt.timedelta) -> bool:
    """Take the document for one try, in the caller's unit of work: True for exactly one of the claimers
    that read `attempts` tries, while it is still left unprocessed and no earlier try holds it."""
    claimed = execute(session, _CLAIM, {"doc_id": document_id, "seen": attempts, "now": now,
                                        "stale_before": now - grace, "tries": attempts + 1,
                                        "next_due": now + retry_delay(attempts + 1, grace=grace)})
    return claimed.rowcount == 1


def claim_redelivered(session: Session, document: ReceivedDocument, *, now: dt.datetime,
                      grace: dt.timedelta) -> bool:
    """Claim a document whose bytes were delivered again, when it was left unprocessed (no statement
    otherwise); a re-delivery counts as a try but is not held back by the recovery job's limit of tries."""
    if not left_unprocessed(document, now=now, grace=grace):
        return False
    return claim(session, document_id=document.id, attempts=document.recovery_attempts, now=now, grace=grace)


def record_failure(session: Session, *, document_id: int, error: str) -> None:
    """Keep the last failure of a try (shown in the inbox) on a document still `received`."""
    session.execute(update(ReceivedDocument)
                    .where(ReceivedDocument.id == document_id, ReceivedDocument.status == "received")
                    .values(recovery_error=error[-ERROR_LIMIT:])
                    .execution_options(synchronize_session=False))


# Built once (see server.db.execute).
_CLAIM = (update(ReceivedDocument)
          .where(ReceivedDocument.id == bindparam("doc_id"), _RECEIVED,
                 ReceivedDocument.recovery_attempts == bindparam("seen"),
                 ReceivedDocument.received_at <= bindparam("stale_before"),
                 or_(ReceivedDocument.recovery_due.is_(None), ReceivedDocument.recovery_due <= bindparam("now")))
          .values(recovery_attempts=bindparam("tries"), recovery_due=bindparam("next_due")))
