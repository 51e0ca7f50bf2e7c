"""`stroom instances ...` performs the interventions from the command line, reason required."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from server.cli import build
from server.instances import service as instances
from tests.support.admin_scenario import MODEL, token_user
from tests.support.factories import deploy_files

TWO_APPROVALS = MODEL.parents[1] / "two_approvals.bpmn"


@pytest.fixture
def stroom(purchase, settings, monkeypatch):
    monkeypatch.setenv("STROOM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("STROOM_INSTANCE_DIR", str(settings.instance_dir))
    monkeypatch.setenv("STROOM_SECRET_KEY", "test")
    runner = CliRunner()

    def run(*args: str) -> tuple[int, dict]:
        result = runner.invoke(build(), list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, (json.loads(result.output) if result.exit_code == 0 else {"output": result.output})
    return run


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_suspend_resume_terminate_from_the_command_line(purchase, stroom):
    # The command runs its own host with the shipped services, so the model here needs none.
    deploy_files(purchase.host, purchase.admin, "two_approvals", TWO_APPROVALS)
    token_user(purchase.host, "dora", roles=("user",), groups=("managers",))  # a reassign names known groups
    with purchase.host.db.unit_of_work() as session:
        iid = instances.start(session, purchase.host, actor=purchase.admin, key="two_approvals",
                              data={"route_group": "approvers"}).id
    code, refused = stroom("instances", "suspend", str(iid))
    assert code == 2 and "--reason" in refused["output"]
    code, view = stroom("instances", "suspend", str(iid), "--reason", "audit hold", "--as", "ada")
    assert code == 0 and view["status"] == "suspended"
    code, view = stroom("instances", "resume", str(iid), "--reason", "released")
    assert code == 0 and view["status"] == "running"
    task_id = purchase.open_task(iid, "first_approval").id
    code, failed = stroom("instances", "reassign", str(task_id), "--assignee", "nobody", "--reason", "holiday")
    assert code == 1 and "nobody" in failed["output"]  # the same checks as the API and the page
    code, view = stroom("instances", "reassign", str(task_id), "--group", "managers", "--reason", "holiday")
    assert code == 0 and view["open_tasks"][0]["candidate_groups"] == ["managers"]
    code, view = stroom("instances", "terminate", str(iid), "--reason", "withdrawn by supplier")
    assert code == 0 and (view["status"], view["end_reason"]) == ("terminated", "withdrawn by supplier")
    assert [(i["action"], i["actor"]) for i in view["interventions"]] == [
        ("suspended", "ada"), ("resumed", "cli"), ("reassigned", "cli"), ("terminated", "cli")]
    code, listed = stroom("instances", "list", "--status", "terminated")
    assert code == 0 and [i["id"] for i in listed["items"]] == [iid]
    code, failed = stroom("instances", "resume", str(iid), "--reason", "again")
    assert code == 1 and "terminated" in failed["output"]
