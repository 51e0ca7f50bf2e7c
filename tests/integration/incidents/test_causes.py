"""Each incident names its cause where the step failed, raised for real: a decision without a matching rule,
a FEEL error in a condition, a failing service, a process without its invoice, a mail to an invoice without
supplier, a mail server that refuses the address or cannot be reached; counted by cause and retried by cause."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server import causes
from server.auth.actor import Actor
from server.engine import ServiceCall
from server.host import Host, open_host
from server.instances import service as instances
from server.instances.models import Incident
from server.instances.registry import default_services
from server.instances.view import incident_json
from server.jobs.models import Job
from server.jobs.worker import Worker
from server.operations import incidents as operations
from server.operations import repair
from tests.conftest import make_settings
from tests.integration.jobs.support import JOB_MODELS, FakeClock, drain, seed_people
from tests.integration.mail.conftest import SmtpServer

MODELS = Path(__file__).resolve().parents[2] / "data" / "bpmn" / "incidents"


def ledger_down(call: ServiceCall) -> dict[str, Any]:
    raise ConnectionError("ledger unreachable")


@pytest.fixture
def host(tmp_path: Path, database_url: str) -> Iterator[Host]:
    services = default_services().merged([("book", ledger_down)])
    opened = open_host(make_settings(tmp_path, database_url), services=services)
    yield opened
    opened.db.dispose()


def deploy(host: Host, actor: Actor, key: str, *, folder: Path = MODELS, dmn: str | None = None) -> None:
    with host.db.unit_of_work() as session:
        instances.deploy(session, host, actor=actor, key=key,
                         bpmn={f"{key}.bpmn": (folder / f"{key}.bpmn").read_bytes()},
                         dmn={dmn: (MODELS / dmn).read_bytes()} if dmn else None)


def start(host: Host, actor: Actor, key: str, **data: Any) -> dict[str, Any]:
    """Start an instance; its one open incident as the API shows it."""
    with host.db.unit_of_work() as session:
        instance = instances.start(session, host, actor=actor, key=key, data=data)
        (incident,) = session.scalars(select(Incident).where(Incident.instance_id == instance.id,
                                                             Incident.status == "open"))
        return incident_json(incident)


def test_each_failing_step_names_its_cause_and_keeps_the_technical_detail(host: Host) -> None:
    admin = seed_people(host)
    deploy(host, admin, "routing", dmn="routing.dmn")
    deploy(host, admin, "one_service")
    deploy(host, admin, "disapproval_notice", folder=JOB_MODELS)

    no_rule = start(host, admin, "routing", kind="furniture", lines=1)
    assert (no_rule["cause"], no_rule["cause_detail"], no_rule["element_id"]) == (
        causes.NO_MATCHING_RULE, "routing", "which_route")
    assert no_rule["causeText"] == "a decision had no matching rule: routing"

    feel = start(host, admin, "routing", kind="furniture", lines=10 ** 8)
    assert feel["cause"] == causes.EXPRESSION_FAILED and feel["element_id"] == "which_route"
    assert feel["causeText"] == "an expression could not be evaluated: a list of more than 1,000,000 items"
    assert "FeelLimitError" in feel["error"]  # the technical detail stays: exception type and message

    service = start(host, admin, "one_service")
    assert (service["cause"], service["causeText"]) == (causes.SERVICE_FAILED, "a service task failed: book")
    assert "ConnectionError: ledger unreachable" in service["error"] and service["element_id"] == "book"

    no_supplier = start(host, admin, "disapproval_notice", comment="too expensive")
    assert (no_supplier["cause"], no_supplier["causeText"]) == (causes.NO_SUPPLIER, "the invoice has no supplier")
    unknown = start(host, admin, "disapproval_notice", invoice={"supplier_name": "Bakkerij Brood"})
    assert unknown["causeText"] == "a mail recipient is unknown: invoice"

    with host.db.unit_of_work() as session:
        counts = {c.cause: c.count for c in operations.cause_counts(session, actor=admin)}
    assert counts == {causes.NO_MATCHING_RULE: 1, causes.EXPRESSION_FAILED: 1, causes.SERVICE_FAILED: 1,
                      causes.NO_SUPPLIER: 1, causes.UNKNOWN_RECIPIENT: 1}


def test_retrying_all_of_a_cause_reports_what_ran_on_and_what_failed_again(host: Host) -> None:
    admin = seed_people(host)
    deploy(host, admin, "routing", dmn="routing.dmn")
    first = start(host, admin, "routing", kind="furniture", lines=1)
    second = start(host, admin, "routing", kind="furniture", lines=1)
    with host.db.unit_of_work() as session:  # repair one: a kind the table knows
        instance = instances.get_instance(session, admin.environment_id, first["instance_id"])
        run = instances.load_run(session, host, instance, actor=admin)
    with host.db.unit_of_work() as session:
        repair.set_variables(session, host, actor=admin, instance_id=first["instance_id"], reason="known kind",
                             variables={**run.last_data(), "route": "purchasing"})
    done = operations.retry_all(host, actor=admin, cause=causes.NO_MATCHING_RULE, reason="table fixed")
    assert {r.instance_id: r.outcome for r in done.results} == {first["instance_id"]: "retried",
                                                               second["instance_id"]: "failed_again"}
    assert done.to_json()["retried"] == 1 and done.to_json()["failed_again"] == 1
    with host.db.unit_of_work() as session:
        assert instances.get_instance(session, admin.environment_id, first["instance_id"]).status == "completed"
        statuses = {n: s for n, s in session.execute(select(Incident.instance_id, Incident.status))}
    assert statuses == {first["instance_id"]: "resolved", second["instance_id"]: "open"}


def test_a_refused_address_and_an_unreachable_mail_server_are_named_and_retried(tmp_path: Path,
                                                                                database_url: str) -> None:
    server = SmtpServer()
    server.start()
    host = open_host(make_settings(tmp_path, database_url, smtp_url=f"smtp://127.0.0.1:{server.port}"))
    try:
        admin = seed_people(host)
        deploy(host, admin, "disapproval_notice", folder=JOB_MODELS)
        invoice = {"supplier_name": "Bakkerij Brood", "contact_email": "nobody@example.com"}
        with host.db.unit_of_work() as session:
            refused_id = instances.start(session, host, actor=admin, key="disapproval_notice",
                                         data={"invoice": invoice, "comment": "no"}).id
        drain(Worker(host))
        server.stop()  # now nobody listens on the port: the next mail cannot be delivered
        with host.db.unit_of_work() as session:
            down_id = instances.start(session, host, actor=admin, key="disapproval_notice",
                                      data={"invoice": {**invoice, "contact_email": "ok@example.com"},
                                            "comment": "no"}).id
        clock = FakeClock()
        worker = Worker(host, clock=clock)
        for _ in range(12):  # every attempt, each after its backoff
            drain(worker)
            clock.advance(seconds=900)
        with host.db.unit_of_work() as session:
            found = {i.instance_id: incident_json(i) for i in session.scalars(select(Incident))}
        assert (found[refused_id]["cause"], found[refused_id]["element_id"]) == (causes.MAIL_REFUSED,
                                                                                "notify_supplier")
        assert found[refused_id]["causeText"] == "the mail server refused the address"
        assert found[down_id]["causeText"] == "the mail server could not be reached"
        assert "Connection refused" in found[down_id]["error"]

        server.start()  # the mail server is back: retrying all of that cause queues the mail again
        done = operations.retry_all(host, actor=admin, cause=causes.MAIL_UNREACHABLE, reason="server back")
        assert [(r.instance_id, r.outcome) for r in done.results] == [(down_id, "retried")]
        drain(worker)
        assert [m.recipients for m in server.inbox.messages] == [["ok@example.com"]]
        with host.db.unit_of_work() as session:
            job = session.get(Job, found[down_id]["job_id"])
            assert job is not None and job.status == "done"
    finally:
        server.stop()
        host.db.dispose()
