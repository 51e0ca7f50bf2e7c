"""Shared by the job and mail tests: a controllable clock, people, models and a drain helper."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from server.auth import service as auth
from server.auth.actor import Actor
from server.db import utcnow
from server.host import Host
from server.instances import service as instances
from server.jobs.models import Job
from server.jobs.worker import Worker

JOB_MODELS = Path(__file__).resolve().parents[2] / "data" / "bpmn" / "jobs"


class FakeClock:
    """The worker's clock, moved by the test instead of by sleeping."""

    def __init__(self, start: dt.datetime | None = None):
        self.now = start or utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def seed_people(host: Host) -> Actor:
    """Environment `default`: anna (Dutch) and bob (English) in creditors, maria (Dutch) in managers."""
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, "default")
        system = Actor.system(env.id)
        auth.create_user(session, env.id, "anna", actor=system, groups=("creditors",), email="anna@example.com",
                         language="nl", display_name="Anna de Vries")
        auth.create_user(session, env.id, "bob", actor=system, groups=("creditors",), email="bob@example.com",
                         language="en", display_name="Bob Smith")
        auth.create_user(session, env.id, "maria", actor=system, groups=("managers",), roles=("admin",),
                         email="maria@example.com", language="nl", display_name="Maria Jansen")
        return system


def deploy(host: Host, actor: Actor, name: str) -> None:
    with host.db.unit_of_work() as session:
        instances.deploy(session, host, actor=actor, key=name,
                         bpmn={f"{name}.bpmn": (JOB_MODELS / f"{name}.bpmn").read_bytes()})


def drain(worker: Worker, *, rounds: int = 20) -> int:
    """Run the worker until nothing is due at its clock's time; returns how many jobs ran."""
    total = 0
    for _ in range(rounds):
        ran = worker.run_once()
        if not ran:
            return total
        total += ran
    raise AssertionError("the worker kept finding due jobs")


def jobs_of(host: Host, kind: str | None = None) -> list[Job]:
    with host.db.unit_of_work() as session:
        query = select(Job).order_by(Job.id)
        if kind is not None:
            query = query.where(Job.kind == kind)
        return list(session.scalars(query))
