"""Deploy a model: the verb behind POST /api/v1/models/KEY/deploy, the designer and `stroom deploy`."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.auth.permissions import require
from server.errors import InvalidInput, NotFound
from server.host import Host
from server.instances import service as instances
from server.instances.models import ProcessModelVersion

# The designer's file kinds, as ProcessModelVersion keeps them.
KINDS = {"bpmn": "bpmn_sources", "dmn": "dmn_sources", "form": "form_sources"}
BLANK_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1" targetNamespace="http://stroom.example/bpmn">
  <bpmn:process id="{key}" name="{key}" isExecutable="true">
    <bpmn:startEvent id="start" name="Start"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="{key}">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36"/>
    </bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


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


def create_model(session: Session, host: Host, *, actor: Actor, key: str) -> DeployedModel:
    """Deploy version 1 of a new model `key`: a process with only a start event, ready for the editor."""
    require(actor, "models.deploy")
    if not key.replace("_", "").replace("-", "").isalnum() or not key[:1].isalpha():
        raise InvalidInput("a model key starts with a letter and holds letters, digits, - and _",
                           code="invalid_model_key", details=[{"field": "key", "message": "is not a model key"}])
    return deploy(session, host, actor=actor, key=key,
                  bpmn={f"{key}.bpmn": BLANK_BPMN.replace("{key}", key).encode("utf-8")})


def _view(version: ProcessModelVersion, *, unchanged: bool) -> DeployedModel:
    files = sorted([*version.bpmn_sources, *version.dmn_sources, *version.form_sources])
    return DeployedModel(id=version.id, key=version.key, version=version.version, process_id=version.process_id,
                         name=version.name, checksum=version.checksum, deployed_by=version.deployed_by,
                         deployed_at=version.deployed_at, files=tuple(files), unchanged=unchanged)
