"""Streaming the audit log as CSV or JSON lines, in constant memory.

Rows are read in keyset batches, each in its own short transaction: a long-running read would hold
SQLite's write lock (Stroom begins every SQLite transaction IMMEDIATE) for the whole download, and a
batch of a few thousand rows keeps memory flat however long the log is. The export stops at the
newest entry that existed when it began, so rows written meanwhile do not stretch it forever.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.audit.query import AuditFilter, statement
from server.db import Database
from server.errors import InvalidInput

BATCH = 5000
FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
CSV_COLUMNS = ("id", "seq", "at", "actor_type", "actor", "action", "target_type", "target_id", "instance_id",
               "before", "after", "note", "prev_hash", "hash")
_COLUMNS = tuple(getattr(AuditEvent, name) for name in CSV_COLUMNS)


def content_type(fmt: str) -> str:
    """The media type of an export format; InvalidInput for an unknown one."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", code="invalid_format")
    return FORMATS[fmt]


def rows(db: Database, environment_id: int, filters: AuditFilter, *, batch: int = BATCH) -> Iterator[Any]:
    """Matching rows oldest first, `batch` at a time, never more in memory."""
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


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def as_jsonl(source: Iterator[Any]) -> Iterator[str]:
    """One JSON object per line, in chunks of about 64 KiB."""
    parts: list[str] = []
    size = 0
    for row in source:
        line = _json({name: (row.at.isoformat() if name == "at" else getattr(row, name))
                      for name in CSV_COLUMNS}) + "\n"
        parts.append(line)
        size += len(line)
        if size >= 65536:
            yield "".join(parts)
            parts, size = [], 0
    if parts:
        yield "".join(parts)


def as_csv(source: Iterator[Any]) -> Iterator[str]:
    """A header line, then one CSV record per entry (before/after as JSON text), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for count, row in enumerate(source, 1):
        writer.writerow([row.id, row.seq, row.at.isoformat(), row.actor_type, row.actor, row.action,
                         row.target_type, row.target_id, "" if row.instance_id is None else row.instance_id,
                         "" if row.before is None else _json(row.before),
                         "" if row.after is None else _json(row.after), row.note or "", row.prev_hash, row.hash])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export(db: Database, environment_id: int, filters: AuditFilter, fmt: str) -> Iterator[str]:
    """The text chunks of an export in `fmt` (csv or jsonl)."""
    content_type(fmt)
    source = rows(db, environment_id, filters)
    return as_csv(source) if fmt == "csv" else as_jsonl(source)
