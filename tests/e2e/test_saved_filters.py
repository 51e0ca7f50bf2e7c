"""Saved task list filters in a real browser: Carla (creditors) filters her list on a desktop, saves the
filters under a name shared with her group and sees its count; Cas, a colleague in creditors, opens the
list on his phone in Dutch, where the filter form is folded away, sees the shared filter read-only and
applies it: the list shows as many tasks as the filter counted."""
from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from server.auth import service as auth
from server.auth.actor import Actor
from server.auth.models import Environment
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import browsing
from tests.e2e.site import PASSWORD, Site
from tests.e2e.test_browser_flows import _ingest


def _colleague(site: Site) -> None:
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        auth.create_user(session, env_id, "cas", actor=Actor.system(env_id), password=PASSWORD,
                         groups=("creditors",), language="nl")


def _total(page: Any) -> int:
    return int(re.findall(r"\d+", page.get_by_test_id("task-total").inner_text())[0])


def test_a_shared_filter_is_saved_counted_and_applied_by_a_colleague(
        site: Site, browser: Any, base_url: str, request: pytest.FixtureRequest) -> None:
    _ingest(site, "preferred_bank_differs.xml")  # a task for the creditors
    _colleague(site)
    with browsing(browser, base_url, request) as carla:
        page = carla.login("carla")
        page.goto(f"{base_url}/tasks")
        fold = page.get_by_test_id("filters-fold")
        assert page.locator("#f-state").is_visible()  # on a desktop the filters are open, no summary to click
        page.locator("#f-state").select_option("all")
        page.locator("#f-group").select_option("creditors")
        page.get_by_role("button", name="Filter", exact=True).click()
        page.wait_for_url(re.compile(r"group=creditors"))
        shown = _total(page)
        assert shown >= 1
        page.get_by_label("Name", exact=True).fill("Creditors, all states")
        page.get_by_label("Share with").select_option("creditors")
        page.get_by_role("button", name="Save these filters").click()
        page.get_by_text("Filter “Creditors, all states” saved.").wait_for()
        saved = page.get_by_test_id("saved-filter").filter(has_text="Creditors, all states")
        assert saved.get_by_test_id("saved-filter-count").inner_text() == f"{shown} task" + ("s" if shown != 1 else "")
        assert "shared with creditors" in saved.inner_text()
        assert saved.get_by_test_id("saved-filter-apply").get_attribute("aria-current") == "true"
        assert fold.is_visible()
        assert_accessible(page, "saved filter, desktop")
        carla.shot("carla-1366")
        assert carla.errors == []

    with browsing(browser, base_url, request, width=390, height=844, locale="nl-NL") as cas:
        page = cas.login("cas")
        page.goto(f"{base_url}/tasks")
        assert page.locator("html").get_attribute("lang") == "nl"
        assert not page.locator("#f-state").is_visible()  # folded away on the phone
        saved = page.get_by_test_id("saved-filter").filter(has_text="Creditors, all states")
        assert "gedeeld met creditors" in saved.inner_text() and "van carla" in saved.inner_text()
        assert saved.locator("details.manage").count() == 0  # read-only for the group: no rename, no delete
        counted = int(re.findall(r"\d+", saved.get_by_test_id("saved-filter-count").inner_text())[0])
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert_accessible(page, "shared filter, phone, Dutch")
        saved.get_by_test_id("saved-filter-apply").click()
        page.wait_for_url(re.compile(r"group=creditors"))
        assert "state=all" in page.url and _total(page) == counted
        page.get_by_test_id("filters-fold").locator("summary").click()  # the summary unfolds the form
        assert page.locator("#f-state").is_visible() and page.locator("#f-state").input_value() == "all"
        cas.shot("cas-390-nl")
        assert cas.errors == []
