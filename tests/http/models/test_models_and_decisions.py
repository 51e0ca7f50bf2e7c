"""Designers deploy models and test decision tables over the API."""
import pytest

from server.app import create_app
from tests.support.factories import bearer, make_user
from tests.support.paths import REPO

BPMN = REPO / "tests" / "data" / "bpmn" / "two_approvals.bpmn"
APPROVAL_TABLE = REPO / "dmn" / "invoice_approval.dmn"


@pytest.fixture
def designer(host):
    _, token = make_user(host, "dana", roles=("designer",))
    return create_app(host=host).test_client(), bearer(token)


def test_a_designer_deploys_a_model_and_sees_its_versions(designer):
    client, auth = designer
    files = {"bpmn": {"two_approvals.bpmn": BPMN.read_text()}}
    first = client.post("/api/v1/models/approvals/deploy", json=files, headers=auth)
    assert first.status_code == 201 and first.get_json()["version"] == 1
    listed = client.get("/api/v1/models", headers=auth).get_json()["items"]
    assert [(m["key"], m["version"]) for m in listed] == [("approvals", 1)]
    source = client.get("/api/v1/models/approvals/versions/1", headers=auth).get_json()
    assert source["bpmn"]["two_approvals.bpmn"] == BPMN.read_text()


def test_a_broken_model_is_refused_with_422_naming_the_element(designer):
    client, auth = designer
    broken = BPMN.read_text().replace('camunda:candidateGroups="creditors"', "").replace(
        "<bpmn:userTask id=\"first_approval\"", "<bpmn:serviceTask id=\"first_approval\"").replace(
        "</bpmn:userTask>\n    <bpmn:userTask", "</bpmn:serviceTask>\n    <bpmn:userTask")
    response = client.post("/api/v1/models/broken/deploy", json={"bpmn": {"b.bpmn": broken}}, headers=auth)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_model"
    assert error["details"][0]["element_id"] == "first_approval"


def test_a_designer_tests_a_draft_table_before_deploying(designer):
    client, auth = designer
    response = client.post("/api/v1/decisions/invoice_approval/evaluate", headers=auth,
                           json={"dmn": APPROVAL_TABLE.read_text(), "inputs": {"possible_duplicate": True}})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["outputs"]["route_to"] == "creditors"
    assert body["matched_rules"][0]["index"] == 1
    assert body["trace"]


def test_a_deployed_table_is_found_by_decision_id(designer):
    client, auth = designer
    client.post("/api/v1/models/approvals/deploy", headers=auth, json={
        "bpmn": {"two_approvals.bpmn": BPMN.read_text()}, "dmn": {"invoice_approval.dmn": APPROVAL_TABLE.read_text()}})
    response = client.post("/api/v1/decisions/invoice_approval/evaluate", headers=auth,
                           json={"inputs": {"possible_duplicate": True}})
    assert response.status_code == 200
    assert response.get_json()["source"].startswith("approvals v1")
    missing = client.post("/api/v1/decisions/nope/evaluate", headers=auth, json={"inputs": {}})
    assert missing.status_code == 404


def test_a_table_with_a_broken_cell_is_refused_naming_the_cell(designer):
    client, auth = designer
    broken = APPROVAL_TABLE.read_text().replace("<text>true</text>", "<text>[1..</text>", 1)
    response = client.post("/api/v1/decisions/invoice_approval/evaluate", headers=auth,
                           json={"dmn": broken, "inputs": {}})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "decision_invalid"


def test_users_without_the_designer_role_cannot_deploy(host):
    _, token = make_user(host, "ulla", roles=("user",))
    client = create_app(host=host).test_client()
    response = client.post("/api/v1/models/x/deploy", json={"bpmn": {}}, headers=bearer(token))
    assert response.status_code == 403
