"""A Dutch user's pages in a real browser: no page mixes languages. Every visible text that equals an
English text with a different Dutch translation (a page catalogue msgid, or a text of a shipped model's
catalogue) fails the test, naming the page and the text."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.demo_data import demo_invoice_paths
from server.instances import service as instances
from server.instances.shipped import shipped_models
from server.invoices import service as invoices
from server.tasks.models import HumanTask
from tests.e2e.conftest import Browse, browsing, served
from tests.e2e.site import ROOT, Site, build_site
from tests.support.reasons import is_english_reason

# Texts that read the same in both languages on these pages (names, codes, the product), and accounts'
# logins that are also role words ("system" started the instance).
SAME = {"Stroom", "NL", "EN", "IBAN", "E-mail", "Status", "Details", "Admin", "Inbox", "Designer", "Model",
        "Versie", "Document", "system", "designer", "user", "auditor"}
VISIBLE_TEXTS = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement, text = node.textContent.trim();
    if (!text || !el || el.closest('script, style, pre, code, textarea, [data-testid="instance-data"]')) continue;
    if (el.checkVisibility && !el.checkVisibility()) continue;
    found.push(text);
  }
  for (const el of document.querySelectorAll('[placeholder], option')) {
    found.push((el.getAttribute('placeholder') || el.textContent || '').trim());
  }
  return found;
}"""


def english_texts() -> set[str]:
    """English texts that have another Dutch translation: page msgids and shipped model catalogue keys."""
    with (ROOT / "web" / "translations" / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    found = {m.id for m in catalog if isinstance(m.id, str) and m.id and m.string and m.string != m.id}
    for path in ROOT.glob("**/*.translations.json"):
        if ".venv" in path.parts or "node_modules" in path.parts:
            continue
        found |= {en for en, nl in json.loads(path.read_text("utf-8")).get("nl", {}).items() if nl != en}
    return {text.strip() for text in found if "%(" not in text} - SAME


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site running the shipped purchase_invoice model with a task for the creditors."""
    built = build_site(Path(tmp_path_factory.mktemp("dutch")))
    model = next(m for m in shipped_models() if m.key == "purchase_invoice")
    with built.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        instances.deploy(session, built.host, actor=Actor.system(env_id, "tests"), key=model.key, bpmn=model.bpmn,
                         dmn=model.dmn, forms=model.forms)
    yield built
    built.host.db.dispose()


def creditors_task(site: Site) -> HumanTask:
    sample = next(p for p in demo_invoice_paths() if p.name == "preferred_bank_differs.xml")
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=sample.read_bytes(),
                             source="web")
    assert result.instance_id is not None, result
    with site.host.db.unit_of_work() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == result.instance_id)).one()
        session.expunge(task)
        return task


def mixed(page: Any, english: set[str]) -> list[str]:
    """Visible texts that are English: a known English text, or a matching reason as the matcher writes it."""
    shown = page.evaluate(VISIBLE_TEXTS)
    reasons = {part for text in shown for part in text.split("; ") if is_english_reason(part)}
    return sorted({text for text in shown if text in english} | reasons)


def in_dutch(browse: Browse, login: str) -> Any:
    page = browse.login(login)
    page.locator("button[name=lang][value=nl]").click()
    page.wait_for_load_state()
    return page


def test_a_dutch_user_reads_every_page_in_dutch(browser: Any, site: Site, request: pytest.FixtureRequest) -> None:
    english = english_texts()
    assert {"Approve invoice", "Field checks", "Tasks"} <= english  # the check knows what to look for
    task = creditors_task(site)
    problems: dict[str, list[str]] = {}
    with served(site) as base_url, browsing(browser, base_url, request) as browse:
        page = in_dutch(browse, "admin")
        pages = {"task list": "/tasks", "task page": f"/tasks/{task.id}",
                 "instance page": f"/instances/{task.instance_id}", "instance list": "/instances", "inbox": "/inbox",
                 "models": "/designer", "model": "/designer/purchase_invoice",
                 "decision test": "/designer/purchase_invoice/test/invoice_approval.dmn"}
        for name, path in pages.items():
            page.goto(base_url + path)
            page.wait_for_load_state("networkidle")
            if name == "instance page":
                page.locator("#diagram svg text", has_text="Factuur goedkeuren").first.wait_for()
            found = mixed(page, english)
            if found:
                problems[name] = found
        page.goto(f"{base_url}/tasks/{task.id}")
        body = page.locator("body").inner_text()
        assert "Factuur goedkeuren" in body and "Controles van de velden" in body
        findings = page.get_by_test_id("findings").inner_text()  # the matching reasons, by their codes
        assert "Leverancier S002 gevonden op id, bankrekening, naam, adres" in findings
        assert "De bankrekening op de factuur is niet de voorkeursrekening van leverancier S002" in findings
        assert "Goedkeuren" in body and "Afkeuren" in body
        findings = page.locator("[data-testid=findings]").inner_text()
        assert "voorkeursrekening" in findings  # the matching findings are there, in Dutch
        page.goto(f"{base_url}/tasks")
        assert "Factuur goedkeuren" in page.locator("body").inner_text()
        page.goto(f"{base_url}/instances")
        processes = page.locator("td[data-label=Proces]").all_inner_texts()
        assert "Inkoopfactuur" in processes and "purchase_invoice" not in processes
    assert problems == {}
