"""axe-core on every page a user reaches: no serious or critical violation, in English on a 1366 px screen
and in Dutch on a 390 px phone, each page logged in with a role that reaches it.

The pages are found the way a user finds them: following links from the home page as each role (with the
Flask test client, in-process), one URL per page endpoint; the login page, error pages, the chain check,
an empty audit search and a task list with saved filters are added by hand. One browser context per role
and language; screenshots of every page go to test-artifacts/screenshots/axe-*.
"""
from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from server.auth import service as auth
from server.auth.actor import Actor
from server.auth.models import User
from server.demo_data import demo_invoice_paths
from server.invoices import service as invoices
from server.operations import task_filters
from tests.e2e.axe import describe, violations
from tests.e2e.conftest import SCREENSHOTS, Browse, served
from tests.e2e.site import Site, build_site

HREF = re.compile(r'href="([^"#]+)"')
SKIP = ("/logout", "/assets/", "/vendor/", "/static/", "/api/")
# Downloads and raw documents, not pages.
NOT_PAGES = ("export", "attachment", "download", "document", "diagram", "source", "xml", "pdf")
ROLES = ("carla", "admin", "designer", "audrey")  # the first role that reaches a page checks it
EXTRA = {  # pages no link leads to (or not with this state), per role
    "carla": ["/tasks?state=all", "/audit", "/tasks/999999"],  # /audit: 403 page; a task that is not there: 404
    "audrey": ["/audit/verify", "/audit?actor=nobody-at-all"],
}
SCREENS = (("en", "en-GB", 1366, 900), ("nl", "nl-NL", 390, 844))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site of its own with work in it: invoices in tasks and instances, saved filters, audit entries."""
    built = build_site(Path(tmp_path_factory.mktemp("axe")))
    paths = {p.name: p for p in demo_invoice_paths()}
    with built.host.db.unit_of_work() as session:
        carla = session.scalars(select(User).where(User.login == "carla")).one()
        env_id = carla.environment_id
    for name in ("unknown_bank_account.xml", "preferred_bank_differs.xml"):
        invoices.ingest(built.host, actor=Actor.system(env_id, "tests"), content=paths[name].read_bytes(),
                        filename=name, source="web")
    with built.host.db.unit_of_work() as session:
        who = auth.actor_for(session, session.scalars(select(User).where(User.login == "carla")).one())
        task_filters.save_filter(session, actor=who, name="Open work of the creditors", filters={},
                                 group=min(who.groups) if who.groups else None, edge="web")
    yield built
    built.host.db.dispose()


def _endpoint(site: Site, url: str) -> str | None:
    parts = urlsplit(url)
    try:
        endpoint, _args = site.app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return None
    return str(endpoint)


def reachable_pages(site: Site, login: str, limit: int = 60) -> dict[str, str]:
    """endpoint -> the first URL of it found by following links from the home page as `login`."""
    client = site.client(login)
    pages: dict[str, str] = {}
    seen: set[str] = set()
    queue = deque(["/"])
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code in (301, 302):
            queue.append(response.headers["Location"])
            continue
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        endpoint = _endpoint(site, url)
        if endpoint and endpoint not in pages:
            pages[endpoint] = url
        for href in HREF.findall(response.text):
            target = urljoin(url, href.replace("&amp;", "&"))
            if urlsplit(target).netloc or target.startswith(SKIP) or any(w in target for w in NOT_PAGES):
                continue
            queue.append(target)
    return pages


def plan(site: Site) -> dict[str, list[str]]:
    """Per role, the URLs it checks: each page endpoint once, by the first role that reaches it."""
    taken: set[str] = set()
    urls: dict[str, list[str]] = {}
    for login in ROLES:
        found = reachable_pages(site, login)
        urls[login] = [url for endpoint, url in found.items() if endpoint not in taken] + EXTRA.get(login, [])
        taken.update(found)
    return urls


def _check(browse: Browse, url: str, label: str) -> list[str]:
    page = browse.page
    page.goto(f"{browse.base_url}{url}")
    page.wait_for_load_state("load")
    found = violations(page)
    slug = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"
    page.screenshot(path=str(SCREENSHOTS / f"axe-{label}-{slug}.png"))  # the first screen: cheap, and enough
    return describe(f"{label} {url}", found)


@pytest.fixture(scope="module")
def urls(world: Site) -> dict[str, list[str]]:
    """The crawl's plan, made once per module: per role, the URLs it checks."""
    found = plan(world)
    assert sum(len(u) for u in found.values()) >= 20, found  # the crawl found the site, not just a login page
    return found


@pytest.fixture(scope="module")
def world_url(world: Site) -> Iterator[str]:
    with served(world) as base_url:
        yield base_url


WHO = ("anonymous", *ROLES)


def check_pages(world_url: str, urls: dict[str, list[str]], browser: Any, screen: tuple[str, str, int, int],
                who: str) -> None:
    """Every page `who` checks (the login and error pages when anonymous), on this screen, in its language."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    lang, locale, width, height = screen
    label = f"{lang}-{width}-{who}"
    problems: list[str] = []
    with Browse(browser, world_url, f"axe-{lang}{'' if who == 'anonymous' else '-' + who}", width=width,
                height=height, locale=locale) as browse:
        if who == "anonymous":
            pages = ["/login", "/no-such-page"]
        else:
            browse.login(who)
            browse.language(lang)
            pages = urls[who]
        for url in pages:
            problems += _check(browse, url, label)
        assert browse.page.locator("html").get_attribute("lang") == lang
    assert not problems, (f"{len(problems)} serious or critical violations on {len(pages)} pages:\n"
                          + "\n".join(problems))


# One test per screen and role, so the two `make test` workers share the crawl.
class TestInEnglishOnALaptop:
    @pytest.mark.parametrize("who", WHO)
    def test_every_page_has_no_serious_accessibility_violation(
            self, world_url: str, urls: dict[str, list[str]], browser: Any, who: str) -> None:
        check_pages(world_url, urls, browser, SCREENS[0], who)


class TestInDutchOnAPhone:
    @pytest.mark.parametrize("who", WHO)
    def test_every_page_has_no_serious_accessibility_violation(
            self, world_url: str, urls: dict[str, list[str]], browser: Any, who: str) -> None:
        check_pages(world_url, urls, browser, SCREENS[1], who)
