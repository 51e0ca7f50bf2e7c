"""Audit verbs: verify the tamper-evident chain, against a signed checkpoint too, take a checkpoint and
export the log (the API, the audit page and `stroom audit`)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from server.audit import checkpoints
from server.audit import export as exporting
from server.audit.query import AuditFilter
from server.audit.verify import VerifyResult, verify
from server.auth.actor import Actor
from server.auth.models import Environment
from server.auth.permissions import require
from server.db import Database


def verify_chain(session: Session, *, actor: Actor, key: bytes, every_environment: bool = False) -> VerifyResult:
    """The actor's environment's chain recomputed (every chain for the system); Forbidden without audit.read.

    It only reads, so it writes no audit entry: verifying must work in a read-only transaction (a GET)."""
    require(actor, "audit.read")
    if every_environment and actor.kind != "system":
        require(actor, "environments.read")  # other environments' chains are an operator's business
    return verify(session, None if every_environment else actor.environment_id, key=key)


def verify_from_checkpoint(session: Session, *, actor: Actor, key: bytes, checkpoint: dict[str, Any],
                           since: bool = False) -> checkpoints.CheckpointResult:
    """The checkpoint's environment's chain verified, proving nothing up to the checkpoint changed; `since`:
    only the rows after it are walked. Forbidden without audit.read, or for another environment's
    checkpoint unless the actor is the system or an operator. Reads only, like verify_chain."""
    require(actor, "audit.read")
    own = session.get(Environment, actor.environment_id)
    if actor.kind != "system" and (own is None or own.name != checkpoint.get("environment")):
        require(actor, "environments.read")
    check = checkpoints.verify_since if since else checkpoints.verify_against
    return check(session, checkpoint, key=key)


def take_checkpoint(session: Session, *, actor: Actor, key: bytes) -> dict[str, Any]:
    """The actor's environment's chain head, signed with the audit key; Forbidden without audit.read."""
    require(actor, "audit.read")
    return checkpoints.take(session, actor.environment_id, key=key)


def export_log(db: Database, *, actor: Actor, filters: AuditFilter, fmt: str) -> Iterator[str]:
    """The text chunks of the actor's environment's log (or the part `filters` selects) in `fmt` (csv or
    jsonl), read in batches as they are consumed; Forbidden without audit.read."""
    require(actor, "audit.read")
    return exporting.export(db, actor.environment_id, filters, fmt)
