"""Reassigning and delegating keep to the rules: only to an existing, active user who may act on tasks,
never to whom four eyes keeps off the task, and an unclaimed task goes back to whom it was for."""
from __future__ import annotations

import pytest

from server.auth.models import User
from server.tasks.models import HumanTask
from tests.http.tasks.test_task_api import APPROVAL, routed


def reassign(api, task_id: int, who: str = "root", **body):
    with api.world.host.db.unit_of_work() as session:
        instance_id = session.get(HumanTask, task_id).instance_id
    return api.post(who, f"/api/v1/process-instances/{instance_id}/tasks/{task_id}/reassign",
                    {"reason": "holiday", **body})


def deactivate(api, login: str) -> None:
    with api.world.host.db.unit_of_work() as session:
        user = session.get(User, api.world.actors[login].user_id)
        user.active = False


@pytest.mark.parametrize(("body", "login", "code"), [
    ({"assignee": "nobody"}, "nobody", "unknown_user"),
    ({"assignee": "sam"}, "sam", "unknown_user"),  # a user of another environment
    ({"assignee": "audrey"}, "audrey", "not_eligible"),  # an auditor may not act on tasks
    ({"assignee": "desi"}, "desi", "not_eligible"),  # nor may a designer
    ({"users": ["bob", "nobody"]}, "nobody", "unknown_user"),
    ({"groups": ["no-such-group"]}, "no-such-group", "unknown_group"),
    ({"roles": ["no-such-role"]}, "no-such-role", "unknown_role"),
])
def test_reassigning_to_someone_who_cannot_take_the_task_is_refused_naming_them(api, body, login, code):
    task_id = routed(api)
    refused = reassign(api, task_id, **body)
    assert refused.status_code == 422, refused.get_json()
    error = refused.get_json()["error"]
    assert error["code"] == code and login in error["message"]
    shown = api.get("root", f"/api/v1/tasks/{task_id}").get_json()
    assert (shown["assignee"], shown["candidate_groups"]) == (None, ["creditors"])  # nothing changed


def test_reassigning_to_a_deactivated_user_is_refused(api):
    task_id = routed(api)
    deactivate(api, "cem")
    refused = reassign(api, task_id, assignee="cem")
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "unknown_user"
    assert "cem" in refused.get_json()["error"]["message"]
    assert reassign(api, task_id, assignee="bob").status_code == 200


def test_unclaiming_a_task_reassigned_to_one_person_returns_it_to_its_group_not_to_everyone(api):
    task_id = routed(api)  # for creditors (ann, bob)
    assert reassign(api, task_id, assignee="cem").status_code == 200
    assert api.post("ann", f"/api/v1/tasks/{task_id}/complete", {"data": APPROVAL}).status_code == 403
    assert api.post("cem", f"/api/v1/tasks/{task_id}/unclaim").status_code == 200
    shown = api.get("root", f"/api/v1/tasks/{task_id}").get_json()
    assert (shown["assignee"], shown["candidate_groups"]) == (None, ["creditors"])
    assert api.post("dirk", f"/api/v1/tasks/{task_id}/claim").status_code in (403, 404)
    assert api.post("cem", f"/api/v1/tasks/{task_id}/claim").status_code in (403, 404)
    assert api.post("ann", f"/api/v1/tasks/{task_id}/claim").get_json()["assignee"] == "ann"


def test_unclaiming_a_reassigned_personal_task_returns_it_to_that_person(api):
    instance = api.world.start("mi_all", {"approvers": ["ann"]})
    (task,) = api.world.tasks(instance)
    assert task.assignee == "ann"
    assert reassign(api, task.id, assignee="cem").status_code == 200
    assert api.post("cem", f"/api/v1/tasks/{task.id}/unclaim").status_code == 200
    assert api.post("dirk", f"/api/v1/tasks/{task.id}/claim").status_code in (403, 404)
    assert api.post("ann", f"/api/v1/tasks/{task.id}/claim").get_json()["assignee"] == "ann"


def test_four_eyes_holds_when_an_admin_reassigns(api):
    instance = api.world.start("expense", {"claimant": "dirk"})  # dirk is a manager, and the claimant
    (task,) = api.world.tasks(instance)
    for body in ({"assignee": "dirk"}, {"users": ["dirk"]}):
        refused = reassign(api, task.id, **body)
        assert refused.status_code == 403, refused.get_json()
        assert refused.get_json()["error"]["code"] == "four_eyes" and "dirk" in refused.get_json()["error"]["message"]
    assert reassign(api, task.id, assignee="erik").status_code == 200


def test_four_eyes_holds_on_delegation_both_ways(api):
    instance = api.world.start("expense", {"claimant": "dirk"})
    (task,) = api.world.tasks(instance)
    # The claimant may not pick who decides on his own claim ...
    picked = api.post("dirk", f"/api/v1/tasks/{task.id}/delegate", {"to": "cem"})
    assert picked.status_code == 403 and picked.get_json()["error"]["code"] == "four_eyes"
    # ... nor receive it from a colleague.
    handed = api.post("erik", f"/api/v1/tasks/{task.id}/delegate", {"to": "dirk"})
    assert handed.status_code == 403 and handed.get_json()["error"]["code"] == "four_eyes"
    assert api.get("root", f"/api/v1/tasks/{task.id}").get_json()["status"] == "open"


def test_delegating_to_someone_who_may_not_act_on_tasks_is_refused(api):
    task_id = routed(api)
    refused = api.post("ann", f"/api/v1/tasks/{task_id}/delegate", {"to": "audrey"})
    assert refused.status_code == 422 and "audrey" in refused.get_json()["error"]["message"]
    assert api.post("ann", f"/api/v1/tasks/{task_id}/delegate", {"to": "cem"}).status_code == 200


def test_a_reassigned_delegated_task_leaves_the_delegate_in_the_partner_environment(api):
    task_id = routed(api)
    assert api.post("ann", f"/api/v1/tasks/{task_id}/delegate", {"to": "pia", "environment": "partner"}).status_code == 200
    assert api.get("pia", f"/api/v1/tasks/{task_id}").status_code == 200
    assert reassign(api, task_id, assignee="bob").status_code == 200
    assert api.get("pia", f"/api/v1/tasks/{task_id}").status_code == 404
    assert api.post("pia", f"/api/v1/tasks/{task_id}/complete", {"data": APPROVAL}).status_code == 404
    shown = api.get("root", f"/api/v1/tasks/{task_id}").get_json()
    assert (shown["status"], shown["assignee"], shown["delegated_to"]) == ("claimed", "bob", None)
