"""Factory helpers for tests: environments, users with tokens, deployed models."""
from __future__ import annotations

from pathlib import Path

from server.auth import service as auth
from server.auth import tokens
from server.auth.actor import Actor
from server.host import Host
from server.instances import service as instances


def password_of(login: str) -> str:
    """The password make_user gives `login` (long enough for the server's minimum)."""
    return f"pw-{login}-long-enough"


def make_user(host: Host, login: str, *, roles: tuple[str, ...] = ("user",), groups: tuple[str, ...] = (),
              environment: str = "default", email: str = "", language: str = "en") -> tuple[Actor, str]:
    """A user (environment created on first use) and a fresh bearer token for them."""
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, environment)
        user = auth.create_user(session, env.id, login, actor=Actor.system(env.id), roles=roles, groups=groups,
                                email=email or f"{login}@example.com", language=language, password=password_of(login))
        _, plain = tokens.create_token(session, user, actor=Actor.system(env.id))
        return auth.actor_for(session, user), plain


def deploy_files(host: Host, actor: Actor, key: str, *files: Path) -> int:
    """Deploy BPMN/DMN/form files under `key`; returns the version number."""
    kinds: dict[str, dict[str, bytes]] = {"bpmn": {}, "dmn": {}, "forms": {}}
    for file in files:
        kind = {".bpmn": "bpmn", ".dmn": "dmn"}.get(file.suffix, "forms")
        kinds[kind][file.name] = file.read_bytes()
    with host.db.unit_of_work() as session:
        version = instances.deploy(session, host, actor=actor, key=key, bpmn=kinds["bpmn"], dmn=kinds["dmn"],
                                   forms=kinds["forms"])
        return version.version


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
