"""Streaming the audit log as CSV or JSON lines, in constant memory.

Rows are read in keyset batches, each in its own short transaction: a long-running read would hold
SQLite's write lock (Stroom begins every SQLite transaction IMMEDIATE) for the whole download, and a
batch of a few thousand rows keeps memory flat however long the log is. The export stops at the
newest entry that existed when it began, so rows written meanwhile do not stretch it forever.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from json.encoder import encode_basestring
from typing import Any

from sqlalchemy import DateTime, Text, cast, func, select, type_coerce

from server.audit.models import AuditEvent
from server.audit.query import AuditFilter, statement
from server.csvsafe import row as csv_row
from server.db import Database
from server.errors import InvalidInput

BATCH = 5000
FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
CSV_COLUMNS = ("id", "seq", "at", "actor_type", "actor", "action", "target_type", "target_id", "instance_id",
               "before", "after", "note", "prev_hash", "hash")
# before/after come as the stored JSON text and `at` skips the UTC type's per-row hook: decoding and
# re-encoding them would halve the throughput.
_COLUMNS = (AuditEvent.id, AuditEvent.seq, type_coerce(AuditEvent.at, DateTime(timezone=True)).label("at"),
            AuditEvent.actor_type, AuditEvent.actor,
            AuditEvent.action, AuditEvent.target_type, AuditEvent.target_id, AuditEvent.instance_id,
            cast(AuditEvent.before, Text).label("before"), cast(AuditEvent.after, Text).label("after"),
            AuditEvent.note, AuditEvent.prev_hash, AuditEvent.hash)
_text = encode_basestring


def content_type(fmt: str) -> str:
    """The media type of an export format; InvalidInput for an unknown one."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", code="invalid_format")
    return FORMATS[fmt]


def rows(db: Database, environment_id: int, filters: AuditFilter, *, batch: int = BATCH) -> Iterator[Any]:
    """Matching rows oldest first (before/after as JSON text), `batch` at a time, never more in memory."""
    base = statement(environment_id, filters).with_only_columns(*_COLUMNS)
    with db.engine.connect() as conn:
        upper = conn.execute(select(func.max(AuditEvent.id)).where(
            AuditEvent.environment_id == environment_id)).scalar() or 0
    last = 0
    while last < upper:
        with db.engine.connect() as conn:
            chunk = conn.execute(base.where(AuditEvent.id > last, AuditEvent.id <= upper)
                                 .order_by(AuditEvent.id).limit(batch)).all()
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].id


def _iso(at: dt.datetime) -> str:
    """ISO 8601 in UTC (SQLite gives the stored UTC time without a zone)."""
    if at.tzinfo is None:
        return at.isoformat() + "+00:00"
    return (at if not at.utcoffset() else at.astimezone(dt.UTC)).isoformat()


def _raw(value: str | None) -> str:
    return "null" if value is None else value


def _jsonl_line(r: Any) -> str:
    return (f'{{"id":{r.id},"seq":{r.seq},"at":"{_iso(r.at)}","actor_type":{_text(r.actor_type)},'
            f'"actor":{_text(r.actor)},"action":{_text(r.action)},"target_type":{_text(r.target_type)},'
            f'"target_id":{_text(r.target_id)},"instance_id":{"null" if r.instance_id is None else r.instance_id},'
            f'"before":{_raw(r.before)},"after":{_raw(r.after)},'
            f'"note":{"null" if r.note is None else _text(r.note)},"prev_hash":"{r.prev_hash}","hash":"{r.hash}"}}\n')


def as_jsonl(source: Iterator[Any]) -> Iterator[str]:
    """One JSON object per line, in chunks of about 64 KiB."""
    parts: list[str] = []
    size = 0
    for row in source:
        line = _jsonl_line(row)
        parts.append(line)
        size += len(line)
        if size >= 65536:
            yield "".join(parts)
            parts, size = [], 0
    if parts:
        yield "".join(parts)


def _csv_json(value: str | None) -> str:
    return "" if value is None or value == "null" else value


def as_csv(source: Iterator[Any]) -> Iterator[str]:
    """A header line, then one CSV record per entry (before/after as JSON text), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for count, row in enumerate(source, 1):
        writer.writerow(csv_row((row.id, row.seq, _iso(row.at), row.actor_type, row.actor, row.action,
                                 row.target_type, row.target_id, "" if row.instance_id is None else row.instance_id,
                                 _csv_json(row.before), _csv_json(row.after), row.note or "", row.prev_hash,
                                 row.hash)))
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export(db: Database, environment_id: int, filters: AuditFilter, fmt: str) -> Iterator[str]:
    """The text chunks of an export in `fmt` (csv or jsonl)."""
    content_type(fmt)
    source = rows(db, environment_id, filters)
    return as_csv(source) if fmt == "csv" else as_jsonl(source)
