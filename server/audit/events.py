"""Named audit entries other areas write: logins, e-mails, decisions, deployments, master data.

Thin wrappers over `service.record` so every caller uses the same action names and the same shape
of `after`; auditors filter on these names (`GET /api/v1/audit?action=auth.`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from server.actor import Actor
from server.audit.service import record

LOGIN = "auth.login"
LOGIN_FAILED = "auth.login_failed"
LOGOUT = "auth.logout"
EMAIL_SENT = "mail.sent"
EMAIL_FAILED = "mail.failed"
DECISION = "decision.evaluated"
MODEL_DEPLOYED = "model.deployed"
MASTERDATA_CHANGED = "masterdata.changed"


def login(session: Session, actor: Actor, *, method: str = "password", remote_addr: str | None = None) -> None:
    """A successful login (password form or token exchange)."""
    record(session, actor=actor, action=LOGIN, target_type="user", target_id=actor.name,
           after={"method": method, "remote_addr": remote_addr})


def login_failed(session: Session, environment_id: int, login_name: str, *, reason: str,
                 remote_addr: str | None = None) -> None:
    """A refused login; the attempted login is the actor (there is no authenticated one)."""
    attempt = Actor(kind="anonymous", name=login_name[:200] or "?", environment_id=environment_id)
    record(session, actor=attempt, action=LOGIN_FAILED, target_type="user", target_id=login_name[:100],
           after={"reason": reason, "remote_addr": remote_addr})


def logout(session: Session, actor: Actor) -> None:
    record(session, actor=actor, action=LOGOUT, target_type="user", target_id=actor.name)


def email_sent(session: Session, actor: Actor, *, to: Sequence[str], subject: str, template: str | None = None,
               message_id: str | None = None, instance_id: int | None = None, transport: str = "smtp") -> None:
    """An e-mail handed to the transport (SMTP server or outbox folder)."""
    record(session, actor=actor, action=EMAIL_SENT, target_type="email", target_id=message_id or subject[:100],
           instance_id=instance_id, after={"to": list(to), "subject": subject, "template": template,
                                           "transport": transport, "message_id": message_id})


def email_failed(session: Session, actor: Actor, *, to: Sequence[str], subject: str, error: str,
                 instance_id: int | None = None) -> None:
    record(session, actor=actor, action=EMAIL_FAILED, target_type="email", target_id=subject[:100],
           instance_id=instance_id, after={"to": list(to), "subject": subject, "error": error})


def decision(session: Session, actor: Actor, *, decision_key: str, inputs: Mapping[str, Any],
             outputs: Any, trace: Mapping[str, Any] | None = None, instance_id: int | None = None) -> None:
    """A decision evaluated outside a process (the engine writes `engine.decision` with its trace)."""
    record(session, actor=actor, action=DECISION, target_type="decision", target_id=decision_key,
           instance_id=instance_id, before={"inputs": dict(inputs)},
           after={"outputs": outputs, "trace": dict(trace or {})})


def model_deployed(session: Session, actor: Actor, *, key: str, version: int, checksum: str,
                   files: Sequence[str]) -> None:
    record(session, actor=actor, action=MODEL_DEPLOYED, target_type="model", target_id=key,
           after={"version": version, "checksum": checksum, "files": sorted(files)})


def masterdata_changed(session: Session, actor: Actor, *, kind: str, key: object,
                       before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                       note: str | None = None) -> None:
    """A supplier, administration, order, receipt or rule created (before None), changed or removed (after None)."""
    record(session, actor=actor, action=MASTERDATA_CHANGED, target_type=f"masterdata.{kind}",
           target_id=key, before=dict(before) if before is not None else None,
           after=dict(after) if after is not None else None, note=note)
