"""/api/v1/batches: count, start, list, follow and cancel batches of instance interventions (admins only)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from server.api.auth import current_actor, host, requires
from server.api.paging import encode, paging
from server.errors import InvalidInput
from server.operations import batches as operations

bp = Blueprint("api_batches", __name__, url_prefix="/api/v1/batches")
ADMIN = "instances.admin"
BODY = ("kind", "filter", "reason", "options")


def _object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{name} must be a JSON object", code="invalid_input", details=[{"field": name}])
    return value


def _start_body() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.data else None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object with kind, filter and reason", code="invalid_json")
    unknown = sorted(set(data) - set(BODY))
    if unknown:
        raise InvalidInput(f"unknown member {unknown[0]!r}; use {', '.join(BODY)}", code="invalid_input",
                           details=[{"field": unknown[0]}])
    for name in ("kind", "reason"):
        if not isinstance(data.get(name), str):
            raise InvalidInput(f"{name} is required (text)", code="invalid_input", details=[{"field": name}])
    return data


@bp.get("/count")
@requires(ADMIN)
def count() -> Response:
    """The dry count: how many instances a batch of `kind` with the filter in the query would act on."""
    args = request.args.to_dict()
    kind = args.pop("kind", "")
    with host().db.reading() as session:
        return jsonify(operations.count_batch(session, actor=current_actor(), kind=kind, filter=args).to_json())


@bp.post("")
@requires(ADMIN)
def start() -> tuple[Response, int, dict[str, str]]:
    """Select the instances and queue the batch; 202 with the batch and its URL to follow."""
    data = _start_body()
    with host().db.unit_of_work() as session:
        view = operations.start_batch(session, actor=current_actor(), edge="api", kind=data["kind"],
                                      filter=_object(data.get("filter"), "filter"), reason=data["reason"],
                                      options=_object(data.get("options"), "options"))
    url = url_for("api_batches.show", batch_id=view.id)
    return jsonify({**view.to_json(), "status_url": url}), 202, {"Location": url}


@bp.get("")
@requires(ADMIN)
def list_batches() -> Response:
    page = paging()
    with host().db.reading() as session:
        views, last = operations.list_batches(session, actor=current_actor(), limit=page.limit,
                                              before_id=page.position())
    return jsonify({"items": [v.to_json() for v in views], "next_cursor": None if last is None else encode(last)})


@bp.get("/<int:batch_id>")
@requires(ADMIN)
def show(batch_id: int) -> Response:
    """Progress and one page of per-instance results (`result` picks one outcome)."""
    page = paging()
    with host().db.reading() as session:
        detail = operations.show_batch(session, actor=current_actor(), batch_id=batch_id, limit=page.limit,
                                       after=page.position(), result=request.args.get("result") or None)
    cursor = None if detail.next_after is None else encode(detail.next_after)
    return jsonify({**detail.to_json(), "next_cursor": cursor})


@bp.delete("/<int:batch_id>")
@requires(ADMIN)
def cancel(batch_id: int) -> Response:
    """Cancel: a queued batch at once, a running one after the instance in progress."""
    with host().db.unit_of_work() as session:
        return jsonify(operations.cancel_batch(session, actor=current_actor(), batch_id=batch_id,
                                               edge="api").to_json())
