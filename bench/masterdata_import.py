"""Time a 10,000-row master-data import (suppliers, then their bank accounts) through the import service.

    .venv/bin/python bench/masterdata_import.py [--rows 10000] [--database-url URL]

Four passes per kind, each one unit of work committed as the edges commit it: new rows, the same file
again (nothing changes, nothing is audited), every row changed, and for bank accounts a new preferred
IBAN for every supplier (the fraud step every entry must name). Prints wall and CPU seconds per pass
(CPU time is the figure to compare on a busy machine: SQLite runs inside this process) and the
audit rows written. Run it on main and on a branch to compare.
"""
from __future__ import annotations

import argparse
import inspect
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

import common  # noqa: F401 - puts the repository root on the path
from server.audit.models import AuditEvent
from server.auth import service as auth
from server.auth.actor import Actor
from server.host import open_host
from server.masterdata import service as masterdata
from server.migrate import upgrade
from server.settings import Settings


def iban(n: int, bank: str = "ABNA") -> str:
    """A valid Dutch IBAN for account number n."""
    account = f"{n:010d}"
    digits = "".join(str(int(ch, 36)) for ch in f"{bank}{account}NL00")
    return f"NL{98 - int(digits) % 97:02d}{bank}{account}"


def suppliers_csv(rows: int, name: str) -> bytes:
    lines = ["code;name;address_line1;postal_code;city;country;email;kvk"]
    lines += [f"S{n:06d};{name} {n} B.V.;Straat {n};1234 AB;Utrecht;NL;s{n}@example.com;{10000000 + n}"
              for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def accounts_csv(rows: int, bank: str) -> bytes:
    lines = ["supplier_code,iban,bic,preferred"]
    lines += [f"S{n:06d},{iban(n, bank)},,ja" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def run_import(host, env_id: int, kind: str, data: bytes) -> tuple[float, object]:
    actor = Actor.system(env_id, "bench")
    new_style = "edge" in inspect.signature(masterdata.import_csv).parameters
    started, cpu = time.perf_counter(), time.process_time()
    with host.db.unit_of_work() as session:
        if new_style:
            result = masterdata.import_csv(session, actor=actor, edge="cli", kind=kind, data=data)
        else:
            result = masterdata.import_csv(session, environment_id=env_id, kind=kind, data=data)
    return time.perf_counter() - started, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        settings = Settings(instance_dir=Path(folder) / "instance", database_url=url, secret_key="bench",
                            embedded_worker=False)
        host = open_host(settings)
        upgrade(host.db.engine)
        with host.db.unit_of_work() as session:
            env_id = auth.ensure_environment(session, "bench").id
        passes = [("suppliers", "new", suppliers_csv(args.rows, "Leverancier")),
                  ("suppliers", "same again", suppliers_csv(args.rows, "Leverancier")),
                  ("suppliers", "all changed", suppliers_csv(args.rows, "Supplier")),
                  ("bank_accounts", "new", accounts_csv(args.rows, "ABNA")),
                  ("bank_accounts", "same again", accounts_csv(args.rows, "ABNA")),
                  ("bank_accounts", "new preferred", accounts_csv(args.rows, "RABO"))]
        print(f"{args.rows} rows per pass on {host.db.engine.dialect.name}")
        for kind, label, data in passes:
            with host.db.reading() as session:
                before = session.scalar(select(func.count()).select_from(AuditEvent))
            seconds, cpu, result = run_import(host, env_id, kind, data)
            with host.db.reading() as session:
                audited = session.scalar(select(func.count()).select_from(AuditEvent)) - before
            assert result.ok, result.errors[:3]
            print(f"{kind:14} {label:14} {seconds:7.2f} s wall {cpu:7.2f} s CPU {args.rows / cpu:8.0f} rows/CPU-s  "
                  f"audit rows {audited}", flush=True)
        host.db.dispose()


if __name__ == "__main__":
    main()
