"""Signed checkpoints: an environment's chain head at a moment, signed with the audit key.

An auditor keeps checkpoints outside Stroom. `stroom audit verify --checkpoint FILE` then proves that
the rows up to the checkpoint's sequence are the ones that existed when it was taken: the keyed chain
shows any edit, and the checkpoint shows rows cut off the end (which a chain alone cannot), or a log
rewritten by someone who had the key. Signatures are HMAC-SHA256 under the same audit key, so only
this installation can check them (see the README's Security model).
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.keys import keyed_hash, same
from server.audit.models import AuditChainHead, AuditEvent
from server.audit.service import GENESIS
from server.audit.verify import BrokenLink, VerifyResult, verify, verify_after
from server.auth.models import Environment
from server.db import utcnow
from server.errors import InvalidInput, NotFound

FIELDS = ("environment", "sequence", "head", "time")


def _signature(key: bytes, body: dict[str, Any]) -> str:
    canonical = json.dumps({name: body[name] for name in FIELDS}, sort_keys=True, separators=(",", ":"))
    return keyed_hash(key, "stroom-audit-checkpoint\n" + canonical)


def take(session: Session, environment_id: int, *, key: bytes) -> dict[str, Any]:
    """The environment's chain head now: {environment, sequence, head, time, signature}."""
    env = session.get(Environment, environment_id)
    head = session.get(AuditChainHead, environment_id)
    if env is None or head is None:
        raise NotFound(f"environment {environment_id} has no audit chain")
    body: dict[str, Any] = {"environment": env.name, "sequence": head.seq, "head": head.hash,
                            "time": utcnow().isoformat(timespec="seconds")}
    return {**body, "signature": _signature(key, body)}


def parse(text: str) -> dict[str, Any]:
    """A checkpoint read from a file; InvalidInput naming what is wrong with its shape."""
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"the checkpoint is not JSON: {exc}", code="invalid_checkpoint") from None
    if not isinstance(body, dict):
        raise InvalidInput("the checkpoint is not a JSON object", code="invalid_checkpoint")
    shape = {"environment": str, "sequence": int, "head": str, "time": str, "signature": str}
    for name, kind in shape.items():
        if not isinstance(body.get(name), kind) or isinstance(body.get(name), bool):
            raise InvalidInput(f"the checkpoint has no valid {name!r}", code="invalid_checkpoint")
    if body["sequence"] < 0:
        raise InvalidInput("the checkpoint's sequence is negative", code="invalid_checkpoint")
    return body


@dataclasses.dataclass(frozen=True)
class CheckpointResult:
    """The chain verification plus whether the log still holds the checkpoint's rows unchanged."""

    chain: VerifyResult
    checkpoint: dict[str, Any]
    broken: BrokenLink | None
    incremental: bool = False  # only the rows after the checkpoint were walked (verify_since)

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.broken is None

    def to_json(self) -> dict[str, Any]:
        report = self.chain.to_json()
        report["ok"] = self.ok
        if self.broken is not None and (self.chain.first_broken is None
                                        or (self.broken.seq or 0) <= (self.chain.first_broken.seq or 0)):
            report["first_broken"] = self.broken.to_json()
        report["checkpoint"] = {"environment": self.checkpoint["environment"],
                                "sequence": self.checkpoint["sequence"], "time": self.checkpoint["time"],
                                "ok": self.broken is None, "incremental": self.incremental}
        return report


def verify_against(session: Session, checkpoint: dict[str, Any], *, key: bytes) -> CheckpointResult:
    """Verify the checkpoint's environment and prove nothing up to the checkpoint changed."""
    env_id = session.scalar(select(Environment.id).where(Environment.name == checkpoint["environment"]))
    if env_id is None:
        raise NotFound(f"environment {checkpoint['environment']!r} of the checkpoint does not exist")
    chain = verify(session, env_id, key=key)
    return CheckpointResult(chain, checkpoint, _compare(session, env_id, checkpoint, chain, key))


def verify_since(session: Session, checkpoint: dict[str, Any], *, key: bytes) -> CheckpointResult:
    """Incremental verify: prove the checkpoint's row is unchanged, then walk only the rows after it.

    The cost grows with the rows written since the checkpoint, not with the log: an auditor who keeps
    a checkpoint per run verifies each day's entries once. It does not re-read rows before the
    checkpoint, so a content edit there (without re-chaining up to the checkpoint, which the head
    comparison catches) is found only by a full verify (`verify_against`)."""
    env_id = session.scalar(select(Environment.id).where(Environment.name == checkpoint["environment"]))
    if env_id is None:
        raise NotFound(f"environment {checkpoint['environment']!r} of the checkpoint does not exist")
    unchecked = VerifyResult(True, 0)
    broken = _compare(session, env_id, checkpoint, unchecked, key)
    if broken is not None:
        return CheckpointResult(VerifyResult(False, 0, broken), checkpoint, broken, incremental=True)
    chain = verify_after(session, env_id, key=key, seq=checkpoint["sequence"], head=checkpoint["head"])
    return CheckpointResult(chain, checkpoint, None, incremental=True)


def _compare(session: Session, env_id: int, checkpoint: dict[str, Any], chain: VerifyResult,
             key: bytes) -> BrokenLink | None:
    sequence = checkpoint["sequence"]
    if not same(_signature(key, checkpoint), checkpoint["signature"]):
        return BrokenLink(env_id, None, None, "checkpoint signature mismatch: the file was edited, or it was "
                          "not signed with this installation's audit key")
    if chain.first_broken is not None and (chain.first_broken.seq or 0) <= sequence:
        return chain.first_broken
    if sequence == 0:
        return None if checkpoint["head"] == GENESIS else BrokenLink(env_id, 0, None, "checkpoint head mismatch")
    row = session.execute(select(AuditEvent.id, AuditEvent.hash)
                          .where(AuditEvent.environment_id == env_id, AuditEvent.seq == sequence)).first()
    if row is None:
        last = session.scalar(select(AuditChainHead.seq).where(AuditChainHead.environment_id == env_id)) or 0
        return BrokenLink(env_id, min(last + 1, sequence), None,
                          f"the checkpoint covers seq {sequence} but the log ends at seq {last}: rows "
                          f"{last + 1} to {sequence} were deleted")
    if not same(row.hash, checkpoint["head"]):
        return BrokenLink(env_id, sequence, row.id, "checkpoint head mismatch: the row at the checkpoint's "
                          "sequence has another hash, so the log up to it was rewritten (re-chained with the "
                          "audit key)")
    return None
