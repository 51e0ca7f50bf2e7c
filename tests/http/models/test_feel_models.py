"""Deploying over HTTP: FEEL models deploy and run; the issue-17 frame escape is a 422 naming the element;
Python deploys only where an admin turned python_scripts on, and stops running when it is turned off."""
from __future__ import annotations

import pytest

from server.app import create_app
from server.auth.actor import Actor
from server.auth import script_policy as policy
from tests.support.factories import bearer, make_user
from tests.unit.engine.test_feel_expressions import attack_models, chain, process

FEEL_MODEL = chain(
    '<bpmn:scriptTask id="e1" scriptFormat="feel" camunda:resultVariable="approvers"><bpmn:script>'
    'split(names, ",")</bpmn:script></bpmn:scriptTask>',
    '<bpmn:userTask id="e2" camunda:assignee="=approver"><bpmn:multiInstanceLoopCharacteristics '
    'camunda:collection="${approvers}" camunda:elementVariable="approver"/></bpmn:userTask>')
PYTHON_MODEL = chain('<bpmn:scriptTask id="e1" scriptFormat="python"><bpmn:script>total = sum(amounts)'
                     '</bpmn:script></bpmn:scriptTask>',
                     '<bpmn:userTask id="e2" camunda:candidateGroups="creditors"/>')


@pytest.fixture
def api(host):
    actor, token = make_user(host, "dana", roles=("designer", "user", "admin"))
    yield create_app(host=host).test_client(), bearer(token), actor
    from server import sandbox

    sandbox.shutdown()


def deploy(client, auth, key, body):
    return client.post(f"/api/v1/models/{key}/deploy", headers=auth,
                       json={"bpmn": {f"{key}.bpmn": process(body)["m.bpmn"].decode()}})


def start(client, auth, key, data):
    response = client.post("/api/v1/process-instances", headers=auth, json={"model": key, "data": data})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def set_python(host, actor, value: bool) -> None:
    with host.db.unit_of_work() as session:
        policy.change_settings(session, actor=Actor.system(actor.environment_id, "test"),
                               environment_id=actor.environment_id, changes={"python_scripts": value})


def test_a_feel_model_deploys_and_runs(api, host):
    client, auth, _ = api
    assert deploy(client, auth, "feel", FEEL_MODEL).status_code == 201
    started = start(client, auth, "feel", {"names": "anna,bob"})
    assert started["status"] == "running"
    view = client.get(f"/api/v1/process-instances/{started['id']}", headers=auth).get_json()
    assert view["incidents"] == [] and view["data"]["approvers"] == ["anna", "bob"]
    assert sorted(t["assignee"] for t in view["open_tasks"]) == ["anna", "bob"]


@pytest.mark.parametrize("where", ["script task", "python script task", "condition", "assignee (JUEL)",
                                   "assignee (FEEL)"])
def test_the_frame_escape_is_a_422_naming_the_element(api, tmp_path, where):
    client, auth, _ = api
    canary = tmp_path / "pwned"
    response = deploy(client, auth, "attack", attack_models(canary)[where])
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_model"
    detail = error["details"][0]
    assert detail["element_id"] in ("e1", "f1") and detail["kind"] in ("script", "condition", "assignee")
    assert "gi_frame" in detail["expression"]
    assert not canary.exists()


def test_python_deploys_only_where_allowed_and_stops_when_turned_off(api, host):
    client, auth, actor = api
    refused = deploy(client, auth, "py", PYTHON_MODEL)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"][0]["element_id"] == "e1"
    assert "setting python_scripts" in refused.get_json()["error"]["message"]

    set_python(host, actor, True)
    assert deploy(client, auth, "py", PYTHON_MODEL).status_code == 201
    ran = start(client, auth, "py", {"amounts": [1, 2, 3]})
    view = client.get(f"/api/v1/process-instances/{ran['id']}", headers=auth).get_json()
    assert view["incidents"] == [] and ran["status"] == "running" and view["data"]["total"] == 6

    set_python(host, actor, False)
    stopped = start(client, auth, "py", {"amounts": [1, 2, 3]})
    view = client.get(f"/api/v1/process-instances/{stopped['id']}", headers=auth).get_json()
    assert stopped["status"] == "failed"
    (incident,) = view["incidents"]
    assert incident["element_id"] == "e1" and "python_scripts" in incident["error"]
