"""Shared bench helpers: result tables with targets and ratios, fresh databases, a real gunicorn server.

The bench scripts import this as `common` (they run as `python bench/NAME.py`, so bench/ is on the
path); it puts the repository root on the path too, for `tests.support.databases`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
BENCH_MODEL = ROOT / "tests" / "data" / "bpmn" / "scale" / "purchase_invoice.bpmn"
SHIPPED_MODEL = ROOT / "bpmn" / "purchase_invoice.bpmn"
INVOICES = ROOT / "tests" / "data" / "invoices"
APPROVAL_TABLE = ROOT / "dmn" / "invoice_approval.dmn"
BENCH_LOGIN = "bench"


@dataclasses.dataclass(frozen=True)
class Figure:
    """One measured figure and, when there is one, its goal ("at least" unless `at_most`)."""

    name: str
    value: float
    unit: str
    target: float | None = None
    at_most: bool = False

    @property
    def ratio(self) -> float | None:
        """value / target for 'at least' goals, target / value for 'at most' goals; >= 1 meets it."""
        if self.target is None or not self.value:
            return None
        return self.target / self.value if self.at_most else self.value / self.target

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ratio": self.ratio}


def print_table(title: str, figures: list[Figure]) -> None:
    """A fixed-width table: figure, value, target, ratio to target and whether it is met."""
    print(f"\n{title}")
    head = f"  {'figure':<52} {'value':>12} {'unit':<8} {'target':>12} {'ratio':>7}  met"
    print(head)
    print("  " + "-" * (len(head) - 2))
    for f in figures:
        target = "" if f.target is None else ("<= " if f.at_most else ">= ") + _fmt(f.target)
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}"
        met = "" if f.ratio is None else ("yes" if f.ratio >= 1 else "NO")
        print(f"  {f.name:<52} {_fmt(f.value):>12} {f.unit:<8} {target:>12} {ratio:>7}  {met}")


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def write_results(name: str, figures: list[Figure], **extra: Any) -> Path:
    """bench/results/NAME.json with the figures, the machine and any extra details."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"bench": name, "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "cpus": os.cpu_count(),
               "python": platform.python_version(), "figures": [f.to_json() for f in figures], **extra}
    path.write_text(json.dumps(payload, indent=2, default=str))
    print(f"\nwrote {path.relative_to(ROOT)}")
    return path


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of non-empty samples."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


# -- databases -------------------------------------------------------------------------------------

@contextlib.contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file in `folder`, or a private PostgreSQL database (dropped after)."""
    from server.db import Database
    from server.migrate import upgrade

    if backend == "sqlite":
        url = f"sqlite:///{folder / 'stroom.db'}"
    else:
        from tests.support import databases

        reason = databases.postgres_available()
        if reason is not None:
            raise SystemExit(f"PostgreSQL is not available: {reason}")
        url = databases.create_postgres_database()
    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    try:
        yield url
    finally:
        if backend != "sqlite":
            from tests.support import databases

            databases.drop_postgres_database(url)


def database_cpu_seconds(url: str) -> float:
    """User + system CPU so far of the PostgreSQL backends serving the database of `url` (0.0 for SQLite,
    whose work is in the process that runs it). Read from /proc: a backend shows itself as
    "postgres: [CLUSTER:] USER DATABASE HOST(PORT) STATE"; one that exited meanwhile is not counted, so measure
    while the connections are still open (pooled)."""
    if not url.startswith("postgresql"):
        return 0.0
    database = url.rsplit("/", 1)[1].split("?")[0]
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
            if not title or title[0] != "postgres:" or database not in title[1:4]:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            continue
    return total


def postgres_ok() -> bool:
    from tests.support import databases

    return databases.postgres_available() is None


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A database holding the demo data, a bench user with a bearer token and the purchase model."""

    url: str
    token: str
    model: str


def prepare(url: str, folder: Path, *, groups: tuple[str, ...] = ("creditors", "purchasing")) -> Prepared:
    """Load demo users and master data, create the bench user, deploy `purchase_invoice` if not shipped."""
    from server.auth import service as auth
    from server.auth import tokens
    from server.auth.actor import Actor
    from server.demo import load
    from server.host import open_host
    from server.instances import service as instances

    host = open_host(settings_for(url, folder))
    try:
        load(host)
        with host.db.unit_of_work() as session:
            env = auth.ensure_environment(session, auth.DEFAULT_ENVIRONMENT)
            system = Actor.system(env.id, "bench")
            user = auth.create_user(session, env.id, BENCH_LOGIN, actor=system, roles=("user",), groups=groups,
                                    email="bench@example.com", password="bench-password")
            _, token = tokens.create_token(session, user, actor=system)
            model = "shipped"
            if instances.latest_version(session, env.id, "purchase_invoice", required=False) is None:
                instances.deploy(session, host, actor=system, key="purchase_invoice",
                                 bpmn={BENCH_MODEL.name: BENCH_MODEL.read_bytes()},
                                 dmn={APPROVAL_TABLE.name: APPROVAL_TABLE.read_bytes()})
                model = "bench"
    finally:
        host.db.dispose()
    return Prepared(url, token, model)


def bench_actor(host: Any) -> Any:
    """The Actor of the bench user `prepare` created (for in-process benches that call the operations)."""
    from sqlalchemy import select

    from server.auth import service as auth
    from server.auth.models import User

    with host.db.reading() as session:
        return auth.actor_for(session, session.scalars(select(User).where(User.login == BENCH_LOGIN)).one())


def settings_for(url: str, folder: Path, **changes: Any) -> Any:
    from server.settings import Settings

    settings = Settings(instance_dir=folder / "instance", database_url=url, secret_key="bench-secret",
                        embedded_worker=False, log_level="WARNING")
    return settings.replace(**changes) if changes else settings


# -- invoices --------------------------------------------------------------------------------------

_NUMBER = re.compile(rb"<cbc:ID>JK-2026-0101</cbc:ID>")
_ISSUE = re.compile(rb"<cbc:IssueDate>2026-03-02</cbc:IssueDate>")
_DUE = re.compile(rb"<cbc:DueDate>2026-04-01</cbc:DueDate>")
_AUTO = (INVOICES / "auto_approve_exact.xml").read_bytes()


def auto_approve_invoice(n: int, *, run: str = "") -> bytes:
    """The auto-approving demo invoice with a unique number and issue date.

    Only the number would make every later copy a *possible duplicate* (same supplier, amount and
    issue date), which routes it to creditors; shifting the dates keeps each one auto-approved."""
    import datetime as dt

    issue = dt.date(2026, 3, 2) - dt.timedelta(days=n)
    due = issue + dt.timedelta(days=30)
    xml = _NUMBER.sub(f"<cbc:ID>B{run}-{n}</cbc:ID>".encode(), _AUTO, count=1)
    xml = _ISSUE.sub(f"<cbc:IssueDate>{issue.isoformat()}</cbc:IssueDate>".encode(), xml, count=1)
    return _DUE.sub(f"<cbc:DueDate>{due.isoformat()}</cbc:DueDate>".encode(), xml, count=1)


# -- a real server ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(url: str, folder: Path, **extra: str) -> dict[str, str]:
    """The STROOM_* environment of a bench server process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STROOM_")}
    env.update(STROOM_DATABASE_URL=url, STROOM_INSTANCE_DIR=str(folder / "instance"),
               STROOM_SECRET_KEY="bench-secret", STROOM_EMBEDDED_WORKER="false", STROOM_LOG_LEVEL="WARNING",
               PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


@dataclasses.dataclass
class Server:
    """A running gunicorn with the Stroom app; `pids()` are its worker processes."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def cpu_seconds(self) -> float:
        """User + system CPU of the workers and everything they started (validator processes)."""
        total, todo = 0.0, list(self.pids())
        while todo:
            pid = todo.pop()
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
                # every thread's children: a threaded worker starts its validators from a request thread
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(p) for p in (task / "children").read_text().split()]
            except (OSError, IndexError, ValueError):
                continue
        return total

    def rss_mb(self) -> list[float]:
        """Resident set size of each worker process in MB."""
        return [rss_of(pid) for pid in self.pids()]


def rss_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextlib.contextmanager
def gunicorn(url: str, folder: Path, *, workers: int = 2, threads: int = 1, **env: str) -> Iterator[Server]:
    """Start `gunicorn -w N 'server.app:create_app()'` on a free port and wait until /healthz answers."""
    port = free_port()
    log = folder / f"gunicorn-{port}.log"
    command = [str(BIN / "gunicorn"), "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}",
               "--timeout", "120", "--graceful-timeout", "5", "server.app:create_app()"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=server_env(url, folder, **env), stdout=out,
                                   stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    try:
        wait_healthy(port, process, log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_healthy(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped at start:\n{log.read_text()[-3000:]}")
        try:
            status, _ = request(port, "GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def request(port: int, method: str, path: str, body: bytes | None = None, *, token: str | None = None,
            content_type: str = "application/xml", conn: http.client.HTTPConnection | None = None
            ) -> tuple[int, Any]:
    """One HTTP request (on `conn` when given, kept alive); returns (status, parsed JSON or None)."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
    finally:
        if own:
            conn.close()
    try:
        return response.status, json.loads(raw) if raw else None
    except ValueError:
        return response.status, None


def temp_folder(prefix: str) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix=f"stroom-bench-{prefix}-")


def summary(names: list[str] | None = None) -> None:
    """One table of every figure with a target, from the JSON the bench scripts wrote."""
    rows: list[Figure] = []
    for path in sorted(RESULTS.glob("*.json")):
        if names and path.stem not in names:
            continue
        payload = json.loads(path.read_text())
        for item in payload.get("figures", []):
            if isinstance(item, dict) and item.get("target") is not None:
                rows.append(Figure(f"{path.stem}: {item['name'].strip()}"[:52], item["value"], item["unit"],
                                   item["target"], bool(item.get("at_most"))))
    print_table("Summary: every figure with a target (bench/results/*.json)", rows)


if __name__ == "__main__":
    summary(sys.argv[1:] or None)
