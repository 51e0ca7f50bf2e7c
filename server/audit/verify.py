"""Walk each environment's chain, recomputing every link, and report the first broken one.

Rows before the environment's keyed segment (`AuditKeyedSegment`, written by migration 0011) are the
old SHA-256 chain; their last hash is sealed with the audit key, so they cannot be recomputed quietly
either. Rows from the segment on are HMAC-SHA256 links under the audit key. Detects an edited row
(its hash no longer matches its content), a deleted row (a gap in `seq`, or a head that points past
the last row), an inserted row (a `prev_hash` that does not match, or rows beyond the head), reordered
rows (ids that run against `seq`), a moved or forged segment start, a wrong audit key, and detail rows
of batch entries that no longer match their entry's digest (server/audit/details.py). Rows are
read in keyset batches, so a chain of millions never sits in memory at once. Cutting rows off the
end and moving the head back is only visible against a checkpoint (server/audit/checkpoints.py).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.details import check_batches
from server.audit.keys import keyed_hash, same
from server.audit.models import AuditChainHead, AuditEvent, AuditKeyedSegment
from server.audit.service import GENESIS, entry_hash

BATCH = 2000
# Rows looked at past a keyed hash mismatch to tell an edited row from a wrong key.
KEY_PROBE = 3
_COLUMNS = (AuditEvent.id, AuditEvent.environment_id, AuditEvent.seq, AuditEvent.at, AuditEvent.actor_type,
            AuditEvent.actor, AuditEvent.action, AuditEvent.target_type, AuditEvent.target_id,
            AuditEvent.instance_id, AuditEvent.before, AuditEvent.after, AuditEvent.note,
            AuditEvent.prev_hash, AuditEvent.hash)
WRONG_KEY = ("hash mismatch: from this row on no keyed row matches its content, so the audit key is not "
             "the one the log was written with (STROOM_AUDIT_KEY or instance/audit_key), or the log was "
             "re-chained without it")


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
class ChainReport:
    """One verified chain: its old SHA-256 segment and its keyed segment as (first seq, last seq)."""

    environment_id: int
    legacy: tuple[int, int] | None
    keyed: tuple[int, int] | None

    def to_json(self) -> dict[str, Any]:
        def span(pair: tuple[int, int] | None) -> dict[str, int] | None:
            return {"first_seq": pair[0], "last_seq": pair[1]} if pair else None
        return {"environment_id": self.environment_id, "legacy_sha256": span(self.legacy),
                "keyed_hmac": span(self.keyed)}


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    """`ok` when every checked chain is intact; `checked` counts rows; `first_broken` names the first break."""

    ok: bool
    checked: int
    first_broken: BrokenLink | None = None
    chains: tuple[ChainReport, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked,
                "first_broken": self.first_broken.to_json() if self.first_broken else None,
                "chains": [chain.to_json() for chain in self.chains]}


def verify(session: Session, environment_id: int | None = None, *, key: bytes) -> VerifyResult:
    """Check the chain of one environment, or of every environment that has a head or rows, from seq 1."""
    if environment_id is not None:
        envs = [environment_id]
    else:
        heads = set(session.scalars(select(AuditChainHead.environment_id)))
        envs = sorted(heads | set(session.scalars(select(AuditEvent.environment_id).distinct())))
    checked = 0
    chains: list[ChainReport] = []
    for env in envs:
        count, outcome = _verify_chain(session, env, key)
        checked += count
        if isinstance(outcome, BrokenLink):
            return VerifyResult(False, checked, outcome, tuple(chains))
        chains.append(outcome)
    return VerifyResult(True, checked, None, tuple(chains))


def seal_message(environment_id: int, first_seq: int, legacy_head: str) -> str:
    """What a keyed segment's seal signs: the environment, where keyed links start, the last old hash."""
    return f"stroom-audit-keyed-segment\n{environment_id}\n{first_seq}\n{legacy_head}"


def verify_after(session: Session, environment_id: int, *, key: bytes, seq: int, head: str) -> VerifyResult:
    """Check only the rows after `seq` of one environment, starting from a link known to be good.

    `head` must be the hash of the row at `seq` as a trusted checkpoint recorded it (the caller checks
    the checkpoint's signature and that the row still has that hash): the work is then proportional
    to the rows written since, not to the length of the log. Rows up to `seq` are not read."""
    first_id = 0
    if seq:
        first_id = session.scalar(select(AuditEvent.id).where(AuditEvent.environment_id == environment_id,
                                                               AuditEvent.seq == seq)) or 0
    count, outcome = _verify_chain(session, environment_id, key, start=(seq, head, first_id))
    if isinstance(outcome, BrokenLink):
        return VerifyResult(False, count, outcome, ())
    return VerifyResult(True, count, None, (outcome,))


def _rows(session: Session, environment_id: int, last: int = 0) -> Iterator[Any]:
    while True:
        batch = session.execute(select(*_COLUMNS).where(AuditEvent.environment_id == environment_id,
                                                        AuditEvent.seq > last)
                                .order_by(AuditEvent.seq).limit(BATCH)).all()
        yield from batch
        if len(batch) < BATCH:
            return
        last = batch[-1].seq


def _seal_problem(segment: AuditKeyedSegment, key: bytes) -> str:
    expected = keyed_hash(key, seal_message(segment.environment_id, segment.first_seq, segment.legacy_head))
    if same(expected, segment.seal):
        return ""
    return ("keyed segment seal mismatch: the record of where the keyed chain starts was changed, or the "
            "audit key is not the one the log was sealed with (STROOM_AUDIT_KEY or instance/audit_key)")


def _verify_chain(session: Session, environment_id: int, key: bytes,
                  start: tuple[int, str, int] | None = None) -> tuple[int, ChainReport | BrokenLink]:
    """Walk the chain from seq 1, or from `start` = (seq, hash, id) of a trusted row on."""
    segment = session.get(AuditKeyedSegment, environment_id)
    first_keyed = segment.first_seq if segment else 1
    if segment is not None and (problem := _seal_problem(segment, key)):
        return 0, BrokenLink(environment_id, segment.first_seq, None, problem)
    after, prev_hash, prev_id = start or (0, GENESIS, 0)
    expected_seq, count = after + 1, 0
    batches: dict[str, tuple[int, int, str]] = {}  # batch entries: their details are checked after the walk
    rows = _rows(session, environment_id, after)
    for row in rows:
        keyed = row.seq >= first_keyed
        reason = _check(row, expected_seq, prev_hash, prev_id, key if keyed else None)
        if reason.startswith("hash mismatch") and keyed and _wrong_key(rows, key):
            reason = WRONG_KEY
        if not reason and segment is not None and row.seq == first_keyed - 1 and row.hash != segment.legacy_head:
            reason = ("sealed old chain mismatch: the SHA-256 chain before the keyed segment no longer ends "
                      "with the sealed hash (an old row was changed and the old chain recomputed)")
        if reason:
            return count, BrokenLink(environment_id, row.seq, row.id, reason)
        count += 1
        expected_seq, prev_hash, prev_id = row.seq + 1, row.hash, row.id
        if row.target_id.startswith("batch:") and isinstance(row.after, dict) and "digest" in row.after:
            batches[row.target_id.removeprefix("batch:")] = (row.seq, row.id, str(row.after["digest"]))
    last = expected_seq - 1
    head = session.get(AuditChainHead, environment_id)
    if head is None:
        return count, BrokenLink(environment_id, None, None, "the chain has no head")
    if head.seq != last or head.hash != prev_hash:
        return count, BrokenLink(environment_id, last or None, prev_id or None,
                                 f"head mismatch: the head says seq {head.seq}, the last row is seq "
                                 f"{last} (rows deleted from the end, or the head was changed)")
    if segment is not None and last < first_keyed - 1 and start is None:
        return count, BrokenLink(environment_id, last + 1, None, "the sealed old chain is shorter than when it "
                                 f"was sealed: it ended at seq {first_keyed - 1} (rows deleted from the end)")
    if (broken := check_batches(session, environment_id, batches)) is not None:
        return count, BrokenLink(environment_id, *broken)
    first = after + 1
    legacy = (first, min(last, first_keyed - 1)) if first < first_keyed and last >= first else None
    keyed_span = (max(first, first_keyed), last) if last >= max(first, first_keyed) else None
    return count, ChainReport(environment_id, legacy, keyed_span)


def _wrong_key(rows: Iterator[Any], key: bytes) -> bool:
    """Whether the next rows fail their own keyed link too (a wrong key), not just the edited one."""
    probed = 0
    for row in rows:
        if same(row.hash, entry_hash(row.prev_hash, row._asdict(), key)):
            return False
        probed += 1
        if probed == KEY_PROBE:
            break
    return probed > 0


def _check(row: Any, expected_seq: int, prev_hash: str, prev_id: int, key: bytes | None) -> str:
    if row.seq != expected_seq:
        return f"seq gap: expected seq {expected_seq}, found {row.seq} (rows deleted)"
    if row.prev_hash != prev_hash:
        return "prev_hash mismatch: the row does not link to the one before it (inserted or reordered)"
    if not same(row.hash, entry_hash(row.prev_hash, row._asdict(), key)):
        return "hash mismatch: the row's content was changed after it was written"
    if row.id <= prev_id:
        return "order mismatch: the row was written before the one it follows (reordered)"
    return ""
