"""Invoices per second for master-data matching, and CSV import rows per second.

    python bench/matching.py [--seconds S] [--suppliers N] [--database-url URL]

- pure match: `match()` of the demo samples against the demo records (no database);
- pure match, big: the same against N extra suppliers handed over whole (why `snapshot_for` exists);
- snapshot + match: `snapshot_for()` then `match()` on a database holding the demo data plus N
  suppliers (SQLite in a temporary folder unless --database-url is given; the database is migrated);
- CSV import: suppliers per second for an N-row file (checked whole, then written in chunks).
Writes bench/results/matching.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.db import Database
from server.demo_data import demo_invoice_paths, demo_snapshot, load_demo
from server.invoices.facts import facts_from_invoice
from server.invoices.matching import match
from server.invoices.snapshot import snapshot_for
from server.invoices.ubl import parse_invoice
from server.masterdata import service
from server.masterdata.records import BankAccountRecord, MasterData, SupplierRecord
from server.migrate import upgrade
from server.operations import masterdata as operations

ROOT = Path(__file__).resolve().parents[1]


def per_second(work: Callable[[], object], seconds: float) -> float:
    """Calls per second over about `seconds` of wall time (best of three rounds)."""
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            work()
            count += 1
        best = max(best, count / (time.perf_counter() - start))
    return best


def supplier_csv(count: int) -> bytes:
    rows = ["code;name;postal_code;city;country;kvk;vat"]
    rows += [f"X{i:06d};Leverancier {i} B.V.;{1000 + i % 8999} AB;Plaats {i % 500};NL;{50000000 + i};"
             f"NL{100000000 + i}B01" for i in range(count)]  # fmt: skip
    return ("\n".join(rows) + "\n").encode()


def big_records(count: int) -> MasterData:
    base = demo_snapshot()
    extra = tuple(
        SupplierRecord(1000 + i, f"X{i:06d}", f"Leverancier {i} B.V.", f"leverancier {i}", f"{1000 + i % 8999}AB",
                       f"Plaats {i % 500}", "NL", (("0106", str(50000000 + i)),),
                       (BankAccountRecord(f"NL00TEST{i:010d}", True),))
        for i in range(count)
    )  # fmt: skip
    return MasterData(base.suppliers + extra, base.administrations, base.orders, base.rules)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--suppliers", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    facts = [facts_from_invoice(parse_invoice(p.read_bytes())) for p in demo_invoice_paths()]
    today, records, big = facts[0].issue_date, demo_snapshot(), big_records(args.suppliers)
    assert today is not None
    figures: dict[str, float] = {}
    figures["pure_match_per_s"] = per_second(lambda: [match(f, records, today=today) for f in facts], args.seconds) * len(facts)
    figures["pure_match_big_per_s"] = per_second(lambda: [match(f, big, today=today) for f in facts], args.seconds) * len(facts)
    with tempfile.TemporaryDirectory() as folder:
        db = Database(args.database_url or f"sqlite:///{folder}/bench.db")
        upgrade(db.engine)
        with db.unit_of_work() as session:
            env = session.scalars(select(Environment).filter_by(name="bench-matching")).first()
            if env is None:
                env = Environment(name="bench-matching", display_name="bench")
                session.add(env)
                session.flush()
            env_id = env.id
            load_demo(session, environment_id=env_id)
        actor = Actor.system(env_id, "bench")
        start = time.perf_counter()
        with db.unit_of_work() as session:  # the one import path every edge takes: queue, then run in chunks
            queued = operations.import_master_data(session, actor=actor, edge="cli", kind="suppliers",
                                                   data=supplier_csv(args.suppliers))
        operations.run_master_data_import(db, import_id=queued.id)
        figures["csv_import_rows_per_s"] = args.suppliers / (time.perf_counter() - start)
        with db.reading() as session:
            result = operations.master_data_import(session, actor=actor, import_id=queued.id)
        assert result.status == "done", result.refused[:3]
        with db.unit_of_work() as session:
            def snapshot_and_match() -> None:
                for f in facts:
                    match(f, snapshot_for(session, environment_id=env_id, facts=f), today=today)

            figures["snapshot_match_per_s"] = per_second(snapshot_and_match, args.seconds) * len(facts)
        db.dispose()
    figures["ratio_pure_to_snapshot"] = figures["pure_match_per_s"] / figures["snapshot_match_per_s"]
    figures["ratio_pure_to_pure_big"] = figures["pure_match_per_s"] / figures["pure_match_big_per_s"]
    for name, value in figures.items():
        print(f"{name:28} {value:12.1f}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "matching.json").write_text(json.dumps({"suppliers": args.suppliers, **figures}, indent=2))


if __name__ == "__main__":
    main()
