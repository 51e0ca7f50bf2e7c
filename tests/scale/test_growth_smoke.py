"""`make growth` cannot rot: its filler and one measurement of each kind, at 1,000 invoices on PostgreSQL.

No timing is asserted (the figures are bench/growth.py's business); what is checked is that the clones
are rows the server accepts and reads like its own: the audit chain with every cloned entry verifies
in full and from the checkpoint the filler took, the cloned tasks show in the task list with the
filters the bench measures, and real ingest still works on top of them.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.db import Database
from server.invoices.models import Invoice, ReceivedDocument
from server.tasks.models import HumanTask
from tests.support import databases

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_the_growth_filler_writes_rows_the_server_verifies_lists_and_ingests_beside(tmp_path, monkeypatch):
    if (reason := databases.postgres_available()) is not None:
        pytest.skip(f"PostgreSQL is not available: {reason}")
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.setattr(sys, "argv", ["growth"])
    import common
    import growth

    with common.fresh_database("postgresql", tmp_path) as url:
        steps = growth.run(url, tmp_path, target=1000, step=1000, ingest=2, requests=1, full_verify=True,
                           backlog=dt.timedelta(days=365), log=lambda _: None)
        (step,) = steps
        counts = step["counts"]
        assert counts["invoices"] == 1000 + 3  # grown to 1,000, then one warm-up and two measured invoices
        assert counts["open_tasks"] > 0 and counts["audit_events"] > 10 * counts["invoices"]
        # the steady backlog: tasks of clones a year older than the newest were settled, the newer stay open
        assert step["settled"] > 0
        verify = step["verify"]
        assert verify["full_rows"] == counts["audit_events"]  # every cloned entry is a valid link
        assert 0 < verify["incremental_rows"] < verify["full_rows"]
        lists = step["tasklist"]
        assert set(lists) == {"open", "mine", "my groups", "overdue", "supplier"}
        assert lists["open"]["total"] == counts["open_tasks"] and lists["mine"]["total"] > 0
        assert 0 < lists["supplier"]["total"] < lists["open"]["total"]
        assert step["ingest"]["per_wall_s"] > 0 and step["ingest"]["per_cpu_s"] > 0
        assert growth.degradation(steps + steps)[0].name.startswith("ingest per CPU second")

        db = Database(url)
        try:
            with db.engine.connect() as conn:
                numbers = conn.execute(select(func.count(func.distinct(Invoice.number)))).scalar()
                digests = conn.execute(select(func.count(func.distinct(ReceivedDocument.sha256)))).scalar()
                states = conn.execute(select(func.count()).select_from(Invoice).where(Invoice.status == "approved")
                                      ).scalar()
                clones = HumanTask.invoice_number.like("GC-%")
                newest = conn.execute(select(func.max(HumanTask.created_at)).where(clones)).scalar()
                still_open = conn.execute(select(HumanTask.created_at).where(
                    clones, HumanTask.status.in_(("open", "claimed")))).scalars().all()
        finally:
            db.dispose()
        assert numbers == digests == counts["invoices"] and states > 900
        assert still_open and min(still_open) >= newest - dt.timedelta(days=365)
