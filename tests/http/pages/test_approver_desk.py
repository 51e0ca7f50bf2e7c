"""The approver's desk through the pages: the task list names the invoice, its currency, how late it is and who
holds it; the task and instance pages speak in words to business users (English and Dutch), not in codes."""
from __future__ import annotations

import itertools
import re

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from server.auth.actor import Actor
from server.auth.models import Environment
from server.demo_data import demo_invoice_paths
from server.invoices import service as invoices
from server.tasks.models import HumanTask
from tests.e2e.site import Site, csrf

SAMPLES = {p.name: p for p in demo_invoice_paths()}
_NUMBERS = itertools.count(1)


def invoice_task(site: Site, *, currency: str = "EUR", sample: str = "preferred_bank_differs.xml") -> tuple[int, str]:
    """An approval task for the creditors (carla) on a fresh copy of a demo invoice; (task id, invoice number)."""
    xml = SAMPLES[sample].read_text("utf-8")
    number = xml.split("<cbc:ID>", 1)[1].split("</cbc:ID>", 1)[0]
    fresh = f"{number}-{currency}-{next(_NUMBERS)}"
    xml = xml.replace(f"<cbc:ID>{number}</cbc:ID>", f"<cbc:ID>{fresh}</cbc:ID>", 1)
    xml = xml.replace('currencyID="EUR"', f'currencyID="{currency}"').replace(">EUR<", f">{currency}<")
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=xml.encode(), source="web")
    assert result.instance_id is not None, result
    with site.host.db.unit_of_work() as session:
        task_id = session.scalars(select(HumanTask.id).where(HumanTask.instance_id == result.instance_id)).one()
    return task_id, fresh


def row_of(html: str, task_id: int) -> str:
    rows = re.findall(r'<tr[^>]*data-testid="task-row">.*?</tr>', html, re.S)
    found = [r for r in rows if f'href="/tasks/{task_id}"' in r]
    assert found, f"task {task_id} not listed"
    return found[0]


def cell(row: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(td|a)>', row, re.S)
    assert found, testid
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_a_row_names_the_invoice_and_supplier_in_its_own_currency_late_and_by_group(site: Site) -> None:
    task_id, number = invoice_task(site, currency="NOK")
    html = site.client("carla").get("/tasks?state=all").text
    row = row_of(html, task_id)
    label = cell(row, "task-label")
    assert label.startswith(number) and " · " in label, label  # "number · supplier"
    assert f"#{task_id}" not in label  # the invoice, not the task's id, names the row
    assert cell(row, "task-amount").startswith("NOK "), cell(row, "task-amount")
    assert "EUR" not in cell(row, "task-amount")
    assert 'class="overdue"' in row  # the demo invoices fell due in April 2026
    assert re.search(r"overdue by \d+ days?", cell(row, "task-due")), cell(row, "task-due")
    assert cell(row, "task-assignee") == "nobody yet"
    assert cell(row, "task-group") == "creditors"


def test_the_list_reads_a_page_of_many_rows_with_as_many_queries_as_a_page_of_one(site: Site) -> None:
    claimed, _ = invoice_task(site)
    for _ in range(3):
        invoice_task(site)
    client = site.client("carla")
    page = client.get(f"/tasks/{claimed}").text
    assert client.post(f"/tasks/{claimed}/claim", data={"csrf_token": csrf(page)}).status_code == 302
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    def queries_for(url: str) -> tuple[int, str]:
        statements.clear()
        html = client.get(url).text
        return len(statements), html

    # Every engine: a GET reads through SQLite's read-only engine, which the writer's engine never sees.
    event.listen(Engine, "before_cursor_execute", count)
    try:
        one, one_html = queries_for("/tasks?mine=1")
        many, many_html = queries_for("/tasks?state=all")
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert one_html.count('data-testid="task-row"') == 1
    assert many_html.count('data-testid="task-row"') >= 4
    assert one > 0 and many == one, (one, many)  # no query per row (N+1)


def test_the_task_page_speaks_in_words_not_codes(site: Site) -> None:
    task_id, _ = invoice_task(site)
    html = site.client("carla").get(f"/tasks/{task_id}").text
    assert "Days until due" not in html
    assert re.search(r"overdue by \d+ days", html)
    assert "['" not in html and "= None" not in html and " = " not in html.split("<main", 1)[1]
    decision = " ".join(re.sub(r"<[^>]+>", " ", html.split('data-testid="decision">', 1)[1].split("</div>", 1)[0]).split())
    assert "Obligation status: no purchase order" in decision  # a status code in words, not 0
    assert "Route to: creditors" in decision and "Reason: " in decision


def test_the_instance_page_shows_a_business_user_words_and_an_admin_the_data(site: Site) -> None:
    task_id, number = invoice_task(site)
    with site.host.db.unit_of_work() as session:
        instance_id = session.get(HumanTask, task_id).instance_id  # type: ignore[union-attr]
    html = site.client("carla").get(f"/instances/{instance_id}").text
    assert 'data-testid="instance-data"' not in html and '"invoice_id":' not in html
    assert number in html  # the invoice in words instead
    assert "engine.element_completed" not in html and "Step completed" in html
    assert "task.created" not in html and "Task created" in html
    admin = site.client("admin").get(f"/instances/{instance_id}").text
    assert 'data-testid="instance-data"' in admin and "<details>" in admin


def test_a_refusal_says_what_is_not_allowed_in_words(site: Site) -> None:
    response = site.client("carla").get("/admin/users")
    assert response.status_code == 403
    assert "users.manage" not in response.text and "users.read" not in response.text
    assert "You need the administrator role to manage users." in response.text


def test_in_dutch_the_desk_speaks_dutch(site: Site) -> None:
    task_id, _ = invoice_task(site)
    client = site.client("carla")
    page = client.get("/tasks")
    client.post("/language", data={"lang": "nl", "csrf_token": csrf(page.text), "next": "/tasks"})
    listing = client.get("/tasks?state=all").text
    assert re.search(r"\d+ dagen te laat", row_of(listing, task_id)), row_of(listing, task_id)
    assert cell(row_of(listing, task_id), "task-assignee") == "nog niemand"
    html = client.get(f"/tasks/{task_id}").text
    assert re.search(r"\d+ dagen te laat", html)
    refusal = client.get("/admin/users").text
    assert "Hiervoor heeft u de rol beheerder nodig: gebruikers beheren." in refusal and "users.manage" not in refusal
