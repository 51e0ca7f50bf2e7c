"""/metrics in the Prometheus text format: work waiting in the database, and this process's requests.

Who sees what (the figures of one environment are its business: how many invoices wait, how many
fail): an admin (token or session) gets the work of their own environment, labelled with it, plus
the process figures that reveal no environment's data (database up, uptime, peak memory). With
STROOM_METRICS_PUBLIC=true anyone gets those process figures and the request counters per endpoint
(counts of the whole process, never an environment's records); an admin then also gets their
environment's gauges. Otherwise: 401 without credentials, 403 for anyone but an admin.
"""
from __future__ import annotations

import resource
import threading
import time
from collections import Counter

from flask import Blueprint, Flask, Response, g, request
from sqlalchemy import func, select

from server.api.auth import current_actor, host
from server.auth.actor import Actor
from server.auth.permissions import allowed, require
from server.errors import Unauthorized
from server.instances.models import Incident, ProcessInstance
from server.jobs.models import Job
from server.tasks.models import OPEN_STATUSES, HumanTask

bp = Blueprint("metrics", __name__)
_LOCK = threading.Lock()
_REQUESTS: Counter[tuple[str, str, int]] = Counter()
_SECONDS: Counter[tuple[str, str]] = Counter()
_STARTED = time.time()


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def record_requests(app: Flask) -> None:
    """Count requests and their duration per endpoint and status (per process)."""
    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        endpoint = request.endpoint or "unmatched"
        with _LOCK:
            _REQUESTS[(endpoint, request.method, response.status_code)] += 1
            if started is not None:
                _SECONDS[(endpoint, request.method)] += time.perf_counter() - started
        return response


def _environment_gauges(environment_id: int) -> list[str]:
    """The work of one environment: instances by status, open tasks, jobs by status, open incidents."""
    env = f'environment_id="{environment_id}"'
    lines = ["# TYPE stroom_process_instances gauge"]
    with host().db.unit_of_work() as session:
        for status, count in session.execute(select(ProcessInstance.status, func.count())
                                             .where(ProcessInstance.environment_id == environment_id)
                                             .group_by(ProcessInstance.status)):
            lines.append(f'stroom_process_instances{{{env},status="{_label(status)}"}} {count}')
        open_tasks = session.scalar(select(func.count()).select_from(HumanTask)
                                    .where(HumanTask.environment_id == environment_id,
                                           HumanTask.status.in_(OPEN_STATUSES))) or 0
        lines += ["# TYPE stroom_open_tasks gauge", f"stroom_open_tasks{{{env}}} {open_tasks}",
                  "# TYPE stroom_jobs gauge"]
        for status, count in session.execute(select(Job.status, func.count())
                                             .where(Job.environment_id == environment_id).group_by(Job.status)):
            lines.append(f'stroom_jobs{{{env},status="{_label(status)}"}} {count}')
        incidents = session.scalar(select(func.count()).select_from(Incident).where(
            Incident.environment_id == environment_id, Incident.status == "open")) or 0
        lines += ["# TYPE stroom_open_incidents gauge", f"stroom_open_incidents{{{env}}} {incidents}"]
    return lines


def _database_up() -> list[str]:
    try:
        with host().db.unit_of_work() as session:
            session.execute(select(1))
        return ["# TYPE stroom_database_up gauge", "stroom_database_up 1"]
    except Exception:  # noqa: BLE001 - the database being down is itself a metric
        return ["# TYPE stroom_database_up gauge", "stroom_database_up 0"]


def _request_lines() -> list[str]:
    lines = ["# TYPE stroom_http_requests_total counter"]
    with _LOCK:
        requests, seconds = dict(_REQUESTS), dict(_SECONDS)
    for (endpoint, method, status), count in sorted(requests.items()):
        lines.append(f'stroom_http_requests_total{{endpoint="{_label(endpoint)}",method="{method}",'
                     f'status="{status}"}} {count}')
    lines.append("# TYPE stroom_http_request_seconds_total counter")
    for (endpoint, method), total in sorted(seconds.items()):
        lines.append(f'stroom_http_request_seconds_total{{endpoint="{_label(endpoint)}",method="{method}"}} '
                     f"{total:.6f}")
    return lines


def _process_lines() -> list[str]:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return ["# TYPE stroom_process_max_rss_bytes gauge", f"stroom_process_max_rss_bytes {peak_kb * 1024}",
            "# TYPE stroom_process_uptime_seconds gauge", f"stroom_process_uptime_seconds {time.time() - _STARTED:.0f}"]


def _caller(public: bool) -> Actor | None:
    """The admin asking, None for an anonymous (or non-admin) caller in public mode; else 401/403."""
    try:
        actor = current_actor()
    except Unauthorized:
        if public:
            return None
        raise
    if public and not allowed(actor, "metrics.read"):
        return None
    require(actor, "metrics.read")
    return actor


@bp.get("/metrics")
def metrics() -> Response:
    """An admin's environment's work and the process figures; public mode: process figures to anyone."""
    public = host().settings.metrics_public
    actor = _caller(public)
    lines = _database_up()
    if actor is not None and lines[-1].endswith(" 1"):
        try:
            lines += _environment_gauges(actor.environment_id)
        except Exception:  # noqa: BLE001 - the database went away between the two reads
            lines = ["# TYPE stroom_database_up gauge", "stroom_database_up 0"]
    lines += _process_lines() + (_request_lines() if public else [])
    body = "\n".join(lines) + "\n"
    return Response(body, mimetype="text/plain; version=0.0.4")
