"""Batch entries: one chained audit entry for many records, each record kept as a detail row.

A master-data import changes up to 10^5-10^6 records a day. One chained entry per record cost about
55 us a record (JSON twice, an HMAC, a row with two JSON columns), most of an import's time. A batch
(one chunk of an import) is written instead as:

- one detail row per record in `audit_details`: the record's target type and id, and its before and
  after as JSON text (hashed exactly as stored, so no database's JSON type can reorder it);
- one ordinary chained entry whose `after` names the batch, its record count, first and last record
  and the SHA-256 digest over the batch's detail rows in order.

The chain's HMAC covers the digest, and `verify` recomputes every digest from the detail rows, so an
edited, deleted, added or reordered detail row breaks verification at the batch's entry. A record's
history stays one indexed query (`history`).
"""
from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.actor import Actor
from server.audit.models import AuditDetail, AuditEvent
from server.audit.service import record
from server.db import insert_many

Change = tuple[str, Any, Any]  # (target id, before, after); before None: created
# Not sorted: the digest covers the text as stored, so it needs no canonical form (sorting cost 30 %).
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)


class Encoded(str):
    """A before or after already encoded as JSON (`encoded`): an importer encodes each row's after ahead of
    the chunk's transaction, outside SQLite's writer lock or while PostgreSQL works on the chunk before."""


def encoded(value: Any) -> Encoded:
    return Encoded(_COMPACT.encode(value))


def _detail(before: Any, after: Any) -> str:
    """{"before": .., "after": ..} as compact JSON: the same text as encoding that dict at once."""
    return "".join(('{"before":', before if isinstance(before, Encoded) else _COMPACT.encode(before),
                    ',"after":', after if isinstance(after, Encoded) else _COMPACT.encode(after), "}"))


def _line(target_type: str, target_id: str, detail: str) -> bytes:
    return f"{target_type}\t{target_id}\t{detail}\n".encode()


def digest(rows: Iterable[tuple[str, str, str]]) -> str:
    """SHA-256 over (target type, target id, detail) rows in their order."""
    hashed = hashlib.sha256()
    for target_type, target_id, detail in rows:
        hashed.update(_line(target_type, target_id, detail))
    return hashed.hexdigest()


def record_batch(session: Session, *, actor: Actor, action: str, target_type: str, changes: list[Change],
                 note: str | None = None, summary: dict[str, Any] | None = None) -> int:
    """Write the changes as detail rows and queue one chained entry with their digest; returns how many."""
    if not changes:
        return 0
    batch, env = uuid.uuid4().hex, actor.environment_id
    rows = [{"environment_id": env, "batch": batch, "position": n, "target_type": target_type,
             "target_id": key, "detail": _detail(before, after)}
            for n, (key, before, after) in enumerate(changes)]
    insert_many(session, AuditDetail.__table__, rows)
    hashed = digest((target_type, str(row["target_id"]), str(row["detail"])) for row in rows)
    record(session, actor=actor, action=action, target_type=target_type, target_id=f"batch:{batch}", note=note,
           after={**(summary or {}), "batch": batch, "records": len(rows), "first": changes[0][0],
                  "last": changes[-1][0], "digest": hashed})
    return len(rows)


def history(session: Session, environment_id: int, target_type: str, target_id: str) -> list[dict[str, Any]]:
    """Every batched change of one record, oldest first: who, when, through what, before and after."""
    query = (select(AuditEvent.seq, AuditEvent.at, AuditEvent.actor_type, AuditEvent.actor, AuditEvent.action,
                    AuditEvent.note, AuditDetail.target_type, AuditDetail.target_id, AuditDetail.detail)
             .join(AuditEvent, (AuditEvent.environment_id == AuditDetail.environment_id)
                   & (AuditEvent.target_id == "batch:" + AuditDetail.batch))
             .where(AuditDetail.environment_id == environment_id, AuditDetail.target_type == target_type,
                    AuditDetail.target_id == target_id)
             .order_by(AuditEvent.seq))
    return [{"seq": r.seq, "at": r.at, "actor_type": r.actor_type, "actor": r.actor, "action": r.action,
             "note": r.note, "target_type": r.target_type, "target_id": r.target_id, **json.loads(r.detail)}
            for r in session.execute(query)]


def check_batches(session: Session, environment_id: int, batches: dict[str, tuple[int, int, str]]) -> Any:
    """The first batch whose detail rows no longer match its entry's digest, as (seq, id, reason); None
    when all match. `batches`: batch -> (seq, id, digest) of the chain's batch entries."""
    for batch, (seq, entry_id, expected) in sorted(batches.items(), key=lambda item: item[1][0]):
        rows = session.execute(select(AuditDetail.target_type, AuditDetail.target_id, AuditDetail.detail)
                               .where(AuditDetail.batch == batch, AuditDetail.environment_id == environment_id)
                               .order_by(AuditDetail.position)).all()
        if digest(rows) != expected:
            return seq, entry_id, ("detail mismatch: the batch's detail rows (audit_details) no longer match "
                                   "the digest its entry holds (a record was changed, deleted, added or moved)")
    stored = session.scalars(select(AuditDetail.batch).where(AuditDetail.environment_id == environment_id)
                             .distinct())
    orphan = next((batch for batch in stored if batch not in batches), None)
    if orphan is not None:
        return None, None, f"detail mismatch: detail rows of batch {orphan} belong to no audit entry (inserted)"
    return None
