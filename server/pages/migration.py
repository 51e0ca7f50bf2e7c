"""Migrating instances to another version of their model: pick the versions, edit the plan, dry run, execute."""
from __future__ import annotations

from typing import Any

from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from server.errors import InvalidInput
from server.instances.models import ProcessModelVersion
from server.operations import migration as operations
from server.pages.common import actor, blueprint, host, page

bp = blueprint("migration_pages", __name__, url_prefix="/migration")
MAP_PREFIX = "map:"


def _versions(model: str) -> dict[str, list[int]]:
    """model key -> its version numbers, newest first (for the choices)."""
    with host().db.unit_of_work() as db:
        rows = db.execute(select(ProcessModelVersion.key, ProcessModelVersion.version)
                          .where(ProcessModelVersion.environment_id == actor().environment_id)
                          .order_by(ProcessModelVersion.key, ProcessModelVersion.version.desc())).all()
    found: dict[str, list[int]] = {}
    for key, number in rows:
        found.setdefault(key, []).append(number)
    return found


def _number(values: Any, name: str) -> int | None:
    raw = (values.get(name) or "").strip()
    if raw and not raw.isdigit():
        raise InvalidInput(_("%(field)s must be a version number.", field=name), code="invalid_input")
    return int(raw) if raw else None


def _request(values: Any, versions: dict[str, list[int]]) -> operations.PlanRequest | None:
    """The plan the form asks for; by default from the version before the target to the newest."""
    model = (values.get("model") or "").strip()
    numbers = versions.get(model, [])
    if len(numbers) < 2:
        return None
    target = _number(values, "to") or numbers[0]
    source = _number(values, "from") or next((n for n in numbers if n < target), numbers[-1])
    mapping = {key[len(MAP_PREFIX):]: value.strip() for key, value in values.items()
               if key.startswith(MAP_PREFIX) and value.strip()}
    return operations.PlanRequest(model, source, target, mapping)


@bp.route("", methods=["GET", "POST"])
@page("instances.admin")
def migrate() -> ResponseReturnValue:
    """GET: the plan for the chosen versions. POST: the dry run (`action=validate`) or the migration."""
    who, values = actor(), (request.form if request.method == "POST" else request.args)
    versions = _versions(values.get("model", ""))
    plan_request = _request(values, versions)
    plan, report = None, None
    waiting_at = (values.get("waiting_at") or "").strip() or None
    selection = operations.Selection(waiting_at=waiting_at)
    if plan_request is not None and request.method == "POST" and values.get("action") == "execute":
        report = operations.execute_migration(host(), actor=who, request=plan_request, selection=selection,
                                              edge="web", reason=values.get("reason"))
        flash(_("%(moved)s instances migrated to version %(version)s, %(left)s left as they were.",
                moved=report.movable, version=plan_request.target_version,
                left=len(report.instances) - report.movable), "success")
    elif plan_request is not None:
        with host().db.unit_of_work() as db:
            if request.method == "POST":
                report = operations.validate_migration(db, host(), actor=who, request=plan_request,
                                                       selection=selection)
            else:
                plan = operations.generate_plan(db, host(), actor=who, request=plan_request)
    if report is not None:
        plan = report.plan
    return render_template("instances/migrate.html", versions=versions, model=values.get("model", ""),
                           plan=plan, report=report, waiting_at=waiting_at or "", mapped=_mapped(plan_request))


def _mapped(plan_request: operations.PlanRequest | None) -> dict[str, str]:
    return dict(plan_request.mapping) if plan_request is not None else {}
