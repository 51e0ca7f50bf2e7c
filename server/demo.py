"""`stroom demo`: demo users, the shipped models from bpmn/ and dmn/, and demo master data."""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.auth import service as auth
from server.auth.actor import Actor
from server.auth.models import Environment, User
from server.errors import InvalidInput
from server.host import Host
from server.instances import service as instances

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "stroom-demo"
DEMO_USERS = (
    ("admin", ("admin", "designer", "user"), ()),
    ("designer", ("designer", "user"), ()),
    ("carla", ("user",), ("creditors",)),
    ("piet", ("user",), ("purchasing",)),
    ("audrey", ("auditor",), ()),
)


def shipped_models() -> list[tuple[str, dict[str, bytes], dict[str, bytes], dict[str, bytes]]]:
    """(key, bpmn, dmn, forms) for each model in bpmn/; every table in dmn/ and form in bpmn/forms/."""
    dmn = {p.name: p.read_bytes() for p in sorted((ROOT / "dmn").glob("*.dmn"))}
    forms = {p.name: p.read_bytes() for p in sorted((ROOT / "bpmn" / "forms").glob("*.json"))}
    return [(p.stem, {p.name: p.read_bytes()}, dmn, forms) for p in sorted((ROOT / "bpmn").glob("*.bpmn"))]


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
        for key, bpmn, dmn, forms in shipped_models():
            try:
                version = instances.deploy(session, host, actor=system, key=key, bpmn=bpmn, dmn=dmn, forms=forms)
                summary["models"].append(f"{key} v{version.version}")
            except InvalidInput as exc:
                summary["refused"].append(f"{key}: {exc}")
        try:
            demo_data = importlib.import_module("server.demo_data")
        except ImportError:
            demo_data = None
        if demo_data is not None:
            demo_data.load_demo(session, environment_id=env.id)
            summary["masterdata"] = True
    summary["password"] = DEMO_PASSWORD
    return summary
