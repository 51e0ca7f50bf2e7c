"""Task defects of issue 18, as the API user meets them: reassigning to nobody, four eyes on `may_act`,
a delegate acting on a suspended instance, and a multi-instance step that looked done too early."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from server.auth.models import User
from server.jobs.models import Job
from tests.http.tasks.support import Api, build_api

APPROVAL = {"cost_center": "100"}


@pytest.fixture
def api(host: Any) -> Api:
    return build_api(host)


def only_open(api: Api, instance_id: int) -> Any:
    (task,) = [t for t in api.world.tasks(instance_id) if t.status in ("open", "claimed", "delegated")]
    return task


def mail_jobs(api: Api, instance_id: int) -> list[dict[str, Any]]:
    with api.world.host.db.unit_of_work() as session:
        return [dict(j.payload) for j in session.scalars(select(Job).where(Job.kind == "mail",
                                                                            Job.instance_id == instance_id))]


def test_reassigning_to_a_login_that_does_not_exist_is_a_422_naming_it(api: Api) -> None:
    instance = api.world.start("delegation", {})
    task = only_open(api, instance)
    for path in (f"/api/v1/tasks/{task.id}/reassign",
                 f"/api/v1/process-instances/{instance}/tasks/{task.id}/reassign"):
        refused = api.post("root", path, {"assignee": "ghost", "reason": "holiday"})
        assert refused.status_code == 422, refused.get_json()
        assert "ghost" in refused.get_json()["error"]["message"]
    assert only_open(api, instance).assignee is None
    assert mail_jobs(api, instance) == []


def test_a_reassigned_task_is_mailed_to_its_new_assignee_with_a_link(api: Api) -> None:
    instance = api.world.start("delegation", {})
    task = only_open(api, instance)
    with api.world.host.db.unit_of_work() as session:  # bob has an address (the world's people have none)
        session.scalars(select(User).where(User.login == "bob")).one().email = "bob@example.com"
    moved = api.post("root", f"/api/v1/process-instances/{instance}/tasks/{task.id}/reassign",
                     {"assignee": "bob", "reason": "Ann is ill."})
    assert moved.status_code == 200, moved.get_json()
    [mail] = mail_jobs(api, instance)
    assert mail["template"] == "task_assigned" and "bob@example.com" in mail["to"][0]
    assert f"/tasks/{task.id}" in mail["text"]


def test_may_act_is_false_for_someone_four_eyes_keeps_off_the_task(api: Api) -> None:
    instance = api.world.start("expense", {"claimant": "dirk", "amount": 120})
    task = only_open(api, instance)
    seen = api.get("dirk", f"/api/v1/tasks/{task.id}").get_json()
    assert seen["may_act"] is False  # dirk is a manager, but it is his own claim
    assert api.post("dirk", f"/api/v1/tasks/{task.id}/claim").status_code == 403
    assert api.get("erik", f"/api/v1/tasks/{task.id}").get_json()["may_act"] is True


def test_a_delegate_cannot_resolve_while_the_instance_is_suspended(api: Api) -> None:
    instance = api.world.start("delegation", {})
    task = only_open(api, instance)
    assert api.post("ann", f"/api/v1/tasks/{task.id}/delegate", {"to": "cem"}).status_code == 200
    held = api.post("root", f"/api/v1/process-instances/{instance}/suspend", {"reason": "Supplier dispute."})
    assert held.status_code == 200, held.get_json()
    for verb in ("complete", "resolve"):
        refused = api.post("cem", f"/api/v1/tasks/{task.id}/{verb}", {"data": {"remark": "prices match"}})
        assert refused.status_code == 409, refused.get_json()
        assert refused.get_json()["error"]["code"] == "instance_suspended"
    assert (only_open(api, instance).status, only_open(api, instance).delegation_state) == ("delegated", "pending")
    assert api.post("root", f"/api/v1/process-instances/{instance}/resume", {"reason": "Settled."}).status_code == 200
    back = api.post("cem", f"/api/v1/tasks/{task.id}/resolve", {"data": {"remark": "prices match"}})
    assert back.status_code == 200 and back.get_json()["delegation_state"] == "resolved"


def test_a_multi_instance_step_is_not_shown_done_while_a_share_is_open(api: Api) -> None:
    instance = api.world.start("mi_all", {"approvers": ["ann", "bob", "cem"]})
    shares = {t.assignee: t.id for t in api.world.tasks(instance, status="open")}
    assert api.post("ann", f"/api/v1/tasks/{shares['ann']}/complete",
                    {"data": {**APPROVAL, "approved": True}}).status_code == 200

    def step_state() -> str:
        shown = api.get("root", f"/api/v1/process-instances/{instance}").get_json()
        return next(e["state"] for e in shown["elements"] if e["element_id"] == "approve")

    assert step_state() == "active"
    for login in ("bob", "cem"):
        assert api.post(login, f"/api/v1/tasks/{shares[login]}/complete",
                        {"data": {**APPROVAL, "approved": True}}).status_code == 200
    assert step_state() == "done"
