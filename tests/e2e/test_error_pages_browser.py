"""A person who follows a stale link in the browser lands on a page, not on a JSON error."""
from __future__ import annotations

from tests.e2e.conftest import Browse


def test_an_unknown_url_shows_the_not_found_page_with_a_way_back(browse: Browse) -> None:
    page = browse.login("carla")
    response = page.goto(f"{browse.base_url}/tasks/old/link")
    assert response is not None and response.status == 404
    assert "text/html" in response.headers["content-type"]
    assert page.get_by_role("heading", name="Not found").is_visible()
    page.get_by_role("link", name="Back to the start page").click()
    page.wait_for_url(lambda url: "/tasks/old" not in url)
    assert page.get_by_role("link", name="Tasks").first.is_visible()
