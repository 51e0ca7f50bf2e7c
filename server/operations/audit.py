"""Audit verbs: verify the tamper-evident chain (the API, the audit page and `stroom audit verify`)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from server.audit.verify import VerifyResult, verify
from server.auth.actor import Actor
from server.auth.permissions import require


def verify_chain(session: Session, *, actor: Actor, key: bytes, every_environment: bool = False) -> VerifyResult:
    """The actor's environment's chain recomputed (every chain for the system); Forbidden without audit.read.

    It only reads, so it writes no audit entry: verifying must work in a read-only transaction (a GET)."""
    require(actor, "audit.read")
    if every_environment and actor.kind != "system":
        require(actor, "environments.read")  # other environments' chains are an operator's business
    return verify(session, None if every_environment else actor.environment_id, key=key)
