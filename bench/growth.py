"""Growth: PostgreSQL taken to 1,000,000 invoices in steps; does ingest, the task list or audit verify slow down?

    python bench/growth.py [--target N] [--step N] [--ingest N] [--requests R] [--no-full-verify]
    (make growth; GROWTH_TARGET=1000000, GROWTH_STEP=100000; make growth GROWTH_TARGET=200000 for a shorter run)

Really ingesting a million invoices takes days on two shared cores, so the database grows by cloning:
a few invoices are really ingested once (auto-approved ones, ones waiting in the creditors' task
list, and ones a bench user claimed), then every table row they wrote (received document, invoice,
process instance, human task and candidate, jobs, audit entries) is copied with new ids, invoice
number, supplier (one of 2,000), dates spread over two years and a new document hash, by COPY.
Cloned audit entries are appended to the environment's chain with their seq, previous hash and HMAC
link computed under the audit key, so verify checks real links. The mix per clone: 97 % auto-approved,
2.5 % waiting for creditors, 0.5 % claimed by the bench user (3,000 open tasks per 100,000 invoices).

At every step (100,000, 200,000, ... invoices), after ANALYZE of the grown tables (what autovacuum
does after a bulk load), with the real code paths in this process:
  * ingest: --ingest auto-approved invoices through `operations.documents.submit_content` (store,
    validate in the worker pool, parse, match, decide, engine, audit), one at a time; per wall second
    and per CPU second (this process, its validator processes and its PostgreSQL backends);
  * task list: `operations.tasks.list_tasks` for the bench user (first page of 50, as the API and
    the page ask it) with the filters users use: open, mine, my groups, overdue, by supplier; p50,
    p95 and CPU ms per request over --requests requests each;
  * audit verify: incremental from a checkpoint (`checkpoints.verify_since`) taken by the filler
    before the last 100,000 entries of the step, and (at the first and the last step) a full verify
    of the whole chain; both as seconds per 100,000 entries.
A steady backlog (--backlog-days, default 30): before each step is measured, the clones' tasks older than
that behind the newest clone are settled as approvers would have settled them (task completed by its
assignee or a bench approver two days after it arrived, instance completed, invoice approved, its pending
timers cancelled), by UPDATE and without the audit entries a real approval writes. The open task list
then holds about the last 30 days of arrivals at every step (some 1,200 tasks at 1,000,000 over two
years), as in a company whose approvers keep up; --backlog-days 0 lets the backlog grow with the data.
Then first step against last step: each figure may degrade by at most 20 % (ratio table, exit
status 1 when one does not). Writes bench/results/growth.json. The worker does not run, so the
clones' pending jobs (mails, reminders) stay pending like the seed invoices' ones.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import random
import resource
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    Figure,
    auto_approve_invoice,
    fresh_database,
    percentile,
    postgres_ok,
    prepare,
    print_table,
    settings_for,
    temp_folder,
    write_results,
)

DEGRADATION = 1.2  # last step / first step at most (at least 1 / 1.2 for rates)
SUPPLIERS = 2000
MIX = (("auto", 0.97), ("open", 0.025), ("claimed", 0.005))
CHUNK = 5000  # invoices per COPY transaction
BACKLOG_DAYS = 30  # the open clones' tasks older than this behind the newest clone are settled
VERIFY_WINDOW = 100_000  # audit entries after the step's checkpoint
SPAN = dt.timedelta(days=730)  # the clones' dates, oldest first, end a day before the run
TABLES = ("process_instances", "received_documents", "invoices", "human_tasks", "task_candidates", "jobs",
          "audit_events")
_HUMAN = (ROOT / "server" / "demo_invoices" / "unknown_bank_account.xml").read_bytes()


def human_invoice(n: int) -> bytes:
    """The unknown-bank-account demo invoice (routed to the creditors group) with a unique number."""
    return _HUMAN.replace(b"<cbc:ID>PT-2026-0411</cbc:ID>", f"<cbc:ID>GH-{n}</cbc:ID>".encode(), 1)


# -- CPU of this process, its children and its PostgreSQL backends ------------------------------------

def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                children = [int(p) for p in (task / "children").read_text().split()]
                found += children
                todo += children
        except OSError:
            continue
    return found


class CpuMeter:
    """CPU seconds of this process (all threads), its live child processes (the validator pool) and the
    PostgreSQL client backends connected to the bench database."""

    def __init__(self, host: Any) -> None:
        self.host = host

    def _backends(self) -> list[int]:
        from sqlalchemy import text

        with self.host.db.engine.connect() as conn:
            return list(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                          "AND backend_type = 'client backend'")).scalars())

    def read(self) -> dict[int, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        sample = {0: usage.ru_utime + usage.ru_stime}
        for pid in _descendants(os.getpid()) + self._backends():
            sample[pid] = _proc_cpu(pid)
        return sample

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(value - before.get(pid, 0.0) for pid, value in after.items())


# -- the seed: invoices really ingested once --------------------------------------------------------

@dataclasses.dataclass
class Template:
    """One really ingested invoice and every row it wrote, ready to be cloned."""

    kind: str
    number: str
    supplier_name: str
    supplier_key: str
    created: dt.datetime
    rows: dict[str, list[dict[str, Any]]]
    audit_json: list[tuple[Any, Any, str | None, str | None]] = dataclasses.field(default_factory=list)


def seed(host: Any, actor: Any, reader: Any) -> list[Template]:
    """Ingest the seed invoices (auto-approved, waiting, claimed by `reader`) as `actor` and read back
    what each wrote. Two people: four eyes keep whoever submitted an invoice from claiming its task."""
    from sqlalchemy import select

    from server.operations import tasks as task_ops
    from server.operations.documents import submit_content
    from server.tasks.models import HumanTask

    made: list[tuple[str, Any]] = []
    for n in range(4):
        made.append(("auto", submit_content(host, actor=actor, content=auto_approve_invoice(6000 + n, run="seed"))))
    for n in range(3):
        made.append(("open" if n < 2 else "claimed", submit_content(host, actor=actor, content=human_invoice(n))))
    for kind, result in made:
        if result.status != "accepted" or result.instance_id is None:
            raise SystemExit(f"the seed invoice was not accepted: {result}")
        if kind == "claimed":
            with host.db.unit_of_work() as session:
                task_id = session.scalars(select(HumanTask.id).where(HumanTask.instance_id == result.instance_id)).one()
                task_ops.claim(session, actor=reader, task_id=task_id, edge="api")
    raw = host.db.engine.raw_connection()
    try:
        return [_read_template(raw, kind, result) for kind, result in made]
    finally:
        raw.close()


def _columns(raw: Any, table: str) -> list[tuple[str, str]]:
    cursor = raw.cursor()
    cursor.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
                   "ORDER BY ordinal_position", (table,))
    return list(cursor.fetchall())


def _select(raw: Any, table: str, where: str, params: tuple[Any, ...], order: str = "id") -> list[dict[str, Any]]:
    """Rows as dicts, JSON columns as their text (COPY takes them back as text)."""
    columns = _columns(raw, table)
    names = ", ".join(f'"{c}"::text' if kind in ("json", "jsonb") else f'"{c}"' for c, kind in columns)
    cursor = raw.cursor()
    cursor.execute(f"SELECT {names} FROM {table} WHERE {where} ORDER BY {order}", params)  # our own names
    return [dict(zip([c for c, _ in columns], row, strict=True)) for row in cursor.fetchall()]


def _read_template(raw: Any, kind: str, result: Any) -> Template:
    rows = {
        "process_instances": _select(raw, "process_instances", "id = %s", (result.instance_id,)),
        "received_documents": _select(raw, "received_documents", "id = %s", (result.document_id,)),
        "invoices": _select(raw, "invoices", "id = %s", (result.invoice_id,)),
        "human_tasks": _select(raw, "human_tasks", "instance_id = %s", (result.instance_id,)),
        "jobs": _select(raw, "jobs", "instance_id = %s", (result.instance_id,)),
        "audit_events": _select(raw, "audit_events", "instance_id = %s OR (target_type = 'document' AND "
                                "target_id = %s)", (result.instance_id, str(result.document_id)), order="seq"),
    }
    task_ids = [t["id"] for t in rows["human_tasks"]] or [0]
    rows["task_candidates"] = _select(raw, "task_candidates", "task_id = ANY(%s)", (task_ids,), order="task_id")
    invoice = rows["invoices"][0]
    template = Template(kind, invoice["number"], invoice["supplier_name"], invoice["supplier_key"],
                        invoice["created_at"], rows)
    for row in rows["audit_events"]:
        before = None if row["before"] is None else json.loads(row["before"])
        after = None if row["after"] is None else json.loads(row["after"])
        template.audit_json.append((before, after, row["before"], row["after"]))
    return template


# -- the filler -------------------------------------------------------------------------------------

# Which id map each referencing column takes (FKs and the audit entry's subject).
_REFS = {"instance_id": "process_instances", "document_id": "received_documents", "task_id": "human_tasks",
         "invoice_id": "invoices"}
_TARGETS = {"document": "received_documents", "instance": "process_instances", "task": "human_tasks",
            "invoice": "invoices", "job": "jobs"}


class Filler:
    """Clones the templates into the database, `CHUNK` invoices per transaction, by COPY."""

    def __init__(self, host: Any, templates: list[Template], *, target: int, seed_value: int = 7) -> None:
        from server.masterdata.normalise import search_key

        self.host = host
        self.templates = {kind: [t for t in templates if t.kind == kind] for kind, _ in MIX}
        self.rng = random.Random(seed_value)
        self.cloned = 0
        self.spacing = SPAN / max(target, 1)
        self.start = dt.datetime.now(dt.UTC) - SPAN - dt.timedelta(days=1)
        self.search_key = search_key
        self.columns: dict[str, list[str]] = {}
        self.kinds: dict[str, dict[str, str]] = {}

    def _pick(self) -> Template:
        roll, total = self.rng.random(), 0.0
        for kind, share in MIX:
            total += share
            if roll < total:
                break
        return self.rng.choice(self.templates[kind])

    def fill(self, count: int, *, checkpoint_before: int = 0,
             on_checkpoint: Callable[[], None] | None = None) -> float:
        """Clone `count` invoices; calls `on_checkpoint` once about `checkpoint_before` audit entries before
        the end. Returns the seconds it took."""
        started = time.perf_counter()
        per_invoice = sum(len(t.rows["audit_events"]) for ts in self.templates.values() for t in ts) / sum(
            len(ts) for ts in self.templates.values())
        tail = min(count, int(checkpoint_before / per_invoice) + 1) if on_checkpoint else 0
        done = 0
        for size in self._chunks(count - tail) + self._chunks(tail):
            if on_checkpoint is not None and done == count - tail:
                on_checkpoint()
                on_checkpoint = None
            self._chunk(size)
            done += size
        if on_checkpoint is not None:
            on_checkpoint()
        return time.perf_counter() - started

    @staticmethod
    def _chunks(count: int) -> list[int]:
        return [min(CHUNK, count - offset) for offset in range(0, count, CHUNK)]

    def _chunk(self, count: int) -> None:
        from server.audit.service import entry_hash

        key = self.host.audit_key
        raw = self.host.db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if not self.columns:
                for table in TABLES:
                    columns = _columns(raw, table)
                    self.columns[table] = [c for c, _ in columns]
                    self.kinds[table] = dict(columns)
            env_id = self.templates["auto"][0].rows["invoices"][0]["environment_id"]
            cursor.execute("SELECT seq, hash FROM audit_chain_heads WHERE environment_id = %s FOR UPDATE", (env_id,))
            seq, prev = cursor.fetchone()
            next_id = {}
            for table in TABLES:
                if "id" in self.columns[table]:
                    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # our own table names
                    next_id[table] = cursor.fetchone()[0] + 1
            out: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
            for _ in range(count):
                template = self._pick()
                n = self.cloned
                self.cloned += 1
                moment = self.start + self.spacing * n
                shift = moment - template.created
                supplier = self.rng.randrange(1, SUPPLIERS + 1)
                number = f"GC-{n:07d}"
                names = {template.number: number,
                         template.supplier_name: f"Groei Leverancier {supplier:04d} B.V."}
                ids: dict[str, dict[int, int]] = {table: {} for table in TABLES}
                for table in ("process_instances", "received_documents", "invoices", "human_tasks", "jobs"):
                    for row in template.rows[table]:
                        ids[table][row["id"]] = next_id[table]
                        next_id[table] += 1
                for table in TABLES[:-1]:
                    for row in template.rows[table]:
                        out[table].append(self._clone(table, row, ids, shift, names, supplier, template, next_id))
                for row, (before, after, before_text, after_text) in zip(template.rows["audit_events"],
                                                                         template.audit_json, strict=True):
                    clone = self._clone("audit_events", row, ids, shift, {}, supplier, template, next_id)
                    if before_text and template.number in before_text:
                        clone["before"] = before_text.replace(template.number, number)
                        before = json.loads(clone["before"])
                    if after_text and template.number in after_text:
                        clone["after"] = after_text.replace(template.number, number)
                        after = json.loads(clone["after"])
                    seq += 1
                    clone["seq"], clone["prev_hash"] = seq, prev
                    clone["hash"] = prev = entry_hash(prev, {**clone, "before": before, "after": after}, key)
                    out["audit_events"].append(clone)
            for table in TABLES:
                if out[table]:
                    names_sql = ", ".join(f'"{c}"' for c in self.columns[table])
                    with cursor.copy(f"COPY {table} ({names_sql}) FROM STDIN") as copy:
                        for row in out[table]:
                            copy.write_row([row[c] for c in self.columns[table]])
            cursor.execute("UPDATE audit_chain_heads SET seq = %s, hash = %s WHERE environment_id = %s",
                           (seq, prev, env_id))
            for table, following in next_id.items():
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (following - 1,))
            raw.commit()
        finally:
            raw.close()

    def _clone(self, table: str, row: dict[str, Any], ids: dict[str, dict[int, int]], shift: dt.timedelta,
               names: dict[str, str], supplier: int, template: Template, next_id: dict[str, int]) -> dict[str, Any]:
        kinds = self.kinds[table]
        clone = dict(row)
        for column, value in row.items():
            if value is None:
                continue
            kind = kinds[column]
            if kind.startswith("timestamp"):
                clone[column] = value + shift
            elif kind == "date":
                clone[column] = value + dt.timedelta(days=shift.days)
            elif column in _REFS and value in ids[_REFS[column]]:
                clone[column] = ids[_REFS[column]][value]
            elif names and isinstance(value, str):
                for old, new in names.items():
                    if old and old in value:
                        value = value.replace(old, new)
                clone[column] = value
        if "id" in row and row["id"] in ids[table]:
            clone["id"] = ids[table][row["id"]]
        elif "id" in row:
            clone["id"] = next_id[table]
            next_id[table] += 1
        if table == "received_documents":
            content = bytes(row["content"]).replace(template.number.encode(), names[template.number].encode())
            clone["content"], clone["size"] = content, len(content)
            clone["sha256"] = hashlib.sha256(content).hexdigest()
        elif table == "invoices":
            clone["supplier_key"] = f"{template.supplier_key}-g{supplier:04d}"
        elif table == "human_tasks" and row["supplier_name"]:
            clone["supplier_search"] = self.search_key(clone["supplier_name"])
        elif table == "audit_events":
            target = _TARGETS.get(row["target_type"])
            if target and row["target_id"].isdigit() and int(row["target_id"]) in ids[target]:
                clone["target_id"] = str(ids[target][int(row["target_id"])])
        return clone

    def settle(self, backlog: dt.timedelta) -> int:
        """Settle the open and claimed tasks of clones that arrived more than `backlog` before the newest
        clone: what approvers who keep up would have done by now. Returns how many tasks were settled."""
        if not self.cloned or not backlog:
            return 0
        newest = self.start + self.spacing * (self.cloned - 1)
        raw = self.host.db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(
                "UPDATE human_tasks SET status = 'completed', completed_at = created_at + interval '2 days', "
                "completed_by = coalesce(assignee, 'growth-approver'), outcome = '{\"outcome\": \"approved\"}' "
                "WHERE status IN ('open', 'claimed') AND invoice_number LIKE 'GC-%%' AND created_at < %s "
                "RETURNING instance_id", (newest - backlog,))
            instances = [row[0] for row in cursor.fetchall()]
            if instances:
                cursor.execute("UPDATE process_instances SET status = 'completed' WHERE id = ANY(%s)", (instances,))
                cursor.execute("UPDATE invoices SET status = 'approved' WHERE instance_id = ANY(%s)", (instances,))
                cursor.execute("UPDATE jobs SET status = 'cancelled', finished_at = now(), last_error = 'settled' "
                               "WHERE instance_id = ANY(%s) AND status = 'pending'", (instances,))
            raw.commit()
            return len(instances)
        finally:
            raw.close()

    def analyze(self) -> None:
        """ANALYZE the grown tables, as autovacuum would after a bulk load."""
        from sqlalchemy import text

        with self.host.db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in TABLES:
                conn.execute(text(f"ANALYZE {table}"))


# -- measurements -----------------------------------------------------------------------------------

def measure_ingest(host: Any, actor: Any, numbers: range, run: str, meter: CpuMeter) -> dict[str, float]:
    """Ingest one invoice per number (each its own issue date: the same date and amount twice would be a
    possible duplicate, routed to a person), the first one unmeasured to warm the pool and caches."""
    from server.operations.documents import submit_content

    submit_content(host, actor=actor, content=auto_approve_invoice(numbers[0], run=run))
    count = len(numbers) - 1
    before, started = meter.read(), time.perf_counter()
    for n in numbers[1:]:
        result = submit_content(host, actor=actor, content=auto_approve_invoice(n, run=run))
        if result.status != "accepted":
            raise SystemExit(f"a measured invoice was not accepted: {result}")
    wall = time.perf_counter() - started
    cpu = CpuMeter.spent(before, meter.read())
    return {"per_wall_s": count / wall, "per_cpu_s": count / cpu if cpu else 0.0, "cpu_ms": cpu * 1000 / count}


def task_filters(now: dt.datetime) -> dict[str, dict[str, Any]]:
    return {"open": {}, "mine": {"mine": True}, "my groups": {"my_groups": True},
            "overdue": {"due_before": now}, "supplier": {"supplier": "groei leverancier 01"}}


def measure_tasklist(host: Any, actor: Any, requests: int, meter: CpuMeter) -> dict[str, dict[str, float]]:
    from server.operations import tasks as task_ops
    from server.tasks.listing import TaskQuery

    results = {}
    for name, filters in task_filters(dt.datetime.now(dt.UTC)).items():
        samples: list[float] = []
        for i in range(requests + 3):
            if i == 3:
                before = meter.read()
            started = time.perf_counter()
            with host.db.unit_of_work() as session:
                page = task_ops.list_tasks(session, actor=actor, query=TaskQuery(**filters))
            if i >= 3:
                samples.append((time.perf_counter() - started) * 1000)
        cpu = CpuMeter.spent(before, meter.read())
        results[name] = {"p50": percentile(samples, 50), "p95": percentile(samples, 95),
                         "cpu_ms": cpu * 1000 / requests, "total": page.total}
    return results


def measure_verify(host: Any, checkpoint: dict[str, Any], meter: CpuMeter, *, full: bool) -> dict[str, float]:
    from server.audit import checkpoints
    from server.audit.verify import verify

    figures: dict[str, float] = {}
    before, started = meter.read(), time.perf_counter()
    with host.db.unit_of_work() as session:
        result = checkpoints.verify_since(session, checkpoint, key=host.audit_key)
    wall, cpu = time.perf_counter() - started, CpuMeter.spent(before, meter.read())
    if not result.ok:
        raise SystemExit(f"incremental verify failed: {result.to_json()}")
    checked = result.chain.checked
    figures.update(incremental_rows=checked, incremental_s_per_100k=wall * 100_000 / checked,
                   incremental_cpu_s_per_100k=cpu * 100_000 / checked)
    if full:
        before, started = meter.read(), time.perf_counter()
        with host.db.unit_of_work() as session:
            whole = verify(session, checkpoint_environment(session, checkpoint), key=host.audit_key)
        wall, cpu = time.perf_counter() - started, CpuMeter.spent(before, meter.read())
        if not whole.ok:
            raise SystemExit(f"full verify failed: {whole.to_json()}")
        figures.update(full_rows=whole.checked, full_s_per_100k=wall * 100_000 / whole.checked,
                       full_cpu_s_per_100k=cpu * 100_000 / whole.checked)
    return figures


def checkpoint_environment(session: Any, checkpoint: dict[str, Any]) -> int:
    from sqlalchemy import select

    from server.auth.models import Environment

    return int(session.scalar(select(Environment.id).where(Environment.name == checkpoint["environment"])))


# -- the run ----------------------------------------------------------------------------------------

def counts(host: Any) -> dict[str, int]:
    from sqlalchemy import text

    with host.db.engine.connect() as conn:
        found = {table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
                 for table in ("invoices", "human_tasks", "audit_events")}
        found["open_tasks"] = int(conn.execute(text(
            "SELECT count(*) FROM human_tasks WHERE status IN ('open', 'claimed', 'delegated')")).scalar() or 0)
        found["database_mb"] = int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
                                   or 0) // 2**20
    return found


def step_sizes(target: int, step: int) -> list[int]:
    sizes = list(range(step, target + 1, step))
    return sizes if sizes and sizes[-1] == target else [*sizes, target]


def submitter(host: Any) -> Any:
    """A second user who submits the invoices (the bench user reads and claims the tasks)."""
    from server.auth import service as auth
    from server.auth.actor import Actor

    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, auth.DEFAULT_ENVIRONMENT)
        user = auth.create_user(session, env.id, "growth-ingest", actor=Actor.system(env.id, "bench"),
                                roles=("user",), groups=("sales",), email="ingest@example.com",
                                password="growth-password")
        return auth.actor_for(session, user)


def run(url: str, folder: Path, *, target: int, step: int, ingest: int, requests: int,
        full_verify: bool, backlog: dt.timedelta = dt.timedelta(days=BACKLOG_DAYS), log: Callable[[str], None] = lambda text: print(text, flush=True)) -> list[dict[str, Any]]:
    """Grow the database at `url` to `target` invoices in steps, measuring after each; the per-step results."""
    from server.audit import checkpoints
    from server.auth import tokens
    from server.host import open_host

    prepared = prepare(url, folder)
    host = open_host(settings_for(url, folder, ubl_rules="off"))
    try:
        with host.db.unit_of_work() as session:
            actor = tokens.actor_for_token(session, prepared.token)
        meter = CpuMeter(host)
        sender = submitter(host)
        templates = seed(host, sender, actor)
        filler = Filler(host, templates, target=target)
        sizes = step_sizes(target, step)
        steps: list[dict[str, Any]] = []
        saved: dict[str, Any] = {}
        for index, size in enumerate(sizes):
            present = counts(host)["invoices"]

            def take() -> None:
                with host.db.unit_of_work() as session:
                    saved["checkpoint"] = checkpoints.take(session, actor.environment_id, key=host.audit_key)

            seconds = filler.fill(max(0, size - present), checkpoint_before=VERIFY_WINDOW, on_checkpoint=take)
            figures: dict[str, Any] = {"invoices": size, "fill_s": seconds, "settled": filler.settle(backlog)}
            filler.analyze()
            numbers = range(index * (ingest + 1), (index + 1) * (ingest + 1))
            figures["ingest"] = measure_ingest(host, sender, numbers, f"g{index}", meter)
            figures["tasklist"] = measure_tasklist(host, actor, requests, meter)
            first_or_last = index in (0, len(sizes) - 1)
            figures["verify"] = measure_verify(host, saved["checkpoint"], meter, full=full_verify and first_or_last)
            figures["counts"] = counts(host)
            steps.append(figures)
            log(step_report(figures))
        return steps
    finally:
        host.db.dispose()


def step_figures(step: dict[str, Any]) -> list[Figure]:
    ingest, verify = step["ingest"], step["verify"]
    rows = [Figure("ingest per wall second", ingest["per_wall_s"], "/s"),
            Figure("ingest per CPU second (process + pool + backends)", ingest["per_cpu_s"], "/cpu-s")]
    for name, result in step["tasklist"].items():
        rows.append(Figure(f"task list {name} ({result['total']:,} match) p95", result["p95"], "ms"))
        rows.append(Figure(f"task list {name} CPU per request", result["cpu_ms"], "ms"))
    rows.append(Figure(f"verify since checkpoint ({verify['incremental_rows']:,} rows)",
                       verify["incremental_s_per_100k"], "s/100k"))
    rows.append(Figure("verify since checkpoint CPU", verify["incremental_cpu_s_per_100k"], "cpu-s/100k"))
    if "full_rows" in verify:
        rows.append(Figure(f"full verify ({verify['full_rows']:,} rows)", verify["full_s_per_100k"], "s/100k"))
        rows.append(Figure("full verify CPU", verify["full_cpu_s_per_100k"], "cpu-s/100k"))
    return rows


def step_report(step: dict[str, Any]) -> str:
    c = step["counts"]
    title = (f"Step: {step['invoices']:,} invoices ({c['audit_events']:,} audit entries, {c['open_tasks']:,} open "
             f"tasks, {c['database_mb']:,} MB; filled in {step['fill_s']:.0f} s)")
    out = StringIO()
    with redirect_stdout(out):
        print_table(title, step_figures(step))
    return out.getvalue()


def degradation(steps: list[dict[str, Any]]) -> list[Figure]:
    """Last step against first: rates may fall to 1/1.2, times may rise to 1.2 times."""
    first, last = steps[0], steps[-1]
    label = f"{first['invoices']:,} -> {last['invoices']:,}"
    figures = [Figure(f"ingest per CPU second, last/first ({label})",
                      last["ingest"]["per_cpu_s"] / first["ingest"]["per_cpu_s"], "x", 1 / DEGRADATION),
               Figure("ingest per wall second, last/first",
                      last["ingest"]["per_wall_s"] / first["ingest"]["per_wall_s"], "x", 1 / DEGRADATION)]
    for name in first["tasklist"]:
        figures.append(Figure(f"task list {name} p95, last/first",
                              last["tasklist"][name]["p95"] / first["tasklist"][name]["p95"], "x", DEGRADATION,
                              at_most=True))
        figures.append(Figure(f"task list {name} CPU, last/first",
                              last["tasklist"][name]["cpu_ms"] / first["tasklist"][name]["cpu_ms"], "x",
                              DEGRADATION, at_most=True))
    for kind in ("incremental", "full"):
        if f"{kind}_rows" in first["verify"] and f"{kind}_rows" in last["verify"] and first is not last:
            figures.append(Figure(f"verify {kind} per 100k rows, last/first",
                                  last["verify"][f"{kind}_s_per_100k"] / first["verify"][f"{kind}_s_per_100k"],
                                  "x", DEGRADATION, at_most=True))
            figures.append(Figure(f"verify {kind} CPU per 100k rows, last/first",
                                  last["verify"][f"{kind}_cpu_s_per_100k"]
                                  / first["verify"][f"{kind}_cpu_s_per_100k"], "x", DEGRADATION, at_most=True))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", type=int, default=int(os.environ.get("GROWTH_TARGET", "1000000")))
    parser.add_argument("--step", type=int, default=int(os.environ.get("GROWTH_STEP", "100000")))
    parser.add_argument("--ingest", type=int, default=200, help="real invoices ingested per step")
    parser.add_argument("--requests", type=int, default=40, help="task-list requests per filter per step")
    parser.add_argument("--backlog-days", type=int, default=BACKLOG_DAYS,
                        help="tasks older than this behind the newest invoice are settled (0: the backlog grows)")
    parser.add_argument("--no-full-verify", dest="full_verify", action="store_false",
                        help="skip the full verify at the first and the last step")
    args = parser.parse_args()
    if not postgres_ok():
        raise SystemExit("growth needs PostgreSQL (tests/support/databases.py)")
    with temp_folder("growth") as tmp, fresh_database("postgresql", Path(tmp)) as url:
        steps = run(url, Path(tmp), target=args.target, step=args.step, ingest=args.ingest,
                    requests=args.requests, full_verify=args.full_verify,
                    backlog=dt.timedelta(days=args.backlog_days))
    figures = degradation(steps) if len(steps) > 1 else []
    print_table("Growth: last step against first (at most 20 % worse)", figures)
    write_results("growth", figures, target=args.target, step=args.step, ingest=args.ingest,
                  requests=args.requests, backlog_days=args.backlog_days, steps=steps)
    if any(f.ratio is not None and f.ratio < 1 for f in figures):
        sys.exit(1)


if __name__ == "__main__":
    main()
