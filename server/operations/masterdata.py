"""Master-data import, the one verb behind the API, the admin page and `stroom masterdata import`.

`import_master_data` checks the permission and the kind, keeps the file (CSV, or JSON rows turned
into the same CSV) and queues a `masterdata_import` job in the caller's transaction; the worker (or
the CLI itself, or the synchronous API call) then runs it with `run_master_data_import`, which writes
in short transactions and ends with the summary and the `masterdata.imported` audit entry naming
the actor and the edge. `master_data_import` reads the progress and summary any edge shows: the
counts, the refused rows with their problems (codes, values, English messages) and, as before the
rows, every problem in one flat list.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.auth.permissions import require
from server.db import Database, utcnow
from server.errors import InvalidInput, NotFound
from server.jobs import service as jobs
from server.masterdata import bulk, problems
from server.masterdata.csv_import import KINDS, as_csv
from server.masterdata.models import MasterDataImport
from server.masterdata.trail import EDGES

JOB_KIND = "masterdata_import"
MAX_LISTED = 200


@dataclasses.dataclass(frozen=True)
class ImportView:
    """An import as every edge shows it: progress while it runs, the summary once it ended."""

    id: int
    kind: str
    edge: str
    status: str  # queued, running, done, refused (nothing imported), failed (stopped part-way)
    total: int
    done: int
    created: int
    updated: int
    unchanged: int
    refused: tuple[dict[str, Any], ...]  # every kept problem, with its line (the list from before rows)
    refused_count: int  # rows refused (a row with two problems counts once)
    refused_rows: tuple[dict[str, Any], ...]  # {"line", "problems"}, the first bulk.MAX_REFUSED rows
    error: str | None
    rate: float | None  # rows per second so far
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @property
    def ended(self) -> bool:
        return self.status in bulk.ENDED

    def to_json(self) -> dict[str, Any]:
        """The view as the JSON status endpoint answers it."""
        body = dataclasses.asdict(self)
        body.update(refused=list(self.refused), refused_rows=list(self.refused_rows), ended=self.ended, created_at=self.created_at.isoformat(),
                    finished_at=self.finished_at.isoformat() if self.finished_at else None)
        return body


def _view(row: MasterDataImport) -> ImportView:
    end = row.finished_at or utcnow()
    seconds = (end - row.started_at).total_seconds() if row.started_at else 0.0
    rows = problems.refused_rows(row.refused or ())  # also reads imports stored before the codes (0028)
    return ImportView(id=row.id, kind=row.kind, edge=row.edge, status=row.status, total=row.total, done=row.done,
                      created=row.created, updated=row.updated, unchanged=row.unchanged,
                      refused=tuple(problems.flat(rows)), refused_rows=tuple(rows),
                      refused_count=len(rows) if row.refused_count is None else row.refused_count, error=row.error,
                      rate=round(row.done / seconds, 1) if seconds > 0 and row.done else None,
                      created_at=row.created_at, finished_at=row.finished_at)


def _data_lines(data: bytes) -> int:
    """The file's data lines (a cheap first total; the worker counts the rows it checked)."""
    return max(0, sum(1 for line in data.splitlines() if line.strip()) - 1)


def import_master_data(session: Session, *, actor: Actor, edge: str, kind: str, data: bytes = b"",
                       rows: list[Any] | None = None) -> ImportView:
    """Queue an import of one file of one kind (CSV bytes, a JSON file, or JSON `rows`) for the actor's
    environment; it runs as a background job. Flushes only; the caller commits."""
    require(actor, "masterdata.manage")
    if edge not in EDGES:
        raise ValueError(f"unknown edge {edge!r}")
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}", code="unknown_kind",
                           details=[{"field": "kind", "message": f"use one of {', '.join(KINDS)}"}])
    csv_bytes = as_csv(data=data, rows=rows)  # an empty or unreadable file is refused by the run, by line
    row = MasterDataImport(environment_id=actor.environment_id, kind=kind, edge=edge, actor_type=actor.kind,
                           actor=actor.name, user_id=actor.user_id, status="queued", total=_data_lines(csv_bytes),
                           done=0, created=0, updated=0, unchanged=0, refused=[], refused_count=0,
                           data=csv_bytes)
    session.add(row)
    session.flush()
    jobs.enqueue(session, JOB_KIND, {"import_id": row.id}, environment_id=actor.environment_id, max_attempts=3)
    return _view(row)


def master_data_import(session: Session, *, actor: Actor, import_id: int) -> ImportView:
    """The import's progress or summary; NotFound for imports of other environments."""
    require(actor, "masterdata.read")
    row = session.get(MasterDataImport, import_id)
    if row is None or row.environment_id != actor.environment_id:
        raise NotFound(f"master-data import {import_id} not found", code="import_not_found")
    return _view(row)


def recent_master_data_imports(session: Session, *, actor: Actor, limit: int = 50) -> list[ImportView]:
    """The environment's latest imports, newest first (at most `limit`, 1..200)."""
    require(actor, "masterdata.read")
    if not 1 <= limit <= MAX_LISTED:
        raise InvalidInput(f"limit must be 1..{MAX_LISTED}", details=[{"field": "limit", "message": "out of range"}])
    query = (select(MasterDataImport).where(MasterDataImport.environment_id == actor.environment_id)
             .order_by(MasterDataImport.id.desc()).limit(limit))
    return [_view(row) for row in session.scalars(query)]


def run_master_data_import(db: Database, *, import_id: int, progress: bulk.Progress | None = None) -> None:
    """Run a queued import now, in this process (the job handler, the CLI and the synchronous API call
    it); commits chunk by chunk. Does nothing when another runner has it or it has ended."""
    bulk.run(db, import_id, progress=progress)
