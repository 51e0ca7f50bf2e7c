"""An administrator imports a few thousand suppliers on the admin page in a real browser: the file with
two bad rows is refused as a whole and the summary names both lines and why; the corrected file runs as a
background job whose progress bar moves while the worker writes it and ends with the created count; the
same file once more leaves every supplier unchanged. A Dutch administrator reads a refused file's status,
count of refused rows and each row's problems in Dutch."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.auth import service as auth
from server.auth.actor import Actor
from server.auth.models import Environment
from server.jobs.worker import Worker
from server.masterdata import bulk
from tests.e2e.conftest import Browse
from tests.e2e.site import PASSWORD, Site
from tests.e2e.test_dutch_pages import english_texts, mixed

ROWS = 3000
BAD_NAME, BAD_COUNTRY = 1201, 2702  # file lines (the header is line 1)


def suppliers_csv(*, bad: bool) -> bytes:
    lines = ["code;name;city;country"]
    for n in range(1, ROWS + 1):
        line = len(lines) + 1
        name = "" if bad and line == BAD_NAME else f"Leverancier {n} B.V."
        country = "Nederland" if bad and line == BAD_COUNTRY else "NL"
        lines.append(f"IMPSTORY-{n:05d};{name};Utrecht;{country}")
    return ("\n".join(lines) + "\n").encode()


def upload(page: Any, base_url: str, data: bytes, *, queued: str = "queued") -> None:
    page.goto(f"{base_url}/admin/masterdata")
    page.locator("#m-kind").select_option("suppliers")
    page.locator("#m-file").set_input_files(files=[{"name": "suppliers.csv", "mimeType": "text/csv", "buffer": data}])
    page.locator("form button[type=submit].primary").click()
    page.wait_for_url(lambda url: "/admin/masterdata/imports/" in url)
    assert page.locator("#md-status").inner_text() == queued
    assert page.locator("#md-progress").get_attribute("value") == "0"


def refused_rows(page: Any) -> list[tuple[str, list[str]]]:
    """Each refused row as the page lists it: its line number and its problems' texts."""
    rows = page.locator(".errors-list > li")
    return [(row.get_attribute("data-line"), row.locator("li").all_inner_texts()) for row in rows.all()]


def summary(page: Any) -> list[str]:
    return [page.locator(f"#md-{name}").inner_text() for name in ("created", "updated", "unchanged", "refused")]


def test_an_admin_imports_suppliers_sees_the_progress_and_reads_the_summary(browse: Browse, site: Site,
                                                                           base_url: str) -> None:
    page: Any = browse.login("admin")
    seen: list[str] = []

    def watch(done: int, total: int) -> None:  # after each committed chunk: the polling page shows it
        if done < total and not seen:
            page.locator("#md-done", has_text="1,000").wait_for()
            seen.append(page.locator("#md-progress").get_attribute("value"))
            browse.shot("running")

    worker = Worker(site.host, name="e2e-import")
    worker.handlers = {"masterdata_import": lambda ctx: bulk.run(
        ctx.host.db, int(ctx.job.payload["import_id"]), progress=watch)}  # type: ignore[misc]

    upload(page, base_url, suppliers_csv(bad=True))
    assert page.locator("#md-total").inner_text() == "3,000"
    assert worker.run_once() == 1
    page.locator("#md-status", has_text="refused").wait_for()
    assert summary(page) == ["0", "0", "0", "2"]
    assert page.get_by_role("heading", name="Nothing was imported; fix these rows:").is_visible()
    assert refused_rows(page) == [(str(BAD_NAME), ["name is required"]),
                                  (str(BAD_COUNTRY), ["country must be a two-letter ISO 3166 code"])]
    assert page.locator(f".errors-list > li[data-line='{BAD_NAME}']").inner_text().startswith(f"line {BAD_NAME}")
    browse.shot("refused")

    upload(page, base_url, suppliers_csv(bad=False))
    assert worker.run_once() == 1
    assert seen == ["1000"]  # the bar had moved part-way while the worker was still writing
    page.locator("#md-status", has_text="done").wait_for()
    assert page.locator("#md-progress").get_attribute("value") == str(ROWS)
    assert summary(page) == ["3,000", "0", "0", "0"]
    assert page.locator(".errors-list").count() == 0
    browse.shot("done")

    upload(page, base_url, suppliers_csv(bad=False))
    assert worker.run_once() == 1
    page.locator("#md-status", has_text="done").wait_for()
    assert summary(page) == ["0", "0", "3,000", "0"]
    assert not browse.errors, browse.errors



def dutch_admin(site: Site) -> str:
    """An administrator whose pages are in Dutch (a new account: the shared site's admin stays English)."""
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        auth.create_user(session, env_id, "beheerder", actor=Actor.system(env_id), roles=("admin",),
                         email="beheerder@example.com", language="nl", password=PASSWORD)
    return "beheerder"


def test_a_dutch_admin_reads_a_refused_import_in_dutch(browse: Browse, site: Site, base_url: str) -> None:
    page: Any = browse.login(dutch_admin(site))
    assert page.locator("html").get_attribute("lang") == "nl"
    # Line 3 has two problems (no name, a country name instead of its code): one refused row, two reasons.
    data = b"code;name;country;email\nNL-1;Bakker;NL;\nNL-2;;Nederland;\nNL-1;Visser;NL;\nNL-3;De Vries;NL;geen-mail\n"
    upload(page, base_url, data, queued="in de wachtrij")
    assert Worker(site.host, name="e2e-import-nl").run_once() == 1
    page.locator("#md-status", has_text="geweigerd").wait_for()
    page.locator("#md-refused").wait_for()
    assert summary(page) == ["0", "0", "0", "3"]
    assert page.get_by_role("heading", name="Er is niets geïmporteerd; herstel deze regels:").is_visible()
    assert refused_rows(page) == [
        ("3", ["name is verplicht", "country moet een ISO 3166-landcode van twee letters zijn"]),
        ("4", ["code herhaalt NL-1 van regel 2"]), ("5", ["email is geen e-mailadres"])]
    assert page.locator(".errors-list > li[data-line='3']").inner_text().startswith("regel 3")
    browse.shot("refused-nl")
    assert mixed(page, english_texts()) == []
    assert not browse.errors, browse.errors
