"""Who may do what: one table, checked by the API and pages through `require`."""
from __future__ import annotations

from server.auth.actor import Actor
from server.errors import Forbidden

# Held through the users.operator flag (granted on the machine), never through a role membership.
OPERATOR = "operator"

# permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "tasks.read": frozenset({"user", "admin", "auditor", "designer"}),
    "tasks.act": frozenset({"user", "admin"}),
    "invoices.submit": frozenset({"user", "admin", "designer", "system"}),
    "invoices.read": frozenset({"user", "admin", "auditor", "designer"}),
    "instances.read": frozenset({"user", "admin", "auditor", "designer"}),
    "instances.start": frozenset({"user", "admin", "designer"}),
    "instances.admin": frozenset({"admin"}),
    "models.read": frozenset({"designer", "admin", "auditor", "user"}),
    "models.deploy": frozenset({"designer", "admin"}),
    "decisions.evaluate": frozenset({"designer", "admin"}),
    "audit.read": frozenset({"auditor", "admin"}),
    "users.read": frozenset({"admin", "auditor"}),
    "users.manage": frozenset({"admin"}),
    "tokens.own": frozenset({"user", "admin", "designer"}),
    # Saving one's own task list filters: a change, so not for auditors (they read and never write).
    "filters.own": frozenset({"user", "admin", "designer"}),
    "partnerships.read": frozenset({"admin", "auditor"}),
    "partnerships.manage": frozenset({"admin"}),
    "masterdata.read": frozenset({"user", "admin", "auditor", "designer"}),
    "masterdata.manage": frozenset({"admin"}),
    "jobs.read": frozenset({"admin"}),
    "settings.read": frozenset({"admin", "auditor"}),
    "settings.manage": frozenset({"admin"}),
    "environments.read": frozenset({OPERATOR}),
    "environments.manage": frozenset({OPERATOR}),
    "metrics.read": frozenset({"admin"}),
}


def allowed(actor: Actor, permission: str) -> bool:
    """Whether any of the actor's roles holds the permission (system actors hold all)."""
    if actor.kind == "system":
        return True
    return bool(actor.roles & PERMISSIONS[permission])


def require(actor: Actor, permission: str) -> None:
    """Forbidden unless the actor holds the permission."""
    if not allowed(actor, permission):
        raise Forbidden(f"your roles do not allow {permission}", code="forbidden",
                        details=[{"permission": permission}])
