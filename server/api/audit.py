"""/api/v1/audit: search with filters and keyset paging, streamed export, chain verification, checkpoints."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, stream_with_context

from server.api.auth import current_actor, host, requires
from server.api.instances import parse_int, parse_time
from server.api.paging import encode, paging
from server.audit import export as exporting
from server.audit.query import AuditFilter, search
from server.operations import audit as audit_operations

bp = Blueprint("api_audit", __name__, url_prefix="/api/v1/audit")


def _filters() -> AuditFilter:
    args = request.args
    return AuditFilter(instance_id=parse_int("instance"), invoice_number=args.get("invoice") or None,
                       supplier=args.get("supplier") or None, actor=args.get("actor") or None,
                       action=args.get("action") or None, since=parse_time("since"), until=parse_time("until"))


@bp.get("")
@requires("audit.read")
def list_entries() -> Response:
    filters = _filters()
    newest_first = request.args.get("order", "desc") != "asc"
    paged = paging(default=100, maximum=500)
    after = paged.position()
    with host().db.unit_of_work() as session:
        page = search(session, current_actor().environment_id, filters, limit=paged.limit,
                      cursor=None if after is None else str(after), newest_first=newest_first)
    return jsonify({"items": page.entries, "next_cursor": page.next_cursor and encode(int(page.next_cursor))})


@bp.get("/export")
@requires("audit.read")
def export() -> Response:
    fmt = request.args.get("format", "jsonl")
    media_type = exporting.content_type(fmt)
    chunks = audit_operations.export_log(host().db, actor=current_actor(), filters=_filters(), fmt=fmt)
    response = Response(stream_with_context(chunks), content_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="audit.{fmt}"'
    return response


@bp.get("/verify")
@requires("audit.read")
def verify_chain() -> Response:
    with host().db.unit_of_work() as session:
        result = audit_operations.verify_chain(session, actor=current_actor(), key=host().audit_key)
    return jsonify(result.to_json())


@bp.get("/checkpoint")
@requires("audit.read")
def checkpoint() -> Response:
    """The environment's chain head, signed with the audit key, for the auditor to keep elsewhere."""
    with host().db.unit_of_work() as session:
        return jsonify(audit_operations.take_checkpoint(session, actor=current_actor(), key=host().audit_key))
