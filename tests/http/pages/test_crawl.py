"""As each role, follow every link reachable from the navigation: no page answers 500."""
from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from server.auth.actor import Actor
from server.invoices import service as invoices
from tests.e2e.site import ROLES, Site

HREF = re.compile(r'href="([^"#]+)"')
SKIP = ("/logout", "/assets/", "/vendor/")
MAX_PAGES = 400


@pytest.fixture(scope="module", autouse=True)
def some_work(site: Site) -> None:
    """An uploaded invoice, so tasks, instances, inbox rows and audit entries exist."""
    from server.demo_data import demo_invoice_paths

    paths = {p.name: p for p in demo_invoice_paths()}
    with site.host.db.unit_of_work() as session:
        from sqlalchemy import select

        from server.auth.models import User
        user = session.scalars(select(User).where(User.login == "admin")).one()
        env_id = user.environment_id
    for name in ("unknown_bank_account.xml", "matching_difference.xml"):
        invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=paths[name].read_bytes(),
                        filename=name, source="web")


def crawl(site: Site, login: str) -> dict[str, int]:
    client = site.client(login)
    seen: dict[str, int] = {}
    queue = deque(["/"])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code in (301, 302):
            queue.append(response.headers["Location"])
            continue
        if "text/html" not in response.content_type:
            continue
        for href in HREF.findall(response.text):
            target = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc or target.startswith(SKIP) or "download=1" in target:
                continue
            queue.append(target)
    return seen


@pytest.mark.parametrize("role", sorted(ROLES))
def test_no_page_reachable_from_the_navigation_fails(site: Site, role: str) -> None:
    seen = crawl(site, ROLES[role])
    failures = {url: status for url, status in seen.items() if status >= 500}
    assert not failures, failures
    assert len(seen) > 5
    assert any(url.startswith("/tasks/") for url in seen) or role == "designer"
