"""An auditor reads everything in their environment and changes nothing: 403 on every state-changing call."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from tests.support.factories import bearer

# Logging in and out is open to everyone, auditors included.
OPEN_TO_ALL = {"api_session.log_in", "api_session.log_out"}
MINE = {
    "api_instances.suspend", "api_instances.resume", "api_instances.terminate", "api_instances.retry",
    "api_instances.move", "api_instances.restart_step", "api_instances.restart", "api_instances.reassign",
    "api_incidents.retry",
}


def state_changing_api_calls(app, instance_id: int, task_id: int) -> list[tuple[str, str, str]]:
    calls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in OPEN_TO_ALL:
            continue
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            path = re.sub(r"<int:task_id>", str(task_id), rule.rule)
            path = re.sub(r"<int:[a-z_]+>", str(instance_id), path)
            path = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "x", path)
            calls.append((rule.endpoint, method, path))
    return calls


def audit_count(purchase) -> int:
    with purchase.host.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_auditor_token_gets_403_on_every_state_changing_endpoint(purchase, client):
    instance_id = purchase.start()
    task_id = purchase.open_task(instance_id, "approve").id
    calls = state_changing_api_calls(client.application, instance_id, task_id)
    assert MINE <= {endpoint for endpoint, _, _ in calls}
    before = audit_count(purchase)
    refused = {}
    for endpoint, method, path in calls:
        response = client.open(path, method=method, json={"reason": "x", "to": "book", "element_id": "register"},
                               headers=bearer(purchase.tokens["audrey"]))
        refused[endpoint] = response.status_code
    assert {e: s for e, s in refused.items() if s != 403} == {}
    assert audit_count(purchase) == before  # nothing happened, so nothing was logged
    assert purchase.instance(instance_id).status == "running"


def test_an_auditor_reads_instances_incidents_and_the_log(purchase, client):
    instance_id = purchase.start()
    headers = bearer(purchase.tokens["audrey"])
    for path in (f"/api/v1/process-instances/{instance_id}", f"/api/v1/process-instances/{instance_id}/diagram",
                 f"/api/v1/process-instances/{instance_id}/history", "/api/v1/process-instances",
                 "/api/v1/incidents", "/api/v1/audit", "/api/v1/audit/verify", "/api/v1/audit/export",
                 "/api/v1/audit/checkpoint"):
        assert client.get(path, headers=headers).status_code == 200, path
