"""Master data over HTTP: list per kind, import CSV (or JSON rows through the same checks)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, jsonify, request

from server.api.auth import current_actor, host, requires
from server.errors import InvalidInput, NotFound
from server.masterdata import service as masterdata
from server.masterdata.csv_import import KINDS

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
    limit = request.args.get("limit", 100, type=int) or 100
    offset = request.args.get("offset", 0, type=int) or 0
    extra = {"search": request.args["search"]} if kind == "suppliers" and request.args.get("search") else {}
    with host().db.unit_of_work() as session:
        rows = lister(session, environment_id=current_actor().environment_id, limit=limit, offset=offset, **extra)
        return jsonify({"items": [row_json(r) for r in rows], "limit": limit, "offset": offset})


def _rows_as_csv(rows: Any) -> bytes:
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise InvalidInput('send {"rows": [{column: value, ...}, ...]}', code="invalid_json")
    columns = list(dict.fromkeys(k for r in rows for k in r))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=",")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in columns])
    return buffer.getvalue().encode("utf-8")


@bp.post("/<kind>/import")
@requires("masterdata.manage")
def import_kind(kind: str) -> tuple[Response, int]:
    """A CSV body (or a `file` upload, or JSON rows); all or nothing, errors name line and field."""
    if request.is_json:
        body = request.get_json(silent=True)
        data = _rows_as_csv(body.get("rows") if isinstance(body, dict) else None)
    elif "file" in request.files:
        data = request.files["file"].read()
    else:
        data = request.get_data(cache=False)
    with host().db.unit_of_work() as session:
        result = masterdata.import_csv(session, actor=current_actor(), edge="api", kind=kind, data=data)
        if result.errors:
            raise InvalidInput(f"{len(result.errors)} problem(s); nothing was imported", code="import_failed",
                               details=list(result.errors))
        return jsonify({"kind": kind, "created": result.created, "updated": result.updated,
                        "unchanged": result.unchanged}), 200
