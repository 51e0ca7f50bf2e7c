"""The auditor's day in a real browser: filter the audit log (actions in words), export what the filter
shows, read a change as field: old -> new, find nothing with a helpful reset, and verify the chain from the
page; the page's count is the one the API and `stroom audit verify` report. An admin on a phone, in Dutch,
reads the same log as cards that do not overlap, with the raw JSON behind Details."""
from __future__ import annotations

import csv
import io
import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server.auth import service as auth
from server.auth.models import User
from server.cli import build
from server.operations import task_filters
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Browse, browsing
from tests.e2e.site import Site

VERDICT = re.compile(r"(\d+) entries checked up to sequence (\d+), at [0-9-]+ [0-9:]+ UTC: the chain is intact\.")


def _cli_verify(site: Site, monkeypatch: Any) -> dict[str, Any]:
    monkeypatch.setenv("STROOM_DATABASE_URL", site.settings.database_url)
    monkeypatch.setenv("STROOM_INSTANCE_DIR", str(site.settings.instance_dir))
    monkeypatch.setenv("STROOM_SECRET_KEY", site.settings.secret_key)
    result = CliRunner().invoke(build(), ["audit", "verify", "--environment", "default"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def _renamed_filter(site: Site) -> None:
    """An entry with a before and an after: Carla renames a saved filter to a name with markup in it."""
    with site.host.db.unit_of_work() as session:
        carla = auth.actor_for(session, session.scalars(select(User).where(User.login == "carla")).one())
        saved = task_filters.save_filter(session, actor=carla, name="Big ones", filters={"amount_min": "5000"},
                                         edge="web")
        task_filters.rename_filter(session, actor=carla, filter_id=saved.id, name="Big <b>ones</b> & more",
                                   edge="web")


def test_an_auditor_filters_exports_and_verifies_the_chain(browse: Browse, site: Site, monkeypatch: Any) -> None:
    _renamed_filter(site)
    page = browse.login("audrey")
    page.get_by_role("link", name="Audit log").click()

    # Filter: only the user accounts that were created; the actions read as words with their subject.
    page.get_by_label("Action").select_option("user.created")
    page.get_by_role("button", name="Filter", exact=True).click()
    page.wait_for_url(lambda url: "action=user.created" in url)
    actions = page.get_by_test_id("audit-action").all_inner_texts()
    assert actions and all(a.startswith("User created: ") for a in actions)
    assert "User created: carla" in actions
    assert page.get_by_test_id("audit-raw").count() == 0  # the raw JSON is for admins only

    # Export what the filter shows: the same entries, nothing else.
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    download: Any = info.value
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert len(rows) == len(actions) and {r["action"] for r in rows} == {"user.created"}

    # A change reads as field: old -> new, markup as written (no \u003c escapes, no JSON).
    page.goto(f"{browse.base_url}/audit?action=task_filter.renamed")
    change = page.get_by_test_id("audit-changes").first
    assert change.inner_text().startswith("Name:")
    assert change.locator("del").inner_text() == "Big ones" and change.locator("ins").inner_text() == \
        "Big <b>ones</b> & more"
    assert "\\u003c" not in page.content() and "{" not in change.inner_text()
    assert page.get_by_test_id("audit-action").first.inner_text() == "Task filter renamed: Big <b>ones</b> & more"

    # Nothing found: it says so and offers the way back.
    page.get_by_label("Who").fill("nobody-at-all")
    page.get_by_role("button", name="Filter", exact=True).click()
    empty = page.get_by_test_id("audit-empty")
    assert "No audit entries match these filters." in empty.inner_text()
    assert page.locator("table.audit").count() == 0
    assert_accessible(page, "audit empty state")
    empty.get_by_role("link", name="Reset the filters").click()
    page.get_by_test_id("audit-entry").first.wait_for()

    # Verify the chain from the page: how many, up to which sequence, when, intact.
    page.get_by_role("button", name="Verify the chain").click()
    result = page.get_by_test_id("verify-result")
    result.wait_for()
    found = VERDICT.search(result.inner_text())
    assert found, result.inner_text()
    checked, last = int(found.group(1)), int(found.group(2))
    assert checked > 0 and last >= checked
    assert_accessible(page, "audit verified")

    # The same verb behind the API and the command line: the same count (nothing was written meanwhile).
    api = page.request.get(f"{browse.base_url}/api/v1/audit/verify").json()
    assert api["ok"] is True and api["checked"] == checked
    cli = _cli_verify(site, monkeypatch)
    assert cli["ok"] is True and cli["checked"] == checked
    assert browse.errors == []


def test_an_admin_reads_the_log_on_a_phone_in_dutch(site: Site, browser: Any, base_url: str,
                                                    request: pytest.FixtureRequest) -> None:
    with browsing(browser, base_url, request, width=390, height=844, locale="nl-NL") as admin:
        page = admin.login("admin")
        admin.language("nl")
        page.goto(f"{base_url}/audit")
        assert not page.get_by_label("Wie").is_visible()  # the filters are folded away on the phone
        cards = page.get_by_test_id("audit-entry")
        boxes = [cards.nth(i).bounding_box() for i in range(min(cards.count(), 12))]
        assert len(boxes) >= 5
        for above, below in itertools.pairwise(boxes):
            assert above is not None and below is not None
            assert above["y"] + above["height"] <= below["y"] + 0.5  # stacked, not overlapping
            assert below["x"] >= 0 and below["x"] + below["width"] <= 390
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        raw = page.get_by_test_id("audit-raw").first
        assert not raw.locator("pre").is_visible()
        raw.locator("summary").click()
        assert raw.locator("pre").is_visible() and "\\u003c" not in raw.locator("pre").inner_text()
        page.get_by_role("button", name="Keten controleren").click()
        assert "de keten is intact" in page.get_by_test_id("verify-result").inner_text()
        assert_accessible(page, "audit, phone, Dutch, admin")
        admin.shot("admin-390-nl")
        admin.language("en")  # the shared site's admin reads English again in the other stories
        assert admin.errors == []

