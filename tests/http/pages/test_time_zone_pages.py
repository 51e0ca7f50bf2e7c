"""Pages show moments in the deployment's zone (STROOM_TIMEZONE): a due moment late on a UTC evening
is the next morning in Amsterdam, on the task page and in the task list."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.tasks.models import HumanTask
from tests.e2e.site import Site, build_site
from tests.http.pages.test_approver_desk import invoice_task

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
