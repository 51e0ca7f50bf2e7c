"""`stroom demo`: demo users, the shipped models from bpmn/ and dmn/, and demo master data."""
from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import select

from server.auth import service as auth
from server.auth.actor import Actor
from server.auth.models import Environment, User
from server.errors import InvalidInput
from server.host import Host
from server.instances import service as instances
from server.instances.shipped import shipped_models

DEMO_PASSWORD = "stroom-demo"
DEMO_USERS = (
    ("admin", ("admin", "designer", "user"), ()),
    ("designer", ("designer", "user"), ()),
    ("carla", ("user",), ("creditors",)),
    ("piet", ("user",), ("purchasing",)),
    ("maria", ("user",), ("managers",)),
    ("frank", ("user",), ("finance",)),
    ("erik", ("user",), ()),
    ("audrey", ("auditor",), ()),
)


def load(host: Host, *, only_if_new: bool = False, environment: str = auth.DEFAULT_ENVIRONMENT) -> dict[str, Any]:
    """Idempotent: existing users and identical models are kept."""
    summary: dict[str, Any] = {"users": [], "models": [], "refused": [], "masterdata": False}
    with host.db.unit_of_work() as session:
        if only_if_new and session.scalars(select(Environment)).first() is not None:
            return {"skipped": "database already holds data"}
        env = auth.ensure_environment(session, environment)
        system = Actor.system(env.id, "demo")
        for login, roles, groups in DEMO_USERS:
            exists = session.scalars(select(User).where(User.environment_id == env.id, User.login == login)).first()
            if exists is None:
                auth.create_user(session, env.id, login, actor=system, password=DEMO_PASSWORD, roles=roles,
                                 groups=groups, email=f"{login}@example.com")
                summary["users"].append(login)
        for model in shipped_models():
            try:
                version = instances.deploy(session, host, actor=system, key=model.key, bpmn=model.bpmn,
                                           dmn=model.dmn, forms=model.forms)
                summary["models"].append(f"{model.key} v{version.version}")
            except InvalidInput as exc:
                summary["refused"].append(f"{model.key}: {exc}")
        try:
            demo_data = importlib.import_module("server.demo_data")
        except ImportError:
            demo_data = None
        if demo_data is not None:
            demo_data.load_demo(session, environment_id=env.id)
            summary["masterdata"] = True
    summary["password"] = DEMO_PASSWORD
    return summary
