"""Walk each environment's hash chain and report the first broken link.

Detects an edited row (its hash no longer matches its content), a deleted row (a gap in `seq`, or a
head that points past the last row), an inserted row (a `prev_hash` that does not match, or rows
beyond the head) and reordered rows (ids that run against `seq`, or links out of order). Rows are
read in keyset batches, so a chain of millions never sits in memory at once.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.models import AuditChainHead, AuditEvent
from server.audit.service import GENESIS, entry_hash

BATCH = 2000
_COLUMNS = (AuditEvent.id, AuditEvent.environment_id, AuditEvent.seq, AuditEvent.at, AuditEvent.actor_type,
            AuditEvent.actor, AuditEvent.action, AuditEvent.target_type, AuditEvent.target_id,
            AuditEvent.instance_id, AuditEvent.before, AuditEvent.after, AuditEvent.note,
            AuditEvent.prev_hash, AuditEvent.hash)


@dataclasses.dataclass(frozen=True)
class BrokenLink:
    """Where the chain breaks: the environment, the row (seq and id, when there is one) and why."""

    environment_id: int
    seq: int | None
    id: int | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    """`ok` when every checked chain is intact; `checked` counts rows; `first_broken` names the first break."""

    ok: bool
    checked: int
    first_broken: BrokenLink | None = None

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked,
                "first_broken": self.first_broken.to_json() if self.first_broken else None}


def verify(session: Session, environment_id: int | None = None) -> VerifyResult:
    """Check the chain of one environment, or of every environment that has a head or rows."""
    if environment_id is not None:
        envs = [environment_id]
    else:
        heads = set(session.scalars(select(AuditChainHead.environment_id)))
        envs = sorted(heads | set(session.scalars(select(AuditEvent.environment_id).distinct())))
    checked = 0
    for env in envs:
        count, broken = _verify_chain(session, env)
        checked += count
        if broken is not None:
            return VerifyResult(False, checked, broken)
    return VerifyResult(True, checked)


def _rows(session: Session, environment_id: int) -> Iterator[Any]:
    last = 0
    while True:
        batch = session.execute(select(*_COLUMNS).where(AuditEvent.environment_id == environment_id,
                                                        AuditEvent.seq > last)
                                .order_by(AuditEvent.seq).limit(BATCH)).all()
        yield from batch
        if len(batch) < BATCH:
            return
        last = batch[-1].seq


def _verify_chain(session: Session, environment_id: int) -> tuple[int, BrokenLink | None]:
    expected_seq, prev_hash, prev_id, count = 1, GENESIS, 0, 0
    for row in _rows(session, environment_id):
        reason = _check(row, expected_seq, prev_hash, prev_id)
        if reason:
            return count, BrokenLink(environment_id, row.seq, row.id, reason)
        count += 1
        expected_seq, prev_hash, prev_id = row.seq + 1, row.hash, row.id
    head = session.get(AuditChainHead, environment_id)
    if head is None:
        return count, BrokenLink(environment_id, None, None, "the chain has no head")
    if head.seq != expected_seq - 1 or head.hash != prev_hash:
        return count, BrokenLink(environment_id, expected_seq - 1 or None, prev_id or None,
                                 f"head mismatch: the head says seq {head.seq}, the last row is seq "
                                 f"{expected_seq - 1} (rows deleted from the end, or the head was changed)")
    return count, None


def _check(row: Any, expected_seq: int, prev_hash: str, prev_id: int) -> str:
    if row.seq != expected_seq:
        return f"seq gap: expected seq {expected_seq}, found {row.seq} (rows deleted)"
    if row.prev_hash != prev_hash:
        return "prev_hash mismatch: the row does not link to the one before it (inserted or reordered)"
    if row.hash != entry_hash(row.prev_hash, row._asdict()):
        return "hash mismatch: the row's content was changed after it was written"
    if row.id <= prev_id:
        return "order mismatch: the row was written before the one it follows (reordered)"
    return ""
