"""Designer: models and versions, the bpmn.io editors, deploy, decision tests and version comparison."""
from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from server.errors import DomainError, NotFound
from server.instances import wording
from server.instances.models import ProcessModelVersion
from server.operations import models as model_ops
from server.pages import decision_test, diagrams, words
from server.pages.common import actor, blueprint, host, page
from server.wording import is_catalogue

bp = blueprint("designer", __name__, url_prefix="/designer")
KINDS = model_ops.KINDS


def _versions(db: Any, environment_id: int, key: str) -> list[ProcessModelVersion]:
    found = list(db.scalars(select(ProcessModelVersion).where(ProcessModelVersion.environment_id == environment_id,
                                                              ProcessModelVersion.key == key)
                            .order_by(ProcessModelVersion.version.desc())))
    if not found:
        raise NotFound(f"no model {key!r} is deployed", code="model_not_found")
    return found


def _version(db: Any, environment_id: int, key: str, number: str | None) -> ProcessModelVersion:
    versions = _versions(db, environment_id, key)
    if number and number.isdigit():
        match = next((v for v in versions if v.version == int(number)), None)
        if match is None:
            raise NotFound(f"model {key!r} has no version {number}", code="version_not_found")
        return match
    return versions[0]


def _source_file(key: str, kind: str, filename: str) -> tuple[int, str]:
    """(version number, text) of one source file of the requested version (latest by default), or 404."""
    if kind not in KINDS:
        abort(404)
    with host().db.unit_of_work() as db:
        version = _version(db, actor().environment_id, key, request.args.get("version"))
        text = getattr(version, KINDS[kind]).get(filename)
        if text is None:
            abort(404)
        return version.version, text


def _models_page(*, form: dict[str, str] | None = None, error: DomainError | None = None,
                 status: int = 200) -> ResponseReturnValue:
    """The model list with the new-model forms; a refused form shows again with what was typed."""
    who = actor()
    with host().db.unit_of_work() as db:
        rows = db.execute(select(ProcessModelVersion.key, func.max(ProcessModelVersion.version),
                                 func.max(ProcessModelVersion.deployed_at))
                          .where(ProcessModelVersion.environment_id == who.environment_id)
                          .group_by(ProcessModelVersion.key).order_by(ProcessModelVersion.key)).all()
    return render_template("designer/models.html", models=rows, templates=model_ops.templates(),
                           form=form or {}, error=error), status


@bp.get("")
@page("models.deploy")
def models() -> ResponseReturnValue:
    return _models_page()


@bp.get("/<key>")
@page("models.deploy")
def model(key: str) -> ResponseReturnValue:
    who = actor()
    with host().db.unit_of_work() as db:
        versions = _versions(db, who.environment_id, key)
        latest = versions[0]
        files = {kind: sorted(getattr(latest, column)) for kind, column in KINDS.items()}
        # Translation catalogues travel with the forms (server.wording) but are not forms to edit.
        files["translations"] = [name for name in files["form"] if is_catalogue(name)]
        files["form"] = [name for name in files["form"] if not is_catalogue(name)]
        return render_template("designer/model.html", key=key, versions=versions, latest=latest, files=files)


@bp.get("/<key>/source/<kind>/<path:filename>")
@page("models.deploy")
def source(key: str, kind: str, filename: str) -> Response:
    """One source file of a version (latest by default), as text for the editors."""
    _number, text = _source_file(key, kind, filename)
    mimetype = "application/json" if kind == "form" else "application/xml"
    return Response(text, mimetype=mimetype)


@bp.get("/<key>/edit/<kind>/<path:filename>")
@page("models.deploy")
def edit(key: str, kind: str, filename: str) -> ResponseReturnValue:
    number, _text = _source_file(key, kind, filename)
    with host().db.unit_of_work() as db:  # the business rule task's picker offers the model's decisions
        dmn = _version(db, actor().environment_id, key, str(number)).dmn_sources
    return render_template(f"designer/edit_{kind}.html", key=key, kind=kind, filename=filename, version=number,
                           decisions=decision_test.decision_ids(dmn),
                           source_url=url_for("designer.source", key=key, kind=kind, filename=filename,
                                              version=number),
                           deploy_url=url_for("designer.deploy", key=key))


@bp.post("/<key>/deploy")
@page("models.deploy")
def deploy(key: str) -> ResponseReturnValue:
    """Replace one file of the latest version and deploy; errors come back as JSON naming the element."""
    body = request.get_json(silent=True) or {}
    try:
        with host().db.unit_of_work() as db:
            deployed = model_ops.deploy_file(db, host(), actor=actor(), key=key, kind=body.get("kind"),
                                          filename=body.get("filename"), content=body.get("content"))
    except DomainError as exc:
        return jsonify({"error": {"code": exc.code, "message": exc.message, "details": exc.details}}), 422
    return jsonify({"version": deployed.version, "unchanged": deployed.unchanged,
                    "url": url_for("designer.model", key=key)})


@bp.post("/new")
@page("models.deploy")
def new_model() -> ResponseReturnValue:
    """A new model from a shipped template or blank; a refused key re-renders the form with the typed values."""
    form = {name: request.form.get(name, "").strip() for name in ("key", "name", "template")}
    try:
        with host().db.unit_of_work() as db:
            created = model_ops.create_model(db, host(), actor=actor(), key=form["key"], name=form["name"],
                                             template=form["template"] or None)
    except DomainError as exc:
        return _models_page(form=form, error=exc, status=409 if exc.code == "model_exists" else 422)
    return render_template("designer/created.html", key=created.key, filename=f"{created.key}.bpmn",
                           name=created.name, template=form["template"])


@bp.route("/<key>/test/<path:filename>", methods=["GET", "POST"])
@page("models.deploy")
def test_decision(key: str, filename: str) -> ResponseReturnValue:
    """Evaluate a decision table of the latest version with sample inputs typed into the form."""
    who = actor()
    with host().db.unit_of_work() as db:
        version = _version(db, who.environment_id, key, request.args.get("version"))
        text = version.dmn_sources.get(filename)
        texts = wording.version_texts(host(), version, words.language())
    if text is None:
        abort(404)
    form = decision_test.prepare(text.encode("utf-8"), request.values.get("decision"))
    result = decision_test.run(form, request.form) if request.method == "POST" else None
    return render_template("designer/test.html", key=key, filename=filename, form=form, result=result,
                           values=request.form, model_text=texts)


@bp.get("/<key>/compare")
@page("models.deploy")
def compare(key: str) -> ResponseReturnValue:
    who = actor()
    with host().db.unit_of_work() as db:
        versions = _versions(db, who.environment_id, key)
        new = _version(db, who.environment_id, key, request.args.get("b"))
        default_old = str(new.version - 1) if new.version > 1 else str(new.version)
        old = _version(db, who.environment_id, key, request.args.get("a") or default_old)
        files = []
        for kind, column in KINDS.items():
            a, b = getattr(old, column), getattr(new, column)
            for name in sorted(set(a) | set(b)):
                if a.get(name) != b.get(name):
                    old_text, new_text = a.get(name, "").encode(), b.get(name, "").encode()
                    diff = diagrams.compare(old_text, new_text)
                    if kind == "dmn":
                        diff["rules"] = diagrams.rule_changes(old_text, new_text)
                    diff["both"] = name in a and name in b
                    files.append((kind, name, diff))
        return render_template("designer/compare.html", key=key, versions=[v.version for v in versions],
                               old=old.version, new=new.version, files=files)
