"""Pages show moments in the deployment's zone (STROOM_TIMEZONE): a due moment late on a UTC evening
is the next morning in Amsterdam, on the task page and in the task list; an admin reads and types a
timer's due time in that zone too."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.instances import service as instances
from server.tasks.models import HumanTask
from tests.e2e.site import Site, build_site
from tests.http.pages.test_approver_desk import invoice_task
from tests.http.pages.test_cockpit_parity import JOB_MODELS, page_post, start, timer_job

DUE = dt.datetime(2030, 1, 15, 23, 30, tzinfo=dt.UTC)  # 00:30 on 16 January in Amsterdam (CET)


@pytest.fixture(scope="module")
def amsterdam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    built = build_site(Path(tmp_path_factory.mktemp("site")), timezone="Europe/Amsterdam")
    yield built
    built.host.db.dispose()


def _due_task(site: Site) -> int:
    task_id, _ = invoice_task(site)
    with site.host.db.unit_of_work() as session:
        task = session.get(HumanTask, task_id)
        assert task is not None
        task.due_at = DUE
    return task_id


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_task_page_and_list_show_the_due_moment_in_the_deployments_zone(amsterdam: Site) -> None:
    task_id = _due_task(amsterdam)
    client = amsterdam.client("carla")
    page = _text(client.get(f"/tasks/{task_id}").text)
    assert re.search(r"Due Jan 16, 2030,? 12:30\s?AM", page), page
    listed = client.get("/tasks?filter=all").text
    row = next(r for r in listed.split('data-testid="task-row"')[1:] if f"/tasks/{task_id}" in r)
    assert "Jan 16, 2030" in _text(row)


def test_without_a_zone_pages_keep_utc(site: Site) -> None:
    task_id = _due_task(site)
    page = _text(site.client("carla").get(f"/tasks/{task_id}").text)
    assert re.search(r"Due Jan 15, 2030,? 11:30\s?PM", page), page


def test_an_admin_reads_and_moves_a_timer_in_the_deployments_zone(amsterdam: Site) -> None:
    with amsterdam.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        instances.deploy(session, amsterdam.host, actor=Actor.system(env_id, "tests"), key="approval_reminder",
                         bpmn={"approval_reminder.bpmn": (JOB_MODELS / "approval_reminder.bpmn").read_bytes()})
    instance_id = start(amsterdam, "approval_reminder", {"invoice_number": "F-zone"})
    job = timer_job(amsterdam, instance_id, "remind_after_1h")
    stored = dt.datetime.fromisoformat(job["due_at"])
    local = stored.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m-%dT%H:%M:%S")
    page = amsterdam.client("admin").get(f"/instances/{instance_id}").text
    assert "Due (Europe/Amsterdam)" in page and "New due time (Europe/Amsterdam)" in page
    assert f'value="{local}"' in page  # the form holds the local time, so saving it unchanged moves nothing

    said = page_post(amsterdam, instance_id, f"jobs/{job['id']}/due", {"due_at": "2031-07-01T09:30:00",
                                                                       "reason": "after the summer break"})
    assert "is due at 2031-07-01 09:30:00 Europe/Amsterdam" in said
    moved = timer_job(amsterdam, instance_id, "remind_after_1h")
    assert dt.datetime.fromisoformat(moved["due_at"]) == dt.datetime(2031, 7, 1, 7, 30, tzinfo=dt.UTC)  # CEST
    # A moment typed with its own zone keeps it.
    page_post(amsterdam, instance_id, f"jobs/{job['id']}/due", {"due_at": "2031-07-01T09:30:00+00:00",
                                                                "reason": "in UTC"})
    assert dt.datetime.fromisoformat(timer_job(amsterdam, instance_id, "remind_after_1h")["due_at"]) == (
        dt.datetime(2031, 7, 1, 9, 30, tzinfo=dt.UTC))
