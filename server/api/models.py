"""Model versions: list, read sources, deploy; start instances."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from server.api.auth import current_actor, host, requires
from server.api.paging import next_offset, paging
from server.errors import InvalidInput, NotFound
from server.instances.models import ProcessModelVersion
from server.operations import instances as operations
from server.operations import models

bp = Blueprint("api_models", __name__, url_prefix="/api/v1")


def version_json(version: ProcessModelVersion, *, sources: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": version.id, "key": version.key, "version": version.version, "process_id": version.process_id,
        "name": version.name, "checksum": version.checksum, "deployed_by": version.deployed_by,
        "deployed_at": version.deployed_at.isoformat(),
        "files": sorted([*version.bpmn_sources, *version.dmn_sources, *version.form_sources]),
    }
    if sources:
        body.update(bpmn=version.bpmn_sources, dmn=version.dmn_sources, forms=version.form_sources)
    return body


@bp.get("/models")
@requires("models.read")
def list_models() -> Response:
    actor, page = current_actor(), paging()
    with host().db.unit_of_work() as session:
        versions = session.scalars(select(ProcessModelVersion)
                                   .where(ProcessModelVersion.environment_id == actor.environment_id)
                                   .order_by(ProcessModelVersion.key, ProcessModelVersion.version.desc())
                                   .offset(page.offset()).limit(page.limit)).all()
        items = [version_json(v) for v in versions]
    return jsonify({"items": items, "next_cursor": next_offset(page, returned=len(items),
                                                               more=len(items) == page.limit)})


@bp.get("/models/<key>/versions/<int:number>")
@requires("models.read")
def get_version(key: str, number: int) -> Response:
    actor = current_actor()
    with host().db.unit_of_work() as session:
        version = session.scalars(select(ProcessModelVersion).where(
            ProcessModelVersion.environment_id == actor.environment_id, ProcessModelVersion.key == key,
            ProcessModelVersion.version == number)).first()
        if version is None:
            raise NotFound(f"model {key!r} has no version {number}", code="model_not_found")
        return jsonify(version_json(version, sources=True))


def _files(payload: dict[str, Any], kind: str) -> dict[str, bytes]:
    files = payload.get(kind) or {}
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise InvalidInput(f"{kind} must map file names to file contents", code="invalid_files")
    return {name: text.encode("utf-8") for name, text in files.items()}


@bp.post("/models/<key>/deploy")
@requires("models.deploy")
def deploy(key: str) -> tuple[Response, int]:
    """Body: {"bpmn": {name: xml}, "dmn": {name: xml}, "forms": {name: json}}; 422 names file and element."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise InvalidInput("send a JSON object with bpmn, dmn and forms", code="invalid_json")
    with host().db.unit_of_work() as session:
        deployed = models.deploy(session, host(), actor=current_actor(), key=key, bpmn=_files(payload, "bpmn"),
                                 dmn=_files(payload, "dmn"), forms=_files(payload, "forms"))
    return jsonify(deployed_json(deployed)), 201


def deployed_json(deployed: models.DeployedModel) -> dict[str, Any]:
    """The deploy answer: the same fields as a listed version."""
    return {"id": deployed.id, "key": deployed.key, "version": deployed.version, "process_id": deployed.process_id,
            "name": deployed.name, "checksum": deployed.checksum, "deployed_by": deployed.deployed_by,
            "deployed_at": deployed.deployed_at.isoformat(), "files": list(deployed.files)}


@bp.post("/process-instances")
@requires("instances.start")
def start_instance() -> tuple[Response, int]:
    """Body: {"model": KEY, "data": {...}, "business_key": ...}."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("model"), str):
        raise InvalidInput('send {"model": KEY, "data": {...}}', code="invalid_json")
    data = payload.get("data") or {}
    if not isinstance(data, dict):
        raise InvalidInput("data must be a JSON object", code="invalid_json")
    with host().db.unit_of_work() as session:
        started = operations.start_instance(session, host(), actor=current_actor(), key=payload["model"], data=data,
                                            business_key=payload.get("business_key"))
        return jsonify(started.to_json()), 201
