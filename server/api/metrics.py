"""/metrics in the Prometheus text format: work waiting in the database, and this process's requests."""
from __future__ import annotations

import resource
import threading
import time
from collections import Counter

from flask import Blueprint, Flask, Response, g, request
from sqlalchemy import func, select

from server.api.auth import host
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


def _database_gauges() -> list[str]:
    lines = ["# TYPE stroom_process_instances gauge"]
    with host().db.unit_of_work() as session:
        for status, count in session.execute(select(ProcessInstance.status, func.count())
                                             .group_by(ProcessInstance.status)):
            lines.append(f'stroom_process_instances{{status="{_label(status)}"}} {count}')
        open_tasks = session.scalar(select(func.count()).select_from(HumanTask)
                                    .where(HumanTask.status.in_(OPEN_STATUSES))) or 0
        lines += ["# TYPE stroom_open_tasks gauge", f"stroom_open_tasks {open_tasks}", "# TYPE stroom_jobs gauge"]
        for status, count in session.execute(select(Job.status, func.count()).group_by(Job.status)):
            lines.append(f'stroom_jobs{{status="{_label(status)}"}} {count}')
        incidents = session.scalar(select(func.count()).select_from(Incident).where(Incident.status == "open")) or 0
        lines += ["# TYPE stroom_open_incidents gauge", f"stroom_open_incidents {incidents}"]
    return lines


def _process_lines() -> list[str]:
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
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    lines += ["# TYPE stroom_process_max_rss_bytes gauge", f"stroom_process_max_rss_bytes {peak_kb * 1024}",
              "# TYPE stroom_process_uptime_seconds gauge",
              f"stroom_process_uptime_seconds {time.time() - _STARTED:.0f}"]
    return lines


@bp.get("/metrics")
def metrics() -> Response:
    """Aggregates only (no tenant data): instances by status, open tasks, jobs, incidents, requests."""
    try:
        lines = _database_gauges() + ["stroom_database_up 1"]
    except Exception:  # the database being down is itself a metric
        lines = ["stroom_database_up 0"]
    body = "\n".join(["# TYPE stroom_database_up gauge", *lines, *_process_lines()]) + "\n"
    return Response(body, mimetype="text/plain; version=0.0.4")
