"""Deploying a model: the API, the designer and `stroom deploy` call one verb, so a deployment through any
of them stores the same version, writes the same audit entry and answers with the same version."""
from __future__ import annotations

from server.auth.actor import Actor
from server.operations import models
from tests.http.operations.conftest import Edges
from tests.support.paths import REPO

V1 = (REPO / "tests" / "data" / "bpmn" / "two_approvals.bpmn").read_text()
V2 = V1.replace('name="Two approvals"', 'name="Two approvals, revised"')
FILE = "two_approvals.bpmn"


def seed(edges: Edges, key: str) -> None:
    """Version 1 of `key`, deployed by the designer (through the verb itself)."""
    with edges.site.host.db.unit_of_work() as session:
        designer = Actor(kind="user", name="designer", environment_id=1, roles=frozenset({"designer"}))
        models.deploy(session, edges.site.host, actor=designer, key=key, bpmn={FILE: V1.encode()})


def test_a_new_version_deployed_through_every_edge_is_the_same_version(edges: Edges, tmp_path) -> None:
    for key in ("by_api", "by_page", "by_cli"):
        seed(edges, key)
    client, token = edges.browser("designer")
    api = client.post("/api/v1/models/by_api/deploy", json={"bpmn": {FILE: V2}}, headers={"X-CSRF-Token": token})
    assert api.status_code == 201, api.get_json()
    page = client.post("/designer/by_page/deploy", json={"kind": "bpmn", "filename": FILE, "content": V2},
                       headers={"X-CSRF-Token": token})
    assert page.status_code == 200, page.get_json()
    (tmp_path / FILE).write_text(V2)
    code, cli = edges.stroom("deploy", str(tmp_path / FILE), "--key", "by_cli")
    assert code == 0, cli

    answers = {"api": api.get_json(), "page": page.get_json(), "cli": cli[0]}
    assert {name: answer["version"] for name, answer in answers.items()} == {"api": 2, "page": 2, "cli": 2}
    assert answers["api"]["checksum"] == answers["cli"]["checksum"]
    assert answers["page"]["unchanged"] is False and answers["api"]["name"] == "Two approvals, revised"
    entries = {key: edges.audit_last("model.deployed", key) for key in ("by_api", "by_page", "by_cli")}
    assert [e.after for e in entries.values()] == [{"version": 2, "checksum": answers["api"]["checksum"],
                                                    "files": [FILE]}] * 3
    assert [e.actor for e in entries.values()] == ["designer", "designer", "cli"]


def test_the_same_sources_again_make_no_new_version_through_any_edge(edges: Edges, tmp_path) -> None:
    seed(edges, "same")
    client, token = edges.browser("designer")
    api = client.post("/api/v1/models/same/deploy", json={"bpmn": {FILE: V1}}, headers={"X-CSRF-Token": token})
    page = client.post("/designer/same/deploy", json={"kind": "bpmn", "filename": FILE, "content": V1},
                       headers={"X-CSRF-Token": token})
    (tmp_path / FILE).write_text(V1)
    code, cli = edges.stroom("deploy", str(tmp_path / FILE), "--key", "same")
    assert (api.get_json()["version"], page.get_json(), cli[0]["version"], code) == (
        1, {"version": 1, "unchanged": True, "url": "/designer/same"}, 1, 0)
    assert len(edges.audit_all("model.deployed", "same")) == 1


def test_a_refused_model_is_refused_alike_and_naming_the_element(edges: Edges, tmp_path) -> None:
    seed(edges, "broken")
    broken = V1.replace("</bpmn:process>",
                        '<bpmn:sequenceFlow id="dangling" sourceRef="start" targetRef="nowhere"/></bpmn:process>')
    client, token = edges.browser("designer")
    api = client.post("/api/v1/models/broken/deploy", json={"bpmn": {FILE: broken}},
                      headers={"X-CSRF-Token": token})
    page = client.post("/designer/broken/deploy", json={"kind": "bpmn", "filename": FILE, "content": broken},
                       headers={"X-CSRF-Token": token})
    assert (api.status_code, page.status_code) == (422, 422)
    assert api.get_json()["error"]["code"] == page.get_json()["error"]["code"] == "invalid_model"
    assert api.get_json()["error"]["details"] == page.get_json()["error"]["details"]
    (tmp_path / FILE).write_text(broken)
    code, _ = edges.stroom("deploy", str(tmp_path / FILE), "--key", "broken")
    assert code == 1
    assert len(edges.audit_all("model.deployed", "broken")) == 1  # only the seed


def test_only_designers_and_admins_deploy(edges: Edges) -> None:
    seed(edges, "guarded")
    client, token = edges.browser("carla")
    assert client.post("/api/v1/models/guarded/deploy", json={"bpmn": {FILE: V2}},
                       headers={"X-CSRF-Token": token}).status_code == 403
    assert client.post("/designer/guarded/deploy", json={"kind": "bpmn", "filename": FILE, "content": V2},
                       headers={"X-CSRF-Token": token}).status_code == 403
