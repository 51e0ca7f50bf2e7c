"""One demo site whose API (session + CSRF header), pages and `stroom tasks` act on the same SQLite database,
and fresh approval tasks for the creditors group (carla) to act on through each of them."""
from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.actor import Actor
from server.auth.models import Environment
from server.cli import build
from server.demo_data import demo_invoice_paths
from server.invoices import service as invoices
from server.jobs.models import Job
from server.tasks.models import HumanTask
from tests.e2e.site import Site, build_site, csrf

SAMPLE = next(p for p in demo_invoice_paths() if p.name == "unknown_bank_account.xml").read_text("utf-8")
_NUMBERS = itertools.count(1)


@dataclasses.dataclass
class Edges:
    site: Site

    def browser(self, login: str) -> tuple[FlaskClient, str]:
        """A logged-in client and the CSRF token its pages carry (the API takes it as X-CSRF-Token)."""
        client = self.site.client(login)
        return client, csrf(client.get("/tasks").text)

    def api(self, login: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        client, token = self.browser(login)
        answer = client.post(path, json=body or {}, headers={"X-CSRF-Token": token})
        return answer.status_code, answer.get_json()

    def page(self, login: str, path: str, form: dict[str, str]) -> tuple[int, str]:
        """POST a page form (with its CSRF token) and follow the redirect: status and the page shown."""
        client, token = self.browser(login)
        shown = client.post(path, data={"csrf_token": token, **form}, follow_redirects=True)
        return shown.status_code, shown.text

    def stroom(self, *args: str) -> tuple[int, list[dict[str, Any]], str]:
        """Run `stroom ARGS` against the site's database: exit code, the JSON lines printed, stderr."""
        settings = self.site.settings
        env = {"STROOM_DATABASE_URL": settings.database_url, "STROOM_INSTANCE_DIR": str(settings.instance_dir),
               "STROOM_OUTBOX_DIR": str(settings.outbox), "STROOM_UBL_RULES": settings.ubl_rules,
               "STROOM_SECRET_KEY": "cli-tests", "STROOM_LOG_LEVEL": "WARNING", "STROOM_EMBEDDED_WORKER": "false"}
        result = CliRunner().invoke(build(), list(args), env=env, catch_exceptions=False)
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        return result.exit_code, lines, result.stderr

    def fresh_task(self) -> int:
        """A new approval task for the creditors group (an invoice of its own)."""
        xml = SAMPLE.replace("<cbc:ID>PT-2026-0411</cbc:ID>", f"<cbc:ID>PT-VERBS-{next(_NUMBERS)}</cbc:ID>", 1)
        with self.site.host.db.unit_of_work() as session:
            env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        result = invoices.ingest(self.site.host, actor=Actor.system(env_id, "tests"), content=xml.encode(),
                                 source="web")
        assert result.instance_id is not None, result
        with self.site.host.db.unit_of_work() as session:
            return session.scalars(select(HumanTask.id).where(HumanTask.instance_id == result.instance_id)).one()

    def task(self, task_id: int) -> HumanTask:
        with self.site.host.db.unit_of_work() as session:
            task = session.get(HumanTask, task_id)
            assert task is not None
            session.expunge(task)
            return task

    def audit(self, action: str, task_id: int) -> AuditEvent:
        """The newest audit entry of an action on a task."""
        with self.site.host.db.unit_of_work() as session:
            found = list(session.scalars(select(AuditEvent).where(
                AuditEvent.action == action, AuditEvent.target_type == "task",
                AuditEvent.target_id == str(task_id)).order_by(AuditEvent.id)))
            assert found, f"no {action} entry for task {task_id}"
            session.expunge_all()
            return found[-1]

    def mails(self, instance_id: int) -> list[dict[str, Any]]:
        """The mail jobs queued for an instance (template, recipients, text)."""
        with self.site.host.db.unit_of_work() as session:
            return [dict(job.payload) for job in session.scalars(select(Job).where(
                Job.kind == "mail", Job.instance_id == instance_id).order_by(Job.id))]


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edges]:
    site = build_site(Path(tmp_path_factory.mktemp("verbs")))
    yield Edges(site)
    site.host.db.dispose()
