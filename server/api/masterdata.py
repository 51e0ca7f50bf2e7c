"""Master data over HTTP: list per kind, import CSV (or JSON rows through the same checks)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from server.api.auth import current_actor, host, requires
from server.api.paging import next_offset, paging
from server.errors import InvalidInput, NotFound
from server.masterdata import service as masterdata
from server.masterdata.csv_import import KINDS
from server.operations import masterdata as operations

bp = Blueprint("api_masterdata", __name__, url_prefix="/api/v1/masterdata")

LISTS: dict[str, Callable[..., list[Any]]] = {
    "suppliers": masterdata.list_suppliers, "bank_accounts": masterdata.list_bank_accounts,
    "administrations": masterdata.list_administrations, "purchase_orders": masterdata.list_orders,
    "matching_rules": masterdata.list_rules, "trusted_senders": masterdata.list_trusted_senders,
}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def row_json(row: Any) -> dict[str, Any]:
    """Every mapped column of a master-data row."""
    return {c.key: _plain(getattr(row, c.key)) for c in row.__mapper__.column_attrs}


@bp.get("")
@requires("masterdata.read")
def kinds() -> Response:
    """The importable kinds with their required and optional CSV columns."""
    return jsonify({"kinds": {name: {"required": list(k.required), "optional": list(k.optional)}
                              for name, k in KINDS.items()}, "lists": sorted(LISTS)})


@bp.get("/<kind>")
@requires("masterdata.read")
def list_kind(kind: str) -> Response:
    lister = LISTS.get(kind)
    if lister is None:
        raise NotFound(f"no master-data list {kind!r}; use one of {', '.join(sorted(LISTS))}", code="unknown_kind")
    page = paging(default=100, maximum=1000)
    extra = {"search": request.args["search"]} if kind == "suppliers" and request.args.get("search") else {}
    with host().db.unit_of_work() as session:
        rows = lister(session, environment_id=current_actor().environment_id, limit=page.limit,
                      offset=page.offset(), **extra)
        more = len(rows) == page.limit  # a full page: there may be more (the last page can be empty)
        return jsonify({"items": [row_json(r) for r in rows],
                        "next_cursor": next_offset(page, returned=len(rows), more=more)})


def _upload() -> dict[str, Any]:
    """The file as sent: JSON {"rows": [...]} (or a list of rows), a `file` upload, or the raw body."""
    if request.is_json:
        body = request.get_json(silent=True)
        rows = body.get("rows") if isinstance(body, dict) else body
        return {"rows": rows if isinstance(rows, list) else [], "data": b""}
    if "file" in request.files:
        return {"data": request.files["file"].read()}
    return {"data": request.get_data(cache=False)}


@bp.post("/<kind>/import")
@requires("masterdata.manage")
def import_kind(kind: str) -> tuple[Response, int]:
    """Import and wait: a CSV body (or a `file` upload, or JSON rows); all or nothing, errors name line
    and field. The import runs in chunks as the background one does; POST /imports answers at once."""
    db = host().db
    with db.unit_of_work() as session:
        queued = operations.import_master_data(session, actor=current_actor(), edge="api", kind=kind, **_upload())
    operations.run_master_data_import(db, import_id=queued.id)
    with db.reading() as session:
        view = operations.master_data_import(session, actor=current_actor(), import_id=queued.id)
    if view.status != "done":
        raise InvalidInput(f"{view.refused_count} row(s) refused; {view.error or 'nothing was imported'}",
                           code="import_failed", details=list(view.refused))
    return jsonify({"kind": kind, "created": view.created, "updated": view.updated, "unchanged": view.unchanged}), 200


@bp.post("/imports")
@requires("masterdata.manage")
def queue_import() -> tuple[Response, int, dict[str, str]]:
    """Queue a background import of `kind` (query parameter, form field or JSON member); answers 202 with
    the status URL to poll (GET /api/v1/masterdata/imports/<id>)."""
    body = request.get_json(silent=True) if request.is_json else None
    kind = request.args.get("kind") or request.form.get("kind") or (body.get("kind") if isinstance(body, dict)
                                                                     else None) or ""
    with host().db.unit_of_work() as session:
        view = operations.import_master_data(session, actor=current_actor(), edge="api", kind=str(kind),
                                             **_upload())
    url = url_for("api_masterdata.import_status", import_id=view.id)
    return jsonify({**view.to_json(), "status_url": url}), 202, {"Location": url}


@bp.get("/imports")
@requires("masterdata.read")
def recent_imports() -> Response:
    """The environment's latest imports, newest first (`limit`, default 50)."""
    limit = request.args.get("limit", 50, type=int) or 50
    with host().db.reading() as session:
        views = operations.recent_master_data_imports(session, actor=current_actor(), limit=limit)
        return jsonify({"items": [view.to_json() for view in views], "limit": limit})


@bp.get("/imports/<int:import_id>")
@requires("masterdata.read")
def import_status(import_id: int) -> Response:
    """An import's progress (rows done, total, rate) or, once ended, its summary with the refused rows."""
    with host().db.reading() as session:
        return jsonify(operations.master_data_import(session, actor=current_actor(), import_id=import_id).to_json())
