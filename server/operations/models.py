"""Deploy a model: the verb behind POST /api/v1/models/KEY/deploy, the designer and `stroom deploy`."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from xml.sax.saxutils import escape

from lxml import etree
from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.auth.permissions import require
from server.errors import Conflict, InvalidInput, NotFound
from server.host import Host
from server.instances import service as instances
from server.instances.models import ProcessModelVersion
from server.instances.shipped import shipped_models
from server.wording import catalogue_name

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# The designer's file kinds, as ProcessModelVersion keeps them.
KINDS = {"bpmn": "bpmn_sources", "dmn": "dmn_sources", "form": "form_sources"}
BLANK_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1" targetNamespace="http://stroom.example/bpmn">
  <bpmn:process id="{key}" name="{name}" isExecutable="true">
    <bpmn:startEvent id="start" name="Start"><bpmn:outgoing>flow_start_end</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="end" name="End"><bpmn:incoming>flow_start_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start_end" sourceRef="start" targetRef="end"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="{key}">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36"/>
    </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="420" y="160" width="36" height="36"/>
    </bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="flow_start_end_di" bpmnElement="flow_start_end"><di:waypoint x="216" y="178"/>
      <di:waypoint x="420" y="178"/></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,99}")


def templates() -> tuple[str, ...]:
    """The keys of the shipped process templates a new model can start from."""
    return tuple(m.key for m in shipped_models())


@dataclasses.dataclass(frozen=True)
class DeployedModel:
    """A deployed version (`unchanged`: the sources equalled the latest version, no new one was made)."""

    id: int
    key: str
    version: int
    process_id: str
    name: str
    checksum: str
    deployed_by: str
    deployed_at: dt.datetime
    files: tuple[str, ...]
    unchanged: bool


def deploy(session: Session, host: Host, *, actor: Actor, key: str, bpmn: Mapping[str, bytes],
           dmn: Mapping[str, bytes] | None = None, forms: Mapping[str, bytes] | None = None,
           process_id: str | None = None) -> DeployedModel:
    """Validate and store a new version of `key` (audited `model.deployed`); identical sources answer the
    latest version, `unchanged`. A refused model is InvalidInput naming file and element. Flushes only."""
    require(actor, "models.deploy")
    before = instances.latest_version(session, actor.environment_id, key, required=False) if key else None
    version = instances.deploy(session, host, actor=actor, key=key, bpmn=bpmn, dmn=dmn, forms=forms,
                               process_id=process_id)
    return _view(version, unchanged=before is not None and before.id == version.id)


def deploy_file(session: Session, host: Host, *, actor: Actor, key: str, kind: object, filename: object,
                content: object) -> DeployedModel:
    """Deploy the latest version of `key` with one file (`kind` bpmn, dmn or form) replaced or added."""
    require(actor, "models.deploy")
    if kind not in KINDS or not isinstance(filename, str) or not filename or not isinstance(content, str):
        raise InvalidInput("send kind, filename and content", code="invalid_deploy",
                           details=[{"field": "kind", "message": f"one of {', '.join(KINDS)}"}])
    latest = instances.latest_version(session, actor.environment_id, key, required=False)
    if latest is None:
        raise NotFound(f"no model {key!r} is deployed", code="model_not_found")
    sources = {k: {n: t.encode("utf-8") for n, t in getattr(latest, c).items()} for k, c in KINDS.items()}
    sources[str(kind)][filename] = content.encode("utf-8")
    return deploy(session, host, actor=actor, key=key, bpmn=sources["bpmn"], dmn=sources["dmn"],
                  forms=sources["form"], process_id=latest.process_id)


def create_model(session: Session, host: Host, *, actor: Actor, key: str, name: str = "",
                 template: str | None = None) -> DeployedModel:
    """Deploy version 1 of a new model `key` named `name`: a copy of a shipped template (its process id
    and file renamed after the key, its tables and forms along), or a blank start-to-end process."""
    require(actor, "models.deploy")
    if not _KEY.fullmatch(key):
        raise InvalidInput("a model key starts with a letter and holds letters, digits, - and _ (at most 100)",
                           code="invalid_model_key", details=[{"field": "key", "message": "is not a model key"}])
    if instances.latest_version(session, actor.environment_id, key, required=False) is not None:
        raise Conflict(f"a model {key!r} exists already; choose another key", code="model_exists",
                       details=[{"field": "key", "message": "is taken"}])
    name = " ".join(name.split()) or key
    if not template:
        blank = BLANK_BPMN.replace("{key}", key).replace("{name}", escape(name, {'"': "&quot;"}))
        return deploy(session, host, actor=actor, key=key, bpmn={f"{key}.bpmn": blank.encode("utf-8")})
    shipped = next((m for m in shipped_models() if m.key == template), None)
    if shipped is None:
        raise InvalidInput(f"no template {template!r}; choose one of {', '.join(templates())}", code="invalid_template",
                           details=[{"field": "template", "message": "is not a shipped template"}])
    [(filename, source)] = shipped.bpmn.items()
    forms = dict(shipped.forms)
    if catalogue_name(filename) in forms:  # the diagram's wording catalogue follows its file name
        forms[catalogue_name(f"{key}.bpmn")] = forms.pop(catalogue_name(filename))
    return deploy(session, host, actor=actor, key=key, bpmn={f"{key}.bpmn": renamed_process(source, key, name)},
                  dmn=shipped.dmn, forms=forms)


def renamed_process(source: bytes, key: str, name: str) -> bytes:
    """The BPMN file with its executable process given the id `key` (references follow) and `name`."""
    root = etree.fromstring(source, etree.XMLParser(resolve_entities=False, no_network=True))
    process = next((p for p in root.iter(f"{{{BPMN}}}process") if p.get("isExecutable") == "true"), None)
    if process is None:
        raise InvalidInput("the template has no executable process", code="invalid_template")
    old_id = process.get("id")
    for node in root.iter():
        for attribute in ("processRef", "bpmnElement"):
            if isinstance(node.tag, str) and node.get(attribute) == old_id:
                node.set(attribute, key)
    process.set("id", key)
    process.set("name", name)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _view(version: ProcessModelVersion, *, unchanged: bool) -> DeployedModel:
    files = sorted([*version.bpmn_sources, *version.dmn_sources, *version.form_sources])
    return DeployedModel(id=version.id, key=version.key, version=version.version, process_id=version.process_id,
                         name=version.name, checksum=version.checksum, deployed_by=version.deployed_by,
                         deployed_at=version.deployed_at, files=tuple(files), unchanged=unchanged)
