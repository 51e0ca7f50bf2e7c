"""Scale-out: two web processes and two `stroom worker` processes share nothing but one PostgreSQL.

1,000 invoices (auto-approved and routed ones mixed) go in over HTTP, spread over both web
processes, while two approvers complete 300 routed tasks through them at the same time and the
workers deliver the task e-mails. Afterwards every invoice must have ended in exactly one correct
state, exactly once, and the audit chain must be complete and verify.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.audit.verify import verify
from server.auth import service as auth
from server.auth import tokens
from server.auth.actor import Actor
from server.auth.models import User
from server.demo import load
from server.host import open_host
from server.instances import service as instances
from server.instances.models import ProcessInstance
from server.invoices.models import Invoice, ReceivedDocument
from server.jobs.models import Job
from server.tasks.models import HumanTask
from tests.conftest import make_settings
from tests.support import databases
from tests.support.paths import REPO

pytestmark = pytest.mark.scale

INVOICES = REPO / "tests" / "data" / "invoices"
MODEL = REPO / "tests" / "data" / "bpmn" / "scale" / "purchase_invoice.bpmn"
TABLE = REPO / "dmn" / "invoice_approval.dmn"
BIN = Path(sys.executable).parent
AUTO, ROUTED, COMPLETIONS = 700, 300, 300
# routed samples and the group the default table sends them to
SAMPLES = {"auto": ("auto_approve_exact.xml", None), "purchasing": ("matching_difference.xml", "purchasing"),
           "creditors": ("unknown_bank_account.xml", "creditors")}


def unique(template: bytes, n: int) -> bytes:
    """The sample with its own number and dates (the same amount and date would flag a duplicate)."""
    import datetime as dt

    issue = re.search(rb"<cbc:IssueDate>([0-9-]+)</cbc:IssueDate>", template)
    assert issue is not None
    day = dt.date.fromisoformat(issue.group(1).decode()) - dt.timedelta(days=n)
    xml = re.sub(rb"<cbc:ID>[^<]*</cbc:ID>", f"<cbc:ID>SCALE-{n}</cbc:ID>".encode(), template, count=1)
    xml = re.sub(rb"<cbc:IssueDate>[^<]*</cbc:IssueDate>", f"<cbc:IssueDate>{day}</cbc:IssueDate>".encode(), xml,
                 count=1)
    return re.sub(rb"<cbc:DueDate>[^<]*</cbc:DueDate>",
                  f"<cbc:DueDate>{day + dt.timedelta(days=30)}</cbc:DueDate>".encode(), xml, count=1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(port: int, method: str, path: str, token: str, body: bytes | None = None,
         content_type: str = "application/json") -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Authorization": f"Bearer {token}",
                                                       "Content-Type": content_type})
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        conn.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A private PostgreSQL database with demo data, 2 gunicorn web processes and 2 workers."""
    reason = databases.postgres_available()
    if reason is not None:
        pytest.skip(f"PostgreSQL not available: {reason}")
    folder = tmp_path_factory.mktemp("scale")
    url = databases.create_postgres_database()
    settings = make_settings(folder, url)
    host = open_host(settings)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        from server.migrate import upgrade

        upgrade(host.db.engine)
        load(host)
        tokens_by_login = {}
        with host.db.unit_of_work() as session:
            env = auth.ensure_environment(session, auth.DEFAULT_ENVIRONMENT)
            system = Actor.system(env.id, "scale")
            instances.deploy(session, host, actor=system, key="purchase_invoice",
                             bpmn={MODEL.name: MODEL.read_bytes()}, dmn={TABLE.name: TABLE.read_bytes()})
            sender = auth.create_user(session, env.id, "sender", actor=system, roles=("user",),
                                      email="sender@example.com", password="sender-password")
            users = session.scalars(select(User).where(User.environment_id == env.id,
                                                       User.login.in_(("carla", "piet")))).all()
            for user in [sender, *users]:
                tokens_by_login[user.login] = tokens.create_token(session, user, actor=system)[1]
        env_vars = {k: v for k, v in os.environ.items() if not k.startswith("STROOM_")}
        env_vars.update(STROOM_DATABASE_URL=url, STROOM_INSTANCE_DIR=str(folder / "instance"),
                        STROOM_SECRET_KEY="scale-secret", STROOM_EMBEDDED_WORKER="false",
                        STROOM_UBL_RULES="off", STROOM_LOG_LEVEL="WARNING", PYTHONPATH=str(REPO))
        ports = [free_port(), free_port()]
        log = (folder / "processes.log").open("wb")
        for port in ports:
            processes.append(subprocess.Popen(
                # threaded, as README "Running at scale" advises for PostgreSQL
                [str(BIN / "gunicorn"), "-w", "1", "--threads", "2", "-b", f"127.0.0.1:{port}",
                 "server.app:create_app()"],
                cwd=REPO, env=env_vars, stdout=log, stderr=subprocess.STDOUT))
        for _ in range(2):
            processes.append(subprocess.Popen([str(BIN / "stroom"), "worker"], cwd=REPO, env=env_vars,
                                              stdout=log, stderr=subprocess.STDOUT))
        for port in ports:
            _wait_healthy(port, processes, folder / "processes.log")
        yield {"host": host, "ports": ports, "tokens": tokens_by_login, "log": folder / "processes.log"}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        host.db.dispose()
        databases.drop_postgres_database(url)


def _wait_healthy(port: int, processes: list[subprocess.Popen[bytes]], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert all(p.poll() is None for p in processes), log.read_text()[-3000:]
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"web process on port {port} did not start:\n{log.read_text()[-3000:]}")


def _plan() -> list[tuple[int, str]]:
    """(number, kind) of every invoice: auto-approved ones with routed ones spread among them."""
    kinds = ["auto"] * AUTO + ["purchasing", "creditors"] * (ROUTED // 2)
    order = sorted(range(len(kinds)), key=lambda i: (i * 7919) % len(kinds))  # a fixed shuffle
    return [(n, kinds[i]) for n, i in enumerate(order)]


def _send(cluster: dict[str, Any], plan: list[tuple[int, str]], errors: list[str]) -> None:
    templates = {kind: (INVOICES / name).read_bytes() for kind, (name, _) in SAMPLES.items()}
    lock, queue = threading.Lock(), list(plan)

    def sender(port: int) -> None:
        while True:
            with lock:
                if not queue:
                    return
                n, kind = queue.pop()
            status, body = call(port, "POST", "/api/v1/invoices", cluster["tokens"]["sender"],
                                unique(templates[kind], n), "application/xml")
            if status != 201 or body.get("status") != "accepted":
                errors.append(f"invoice {n}: {status} {body}")

    threads = [threading.Thread(target=sender, args=(cluster["ports"][i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _approve(cluster: dict[str, Any], login: str, port: int, done: list[int], stop: threading.Event,
             errors: list[str]) -> None:
    """Complete visible open tasks (approve even numbers, disapprove odd) until COMPLETIONS are done."""
    token = cluster["tokens"][login]
    while not stop.is_set() and len(done) < COMPLETIONS:
        status, page = call(port, "GET", "/api/v1/tasks?groups=mine&limit=20", token)
        if status != 200:
            errors.append(f"task list for {login}: {status} {page}")
            return
        if not page["tasks"]:
            time.sleep(0.1)
            continue
        for task in page["tasks"]:
            if len(done) >= COMPLETIONS:
                return
            status, body = call(port, "POST", f"/api/v1/tasks/{task['id']}/complete", token,
                                json.dumps({"data": {"approved": task["instance_id"] % 2 == 0}}).encode())
            if status == 200:
                done.append(task["id"])
            elif status not in (404, 409):  # the other approver may have won the race: fine
                errors.append(f"completing task {task['id']}: {status} {body}")


def test_invoices_and_task_completions_through_two_web_processes_and_two_workers(cluster: dict[str, Any]) -> None:
    plan = _plan()
    errors: list[str] = []
    done: list[int] = []
    stop = threading.Event()
    approvers = [threading.Thread(target=_approve, args=(cluster, login, cluster["ports"][i], done, stop, errors))
                 for i, login in enumerate(("carla", "piet"))]
    for thread in approvers:
        thread.start()
    _send(cluster, plan, errors)
    for thread in approvers:
        thread.join(timeout=60)
    stop.set()
    assert not errors, errors[:5]
    assert len(done) == COMPLETIONS == len(set(done))
    _wait_for_jobs(cluster["host"])
    _check_outcomes(cluster["host"], plan)


def _wait_for_jobs(host: Any) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with host.db.unit_of_work() as session:
            if not session.scalar(select(func.count()).select_from(Job).where(Job.status.in_(("pending", "running")))):
                return
        time.sleep(0.2)
    raise AssertionError("the workers did not finish the queued jobs")


def _check_outcomes(host: Any, plan: list[tuple[int, str]]) -> None:
    expected_group = {f"SCALE-{n}": SAMPLES[kind][1] for n, kind in plan}
    with host.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(ReceivedDocument)) == len(plan)
        invoices = {i.number: i for i in session.scalars(select(Invoice))}
        assert set(invoices) == set(expected_group)  # each invoice exactly once
        instances_by_id = {i.id: i for i in session.scalars(select(ProcessInstance))}
        assert len(instances_by_id) == len(plan)
        tasks: dict[int, list[HumanTask]] = {}
        for task in session.scalars(select(HumanTask)):
            tasks.setdefault(task.instance_id, []).append(task)
        outcome_events = dict(session.execute(
            select(AuditEvent.target_id, func.count()).where(AuditEvent.action.in_(("invoice.approved",
                                                                                    "invoice.disapproved")))
            .group_by(AuditEvent.target_id)).all())
        started = set(session.scalars(select(AuditEvent.instance_id).where(AuditEvent.action == "instance.started")))
        for number, group in expected_group.items():
            invoice = invoices[number]
            instance = instances_by_id[invoice.instance_id]
            assert invoice.instance_id in started, number
            own_tasks = tasks.get(instance.id, [])
            if group is None:
                assert (invoice.status, instance.status, own_tasks) == ("approved", "completed", []), number
                continue
            (task,) = own_tasks
            assert task.candidate_groups == [group], number
            if task.status == "completed":
                wanted = "approved" if instance.id % 2 == 0 else "disapproved"
                assert (invoice.status, instance.status) == (wanted, "completed"), number
            else:
                assert (task.status, invoice.status, instance.status) == ("open", "received", "running"), number
                continue
            assert outcome_events.get(str(invoice.id)) == 1, number
        completed = sum(1 for ts in tasks.values() for t in ts if t.status == "completed")
        assert completed == COMPLETIONS
        assert session.scalar(select(func.count()).select_from(Job).where(Job.status != "done")) == 0
        chain = verify(session, key=host.audit_key)
        assert chain.ok, chain.first_broken
        assert chain.checked == session.scalar(select(func.count()).select_from(AuditEvent))
