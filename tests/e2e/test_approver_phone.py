"""The approver on a phone (390 x 844): the Approve button is in reach without scrolling past the whole invoice,
and neither the task page nor the instance page scrolls sideways, in English and in Dutch."""
from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Browse
from tests.e2e.site import Site
from tests.e2e.test_task_page import base_url, creditors_task, fresh, site  # noqa: F401 - the shipped model's site

PHONE = {"width": 390, "height": 844}


def on_phone(browse: Browse, login: str) -> Any:
    browse.login(login)
    browse.page.set_viewport_size(PHONE)
    return browse.page


def sideways(page: Any) -> int:
    """How far the page is wider than the screen (0: no sideways scrolling)."""
    return int(page.evaluate("document.scrollingElement.scrollWidth")) - PHONE["width"]


def approve_button_top(page: Any) -> float:
    """Where the Approve button starts, from the top of the page (not of the screen)."""
    button = page.locator("button[data-decision='approve']")
    button.wait_for()
    return float(page.evaluate("(el) => el.getBoundingClientRect().top + window.scrollY", button.element_handle()))


def test_on_a_phone_carla_reaches_approve_within_two_screens_and_nothing_scrolls_sideways(
        browse: Browse, site: Site) -> None:  # noqa: F811
    task = creditors_task(site)
    page = on_phone(browse, "carla")
    page.goto(f"{browse.base_url}/tasks/{task.id}")
    assert approve_button_top(page) <= 2 * PHONE["height"], approve_button_top(page)
    assert sideways(page) <= 0
    browse.shot("task")
    page.goto(f"{browse.base_url}/instances/{task.instance_id}")
    page.locator("[data-testid=history]").wait_for()
    assert sideways(page) <= 0
    browse.shot("instance")
    page.goto(f"{browse.base_url}/tasks/{task.id}")
    page.locator("button[data-decision='approve']").click()
    page.locator(".flash", has_text="Task completed").wait_for()
    assert fresh(site, task).outcome["decision"] == "approve"


def test_in_dutch_on_a_phone_the_desk_fits_and_speaks_dutch(browse: Browse, site: Site) -> None:  # noqa: F811
    task = creditors_task(site)
    page = on_phone(browse, "carla")
    page.locator("button[name=lang][value=nl]").click()
    page.wait_for_load_state()
    page.goto(f"{browse.base_url}/tasks?state=all")
    row = page.locator("[data-testid=task-row]", has=page.locator(f"a[href='/tasks/{task.id}']"))
    assert "te laat" in row.inner_text()  # overdue, in words
    assert sideways(page) <= 0
    page.goto(f"{browse.base_url}/tasks/{task.id}")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert approve_button_top(page) <= 2 * PHONE["height"]
    assert sideways(page) <= 0
    page.goto(f"{browse.base_url}/instances/{task.instance_id}")
    history = page.locator("[data-testid=history-action]").all_inner_texts()
    assert "Taak aangemaakt" in history and not any("." in action for action in history), history
    assert sideways(page) <= 0
    browse.shot("instance-nl")
