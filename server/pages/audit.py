"""The audit log: filters, paging, the chain check and the CSV / JSON exports; entries in words
(server.pages.audit_view), the raw JSON only for admins.

The query is local to the page until the audit service offers one with these filters; it only reads.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Mapping
from typing import Any

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, func, select

from server import csvsafe
from server.audit.models import AuditEvent
from server.audit.verify import VerifyResult
from server.operations import audit as audit_operations
from server.pages import audit_view
from server.pages.common import Paging, actor, blueprint, host, page, page_number

bp = blueprint("audit_pages", __name__, url_prefix="/audit")
PER_PAGE = 50
EXPORT_LIMIT = 100_000
COLUMNS = ("seq", "at", "actor_type", "actor", "action", "target_type", "target_id", "instance_id", "before",
           "after", "note", "prev_hash", "hash")


def _date(raw: str | None, end: bool = False) -> dt.datetime | None:
    try:
        day = dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time.max if end else dt.time.min, tzinfo=dt.UTC)


def _query(environment_id: int, args: Mapping[str, str]) -> Select[Any]:
    query = select(AuditEvent).where(AuditEvent.environment_id == environment_id)
    if args.get("actor"):
        query = query.where(AuditEvent.actor == args["actor"].strip())
    if args.get("action"):
        query = query.where(AuditEvent.action.startswith(args["action"].strip(), autoescape=True))
    if args.get("target_type"):
        query = query.where(AuditEvent.target_type == args["target_type"].strip())
    if args.get("instance", "").strip().isdigit():
        query = query.where(AuditEvent.instance_id == int(args["instance"]))
    since, until = _date(args.get("since")), _date(args.get("until"), end=True)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at <= until)
    return query


@bp.get("")
@page("audit.read")
def audit_log() -> ResponseReturnValue:
    return _log_page(None)


@bp.get("/verify")
@page("audit.read")
def verify_chain() -> ResponseReturnValue:
    """The verify button: the chain recomputed by the same verb as the API and `stroom audit verify`."""
    with host().db.unit_of_work() as db:
        result = audit_operations.verify_chain(db, actor=actor(), key=host().audit_key)
    return _log_page(result, verified_at=dt.datetime.now(dt.UTC))


FILTERS = ("actor", "action", "target_type", "instance", "since", "until")


def _log_page(verification: VerifyResult | None, *, verified_at: dt.datetime | None = None) -> ResponseReturnValue:
    who = actor()
    number = page_number()
    with host().db.unit_of_work() as db:
        query = _query(who.environment_id, request.args)
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(db.scalars(query.order_by(AuditEvent.seq.desc()).offset((number - 1) * PER_PAGE)
                               .limit(PER_PAGE)))
        actions = list(db.scalars(select(AuditEvent.action).where(AuditEvent.environment_id == who.environment_id)
                                  .distinct().order_by(AuditEvent.action)))
        entries = [audit_view.entry(e) for e in rows]
        verdict = audit_view.verdict(verification, at=verified_at or dt.datetime.now(dt.UTC)) if verification else None
        return render_template("audit/log.html", paging=Paging(entries, total, number, PER_PAGE),
                               args=request.args, actions=actions, verification=verification, verdict=verdict,
                               raw_json=audit_view.raw_json,
                               filtered=any(request.args.get(k) for k in FILTERS), raw=who.has_role("admin"))


def _export_rows(environment_id: int) -> list[dict[str, Any]]:
    with host().db.unit_of_work() as db:
        query = _query(environment_id, request.args).order_by(AuditEvent.seq).limit(EXPORT_LIMIT)
        return [{c: _value(getattr(e, c)) for c in COLUMNS} for e in db.scalars(query)]


def _value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


@bp.get("/export.json")
@page("audit.read")
def export_json() -> Response:
    rows = _export_rows(actor().environment_id)
    response = Response(json.dumps(rows, ensure_ascii=False, indent=1, default=str), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.json"'
    return response


def _cell(value: Any) -> Any:
    """JSON for structures; text that a spreadsheet would run as a formula is defused (server.csvsafe)."""
    return csvsafe.cell(json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, (dict, list))
                        else value)


@bp.get("/export.csv")
@page("audit.read")
def export_csv() -> Response:
    rows = _export_rows(actor().environment_id)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
