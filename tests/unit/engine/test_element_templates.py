"""Element templates generated from the service registry: one per service, typed, valid Camunda 7 templates."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from server.engine import ServiceCall, ServiceRegistry, compile_model
from server.engine.element_templates import element_templates
from server.instances.registry import default_services

WEB = Path(__file__).resolve().parents[3] / "web"


def _by_id() -> dict[str, dict]:
    return {t["id"]: t for t in element_templates(default_services())}


def test_every_registered_service_has_exactly_one_template() -> None:
    templates = element_templates(default_services())
    assert sorted(t["id"] for t in templates) == sorted(f"stroom.{n}" for n in default_services().names)
    assert {"Match invoice", "Send mail", "Record outcome"} <= {t["name"] for t in templates}


def test_a_template_names_its_service_the_way_the_engine_reads_it() -> None:
    send_mail = _by_id()["stroom.send_mail"]
    hidden = {p["binding"]["name"]: p["value"] for p in send_mail["properties"] if p["type"] == "Hidden"}
    assert hidden == {"camunda:type": "external", "camunda:topic": "send_mail"}
    assert send_mail["appliesTo"] == ["bpmn:Task"] and send_mail["elementType"] == {"value": "bpmn:ServiceTask"}


def test_parameters_are_typed_and_constrained() -> None:
    fields = {p["binding"]["name"]: p for p in _by_id()["stroom.send_mail"]["properties"] if p["type"] != "Hidden"}
    assert fields["template"]["type"] == "Dropdown"
    assert {"name": "reminder", "value": '"reminder"'} in fields["template"]["choices"]  # a FEEL string literal
    assert fields["to"]["constraints"] == {"notEmpty": True}
    assert fields["language"]["constraints"]["pattern"]["value"] == '^("en"|"nl")?$'
    assert all(f["binding"]["type"] == "camunda:property" for f in fields.values())
    outcome = _by_id()["stroom.record_outcome"]["properties"][-1]
    assert [c["name"] for c in outcome["choices"]] == ["approved", "disapproved"]


def test_a_service_without_a_description_gets_one_from_its_name() -> None:
    def ping(call: ServiceCall) -> dict:
        """Answer pong."""
        return {}
    [template] = element_templates(ServiceRegistry({"ping_back": ping}))
    assert (template["name"], template["description"]) == ("Ping back", "Answer pong.")


def test_a_blank_optional_parameter_is_not_given() -> None:
    """The panel writes a template's untouched optional field as an empty camunda:property."""
    bpmn = b"""<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
      <process id="p" isExecutable="true"><startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="m"/>
        <serviceTask id="m" camunda:type="external" camunda:topic="log"><extensionElements><camunda:properties>
          <camunda:property name="note" value="&quot;hi&quot;"/><camunda:property name="language" value=""/>
        </camunda:properties></extensionElements></serviceTask>
        <sequenceFlow id="f2" sourceRef="m" targetRef="e"/><endEvent id="e"/></process></definitions>"""
    model = compile_model(bpmn={"p.bpmn": bpmn}, services=default_services())
    spec = model.process.spec.task_specs["m"]
    assert set(spec.operation_params) == {"note"}


@pytest.mark.skipif(shutil.which("node") is None or not (WEB / "node_modules").exists(), reason="needs web/node_modules")
def test_the_templates_pass_the_official_element_template_validator() -> None:
    script = ("import('@bpmn-io/element-templates-validator').then(({ validateAll }) => {"
              " const r = validateAll(JSON.parse(require('fs').readFileSync(0, 'utf8')));"
              " console.log(JSON.stringify(r.results.flatMap((t) => t.errors || []))); })")
    result = subprocess.run(["node", "-e", script], cwd=WEB, input=json.dumps(element_templates(default_services())),
                            capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout) == []
    broken = [{"id": "x", "name": "x", "appliesTo": ["bpmn:Task"],
               "properties": [{"type": "Dropdown", "binding": {"type": "camunda:property", "name": "a"}}]}]
    result = subprocess.run(["node", "-e", script], cwd=WEB, input=json.dumps(broken), capture_output=True,
                            text=True, timeout=60, check=True)
    assert json.loads(result.stdout), "the validator must refuse a dropdown without choices"
