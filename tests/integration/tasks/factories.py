"""A small company for task stories: environment `acme` with people, groups, roles and models,
a partner environment `partner` and an unrelated environment `stranger`."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.auth import partnerships
from server.auth import service as auth
from server.auth.actor import Actor
from server.host import Host
from server.instances import service as instances
from server.tasks.models import HumanTask

DATA = Path(__file__).resolve().parents[2] / "data" / "bpmn" / "tasks"
MODELS = ("mi_all", "mi_any", "mi_sequential", "mi_sequential_any", "routed", "expense", "delegation",
          "reminder", "roles_users")
PEOPLE = {  # login: (roles, groups)
    "ann": (("user",), ("creditors",)),
    "bob": (("user",), ("creditors",)),
    "cem": (("user",), ("purchasing",)),
    "dirk": (("user",), ("managers",)),
    "erik": (("user",), ("managers", "finance")),
    "fay": (("user", "controller"), ()),
    "root": (("admin",), ()),
    "audrey": (("auditor",), ()),
    "desi": (("designer",), ()),
}


@dataclasses.dataclass
class World:
    host: Host
    env_id: int
    partner_env_id: int
    stranger_env_id: int
    actors: dict[str, Actor]

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a service function in its own unit of work (as a request would)."""
        with self.host.db.unit_of_work() as session:
            return fn(session, *args, **kwargs)

    def start(self, key: str, data: dict[str, Any] | None = None, *, by: str = "root") -> int:
        with self.host.db.unit_of_work() as session:
            return instances.start(session, self.host, actor=self.actors[by], key=key, data=data or {}).id

    def tasks(self, instance_id: int, *, status: str | None = None) -> list[HumanTask]:
        with self.host.db.unit_of_work() as session:
            query = select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
            if status:
                query = query.where(HumanTask.status == status)
            return list(session.scalars(query))

    def instance_status(self, instance_id: int) -> str:
        with self.host.db.unit_of_work() as session:
            return instances.get_instance(session, self.env_id, instance_id).status


def model_files() -> tuple[dict[str, dict[str, bytes]], dict[str, bytes]]:
    bpmn = {key: {f"{key}.bpmn": (DATA / f"{key}.bpmn").read_bytes()} for key in MODELS}
    return bpmn, {"approval.form": (DATA / "approval.form").read_bytes()}


def build_world(host: Host) -> World:
    """Create the environments, people and deployed models (passwords are left out: Argon2 is slow)."""
    actors: dict[str, Actor] = {}
    bpmn, forms = model_files()
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, "acme")
        partner = auth.ensure_environment(session, "partner")
        stranger = auth.ensure_environment(session, "stranger")
        auth.ensure_role(session, env.id, "controller")  # a role of acme's own (`stroom roles create`)
        for login, (roles, groups) in PEOPLE.items():
            user = auth.create_user(session, env.id, login, actor=Actor.system(env.id), roles=roles, groups=groups)
            actors[login] = auth.actor_for(session, user)
        for login, env_row in (("pia", partner), ("sam", stranger)):
            user = auth.create_user(session, env_row.id, login, actor=Actor.system(env_row.id),
                                    groups=("creditors",))
            actors[login] = auth.actor_for(session, user)
        stranger_admin = auth.create_user(session, stranger.id, "boss", actor=Actor.system(stranger.id),
                                          roles=("admin",))
        actors["boss"] = auth.actor_for(session, stranger_admin)
        partnerships.create(session, env, partner, actor=Actor.system(env.id))
        for key, files in bpmn.items():
            instances.deploy(session, host, actor=Actor.system(env.id), key=key, bpmn=files, forms=forms)
    return World(host, env.id, partner.id, stranger.id, actors)
