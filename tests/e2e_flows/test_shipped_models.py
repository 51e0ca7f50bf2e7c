"""Every shipped template deploys as it is and is a readable diagram: every flow element has its shape."""
from __future__ import annotations

import json

import pytest
from lxml import etree

from server.engine import compile_model
from server.instances.registry import default_services
from server.instances.shipped import shipped_models
from tests.support.paths import REPO

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"
TEMPLATES = ("conversion_task", "expense_declaration", "purchase_invoice", "sales_invoice_concept", "trusted_sender")
FLOW_NODES = ("startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent",
              "task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "manualTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "exclusiveGateway", "parallelGateway",
              "inclusiveGateway", "eventBasedGateway")


def test_the_five_templates_are_shipped() -> None:
    assert sorted(m.key for m in shipped_models()) == list(TEMPLATES)


@pytest.mark.parametrize("key", TEMPLATES)
def test_a_template_compiles_with_the_shipped_services_tables_and_forms(key: str) -> None:
    model = next(m for m in shipped_models() if m.key == key)
    compiled = compile_model(bpmn=model.bpmn, dmn=model.dmn, forms=model.forms, services=default_services())
    assert compiled.process_id == key


def test_every_template_deploys_in_a_new_environment(site) -> None:
    # `site` ran `stroom demo`, which deploys bpmn/ and refuses nothing (asserted there); each is version 1.
    response = site.client.get("/api/v1/models", headers=site.auth("designer"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    items = body["items"] if isinstance(body, dict) else body
    assert {m["key"] for m in items} >= set(TEMPLATES)


@pytest.mark.parametrize("key", TEMPLATES)
def test_every_flow_element_has_diagram_interchange(key: str) -> None:
    root = etree.parse(str(REPO / "bpmn" / f"{key}.bpmn")).getroot()
    process = root.find(f"{{{BPMN}}}process")
    nodes = [el for el in process if etree.QName(el).localname in FLOW_NODES]
    flows = process.findall(f"{{{BPMN}}}sequenceFlow")
    shapes = {s.get("bpmnElement"): s for s in root.iter(f"{{{DI}}}BPMNShape")}
    edges = {e.get("bpmnElement"): e for e in root.iter(f"{{{DI}}}BPMNEdge")}
    assert len(nodes) > 3 and flows
    for node in nodes:
        assert node.get("id") in shapes, f"{node.get('id')} has no BPMNShape"
        bounds = shapes[node.get("id")].find("{http://www.omg.org/spec/DD/20100524/DC}Bounds")
        assert bounds is not None and float(bounds.get("width")) > 0 and float(bounds.get("x")) >= 0
        joining = len(node.findall(f"{{{BPMN}}}outgoing")) == 1 and etree.QName(node).localname.endswith("Gateway")
        assert node.get("name") or joining, f"{node.get('id')} has no label"  # a merging gateway needs none
    for flow in flows:
        edge = edges.get(flow.get("id"))
        assert edge is not None, f"{flow.get('id')} has no BPMNEdge"
        assert len(edge.findall("{http://www.omg.org/spec/DD/20100524/DI}waypoint")) >= 2
    assert set(shapes) | set(edges) <= {el.get("id") for el in process.iter() if el.get("id")} | {process.get("id")}


@pytest.mark.parametrize("key", TEMPLATES)
def test_gateway_flows_are_labelled_and_every_split_has_a_default(key: str) -> None:
    root = etree.parse(str(REPO / "bpmn" / f"{key}.bpmn")).getroot()
    process = root.find(f"{{{BPMN}}}process")
    flows = {f.get("id"): f for f in process.findall(f"{{{BPMN}}}sequenceFlow")}
    for gateway in process.findall(f"{{{BPMN}}}exclusiveGateway"):
        outgoing = [flows[o.text] for o in gateway.findall(f"{{{BPMN}}}outgoing")]
        if len(outgoing) > 1:
            assert gateway.get("default") in {f.get("id") for f in outgoing}, gateway.get("id")
            assert all(f.get("name") for f in outgoing), gateway.get("id")


def test_every_form_a_template_names_is_shipped() -> None:
    forms = {json.loads(p.read_text())["id"] for p in (REPO / "bpmn" / "forms").glob("*.json")
             if not p.name.endswith(".translations.json")}
    named = set()
    for path in (REPO / "bpmn").glob("*.bpmn"):
        for el in etree.parse(str(path)).getroot().iter(f"{{{BPMN}}}userTask"):
            named.add(el.get("{http://camunda.org/schema/1.0/bpmn}formKey"))
    assert named <= forms and None not in named
