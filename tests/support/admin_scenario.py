"""A purchase-like model (register, approve with a 3-day timer, notify, book) with controllable services."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth import service as auth
from server.auth import tokens
from server.auth.actor import Actor
from server.engine import ServiceCall
from server.host import Host, open_host
from server.instances import service as instances
from server.instances.models import Incident, ProcessInstance
from server.instances.registry import default_services
from server.jobs.models import Job
from server.settings import Settings
from server.tasks import service as tasks
from server.tasks.models import HumanTask
from tests.support.factories import deploy_files

MODEL = Path(__file__).resolve().parents[1] / "data" / "bpmn" / "admin" / "purchase_admin.bpmn"


@dataclasses.dataclass
class Purchase:
    """The scenario: a host whose `book` service fails while `book_fails` is set; every call is logged."""

    host: Host
    admin: Actor
    clerk: Actor
    calls: list[str] = dataclasses.field(default_factory=list)
    tokens: dict[str, str] = dataclasses.field(default_factory=dict)
    book_fails: bool = False

    def service(self, name: str):
        def run(call: ServiceCall) -> dict[str, Any]:
            self.calls.append(name)
            if name == "book" and self.book_fails:
                raise ConnectionError("ledger unreachable")
            return {f"{name}_done": True}
        return run

    def start(self, business_key: str | None = "INV-1", **data: Any) -> int:
        with self.host.db.unit_of_work() as session:
            return instances.start(session, self.host, actor=self.clerk, key="purchase_admin",
                                   data={"invoice_number": "INV-1", **data}, business_key=business_key).id

    def instance(self, instance_id: int) -> ProcessInstance:
        with self.host.db.unit_of_work() as session:
            return session.get(ProcessInstance, instance_id)

    def tasks(self, instance_id: int, element_id: str | None = None) -> list[HumanTask]:
        with self.host.db.unit_of_work() as session:
            query = select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
            if element_id:
                query = query.where(HumanTask.element_id == element_id)
            return list(session.scalars(query))

    def open_task(self, instance_id: int, element_id: str) -> HumanTask:
        (task,) = [t for t in self.tasks(instance_id, element_id) if t.status in ("open", "claimed")]
        return task

    def complete(self, instance_id: int, element_id: str, actor: Actor | None = None, **data: Any) -> None:
        task = self.open_task(instance_id, element_id)
        with self.host.db.unit_of_work() as session:
            tasks.complete(session, self.host, actor=actor or self.admin, task_id=task.id, data=data)

    def audit(self, instance_id: int, prefix: str = "") -> list[AuditEvent]:
        with self.host.db.unit_of_work() as session:
            return list(session.scalars(select(AuditEvent).where(
                AuditEvent.instance_id == instance_id, AuditEvent.action.startswith(prefix))
                .order_by(AuditEvent.seq)))

    def incidents(self, instance_id: int) -> list[Incident]:
        with self.host.db.unit_of_work() as session:
            return list(session.scalars(select(Incident).where(Incident.instance_id == instance_id)
                                        .order_by(Incident.id)))

    def timer_jobs(self, instance_id: int) -> list[Job]:
        with self.host.db.unit_of_work() as session:
            return list(session.scalars(select(Job).where(Job.instance_id == instance_id, Job.kind == "timer")
                                        .order_by(Job.id)))


def token_user(host: Host, login: str, *, roles: tuple[str, ...], groups: tuple[str, ...] = (),
               environment: str = "default") -> tuple[Actor, str]:
    """A user with a bearer token and no password (password hashing is deliberately slow)."""
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, environment)
        user = auth.create_user(session, env.id, login, actor=Actor.system(env.id), roles=roles, groups=groups)
        _, plain = tokens.create_token(session, user, actor=Actor.system(env.id))
        return auth.actor_for(session, user), plain


def open_purchase(settings: Settings) -> Iterator[Purchase]:
    """The scenario with an admin (ada) and a clerk in `approvers` (carl); the model deployed."""
    scenario = Purchase(host=None, admin=None, clerk=None)  # type: ignore[arg-type]
    services = default_services().merged((n, scenario.service(n)) for n in ("register", "notify", "book"))
    scenario.host = open_host(settings, services=services)
    scenario.admin, scenario.tokens["ada"] = token_user(scenario.host, "ada", roles=("admin",))
    scenario.clerk, scenario.tokens["carl"] = token_user(scenario.host, "carl", roles=("user",),
                                                         groups=("approvers",))
    _, scenario.tokens["audrey"] = token_user(scenario.host, "audrey", roles=("auditor",))
    deploy_files(scenario.host, scenario.admin, "purchase_admin", MODEL)
    yield scenario
    scenario.host.db.dispose()
