"""A Stroom site for the template flows: demo users, models and master data behind the HTTP API.

Mail goes to the outbox through the real job worker on a controllable clock, so timers (reminder,
escalation) fire when the test moves time, not when it sleeps.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from server import demo
from server.app import create_app
from server.auth import tokens
from server.auth.actor import Actor
from server.auth.models import User
from server.db import utcnow
from server.host import Host
from server.jobs.worker import Worker

INVOICES = Path(__file__).resolve().parents[1] / "data" / "invoices"


class Clock:
    """The worker's clock: real time plus however far the test moved it."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return utcnow() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += dt.timedelta(**delta)


@dataclasses.dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


@dataclasses.dataclass
class Site:
    host: Host
    client: FlaskClient
    tokens: dict[str, str]
    worker: Worker
    clock: Clock

    def auth(self, login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[login]}"}

    def post_invoice(self, name: str, *, sender: str | None = None, expect: int = 201) -> dict[str, Any]:
        """POST a sample invoice as the scanning system; the answer's JSON."""
        headers = {**self.auth("scanner"), "X-Filename": name, **({"X-Sender": sender} if sender else {})}
        response = self.client.post("/api/v1/invoices", data=(INVOICES / name).read_bytes(), headers=headers,
                                    content_type="application/xml")
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def start(self, login: str, model: str, data: dict[str, Any]) -> int:
        response = self.client.post("/api/v1/process-instances", headers=self.auth(login),
                                    json={"model": model, "data": data})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def tasks(self, login: str, instance_id: int | None = None, status: str = "open") -> list[dict[str, Any]]:
        response = self.client.get(f"/api/v1/tasks?status={status}", headers=self.auth(login))
        assert response.status_code == 200, response.get_json()
        found = response.get_json()["tasks"]
        return [t for t in found if instance_id is None or t["instance_id"] == instance_id]

    def task(self, login: str, instance_id: int) -> dict[str, Any]:
        """The one open task of an instance that `login` sees."""
        found = self.tasks(login, instance_id)
        assert len(found) == 1, found
        return found[0]

    def act(self, login: str, task_id: int, action: str, body: dict[str, Any] | None = None,
            expect: int = 200) -> dict[str, Any]:
        response = self.client.post(f"/api/v1/tasks/{task_id}/{action}", headers=self.auth(login), json=body or {})
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def instance(self, instance_id: int) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/process-instances/{instance_id}", headers=self.auth("admin"))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def history(self, instance_id: int) -> list[dict[str, Any]]:
        """The instance's audit trail as the auditor reads it, oldest first."""
        response = self.client.get(f"/api/v1/process-instances/{instance_id}/history", headers=self.auth("audrey"))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        return body["items"] if isinstance(body, dict) else body

    def actions(self, instance_id: int) -> list[str]:
        return [entry["action"] for entry in self.history(instance_id)]

    def deliver(self) -> None:
        """Run the worker until nothing is due at the clock's time (mail lands in the outbox)."""
        for _ in range(50):
            if not self.worker.run_once():
                return
        raise AssertionError("the worker kept finding due jobs")

    def outbox(self) -> list[Mail]:
        self.deliver()
        mails = []
        for path in sorted(self.host.settings.outbox.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            body = message.get_body(preferencelist=("plain",))
            subject = " ".join(str(message["Subject"]).split())  # a folded header reads back with a leading space
            mails.append(Mail(str(message["To"]), subject, body.get_content() if body else ""))
        return mails


def load_demo(host: Host) -> dict[str, str]:
    """Demo users (with tokens), every shipped model deployed, demo master data, a scanning system account;
    the issued tokens by login."""
    summary = demo.load(host)
    assert summary["refused"] == [], summary["refused"]
    issued: dict[str, str] = {}
    with host.db.unit_of_work() as session:
        users = session.scalars(select(User).order_by(User.login)).all()
        for user in users:
            _, issued[user.login] = tokens.create_token(session, user, actor=Actor.system(user.environment_id))
    from server.auth import service as auth

    with host.db.unit_of_work() as session:
        env_id = users[0].environment_id
        scanner = auth.create_user(session, env_id, "scanner", actor=Actor.system(env_id), roles=("system",),
                                   email="scanner@example.com", password="pw-scanner")
        _, issued["scanner"] = tokens.create_token(session, scanner, actor=Actor.system(env_id))
    return issued


def site_on(host: Host, issued: dict[str, str]) -> Site:
    """The site of a host whose database already holds the demo (see load_demo), with its own clock and worker."""
    clock = Clock()
    return Site(host, create_app(host=host).test_client(), dict(issued), Worker(host, clock=clock), clock)


def open_site(host: Host) -> Site:
    """A site on an empty, migrated database: the demo loaded into it."""
    return site_on(host, load_demo(host))
