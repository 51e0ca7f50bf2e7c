"""Per-environment settings of the sandbox: whether Python scripts may run at all (off by default).

`change_settings` is the one verb every edge calls (API, admin page, CLI): it checks the permission,
changes the setting, writes the audit entry with before and after, and returns the view.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.models import Environment
from server.auth.permissions import require
from server.errors import InvalidInput, NotFound

SETTINGS = ("python_scripts",)
_WORDS = {"on": True, "true": True, "1": True, "yes": True,
          "off": False, "false": False, "0": False, "no": False}


@dataclasses.dataclass(frozen=True)
class EnvironmentSettings:
    """What an admin sees and sets for one environment."""

    environment: str
    python_scripts: bool

    def as_dict(self) -> dict[str, Any]:
        return {"environment": self.environment, "python_scripts": self.python_scripts}


def python_scripts_allowed(session: Session, *, environment_id: int) -> bool:
    """Whether Python scripts and expressions may be deployed and run in this environment."""
    allowed = session.scalar(select(Environment.python_scripts).where(Environment.id == environment_id))
    return bool(allowed)


def require_python_scripts(session: Session, *, environment_id: int, element_id: str) -> None:
    """For deploy: InvalidInput (422) naming the element and the setting unless Python scripts are on."""
    if not python_scripts_allowed(session, environment_id=environment_id):
        raise InvalidInput(f"element {element_id!r} carries a Python script or expression, and Python "
                           "scripts are off in this environment (an admin turns on python_scripts)",
                           code="python_scripts_off",
                           details=[{"element": element_id, "setting": "python_scripts"}])


def _environment(session: Session, actor: Actor, environment_id: int, *, lock: bool = False) -> Environment:
    # locked for a change: two admins at once each audit the "before" the other left (PostgreSQL)
    env = session.get(Environment, environment_id, with_for_update=lock or None)
    # another environment's settings are not there for this actor (same answer as a missing one)
    if env is None or (actor.kind != "system" and actor.environment_id != environment_id):
        raise NotFound("environment not found", code="environment_not_found")
    return env


def _view(env: Environment) -> EnvironmentSettings:
    return EnvironmentSettings(environment=env.name, python_scripts=bool(env.python_scripts))


def get_settings(session: Session, *, actor: Actor, environment_id: int) -> EnvironmentSettings:
    """The environment's settings, for its admins and auditors."""
    require(actor, "settings.read")
    return _view(_environment(session, actor, environment_id))


def parse_switch(value: str, *, field: str) -> bool:
    """on/off (true/false, yes/no, 1/0) as a form or the command line writes it, else InvalidInput."""
    word = value.strip().lower()
    if word not in _WORDS:
        raise InvalidInput(f"{field} is on or off", code="invalid_setting",
                           details=[{"field": field, "message": "must be on or off"}])
    return _WORDS[word]


def _switch(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} is true or false", code="invalid_setting",
                           details=[{"field": field, "message": "must be true or false"}])
    return value


def change_settings(session: Session, *, actor: Actor, environment_id: int,
                    changes: Mapping[str, object]) -> EnvironmentSettings:
    """Change settings of the actor's environment (admins only); audited with before and after."""
    require(actor, "settings.manage")
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown or not changes:
        raise InvalidInput(f"the settings are {', '.join(SETTINGS)}", code="invalid_setting",
                           details=[{"field": name, "message": "is not a setting"} for name in unknown]
                           or [{"field": SETTINGS[0], "message": "is required"}])
    wanted = {name: _switch(value, name) for name, value in changes.items()}
    env = _environment(session, actor, environment_id, lock=True)
    before = {name: bool(getattr(env, name)) for name in wanted}
    for name, value in wanted.items():
        setattr(env, name, value)
    session.flush()
    if before != wanted:
        audit.record(session, actor=actor, action="environment.settings_changed", target_type="environment",
                     target_id=env.id, environment_id=env.id, before=before, after=wanted)
    return _view(env)


def set_python_scripts(session: Session, *, actor: Actor, environment_id: int,
                       enabled: bool) -> EnvironmentSettings:
    """Turn Python scripts on or off (change_settings for the one setting)."""
    return change_settings(session, actor=actor, environment_id=environment_id,
                           changes={"python_scripts": enabled})
