"""The auditor's day in a real browser: filter the audit log, export what the filter shows, and verify the
chain from the page; the page's count is the one the API and `stroom audit verify` report."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from server.cli import build
from tests.e2e.conftest import Browse
from tests.e2e.site import Site


def _cli_verify(site: Site, monkeypatch: Any) -> dict[str, Any]:
    monkeypatch.setenv("STROOM_DATABASE_URL", site.settings.database_url)
    monkeypatch.setenv("STROOM_INSTANCE_DIR", str(site.settings.instance_dir))
    monkeypatch.setenv("STROOM_SECRET_KEY", site.settings.secret_key)
    result = CliRunner().invoke(build(), ["audit", "verify", "--environment", "default"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_an_auditor_filters_exports_and_verifies_the_chain(browse: Browse, site: Site, monkeypatch: Any) -> None:
    page = browse.login("audrey")
    page.get_by_role("link", name="Audit log").click()

    # Filter: only the user accounts that were created.
    page.get_by_label("Action").select_option("user.created")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(lambda url: "action=user.created" in url)
    actions = page.locator("tbody td[data-label='Action']").all_inner_texts()
    assert actions and set(actions) == {"user.created"}

    # Export what the filter shows: the same entries, nothing else.
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    download: Any = info.value
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert len(rows) == len(actions) and {r["action"] for r in rows} == {"user.created"}

    # Verify the chain from the page.
    page.get_by_test_id("verify-chain").click()
    result = page.get_by_test_id("verify-result")
    result.wait_for()
    text = result.inner_text()
    assert "The hash chain is intact." in text
    checked = int(text.split("entries checked")[0].split()[-1])
    assert checked > 0

    # The same verb behind the API and the command line: the same count (nothing was written meanwhile).
    api = page.request.get(f"{browse.base_url}/api/v1/audit/verify").json()
    assert api["ok"] is True and api["checked"] == checked
    cli = _cli_verify(site, monkeypatch)
    assert cli["ok"] is True and cli["checked"] == checked
    assert browse.errors == []
