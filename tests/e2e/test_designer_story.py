"""A process designer builds an approval step from a blank process with mouse and keyboard only, deploys it
(a typo first), starts an instance and sees it wait at the new step; then compares the versions."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.tasks.models import HumanTask
from tests.e2e.conftest import Browse
from tests.e2e.modeler import click_element, deploy, open_group
from tests.e2e.site import Site

KEY = "story_approval"
GROUP = "controllers_north"
TYPO = "amount = null orr amount > 1000"
CONDITION = "amount = null or amount > 1000"


def _ids(page: Any, kind: str) -> list[str]:
    """Ids of the diagram's elements of a BPMN type, in creation order (to aim the mouse at them)."""
    return list(page.evaluate("(t) => window.stroomModeler.get('elementRegistry')"
                              ".filter(e => e.type === t && !e.labelTarget).map(e => e.id)", kind))


def _selected(page: Any) -> str:
    return str(page.evaluate("window.stroomModeler.get('selection').get()[0].id"))


def _context(page: Any, action: str) -> None:
    """Press an entry of the selected element's context pad (append, replace)."""
    page.locator(f".djs-context-pad [data-action='{action}']").click()


def _replace(page: Any, entry: str) -> None:
    _context(page, "replace")
    page.locator(f".djs-popup [data-id='{entry}']").click()


def _center(page: Any, element_id: str) -> dict[str, float]:
    box = page.locator(f".djs-element[data-element-id='{element_id}'] .djs-hit").first.bounding_box()
    assert box
    return {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2, "bottom": box["y"] + box["height"]}


def _type_in(page: Any, label: str, text: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)
    page.keyboard.press("Tab")


def _create_blank(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/designer")
    page.get_by_label("Key (letters, digits, - and _)").click()
    page.keyboard.type(KEY)
    page.keyboard.press("Tab")
    page.keyboard.type("Approval story")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Open in the modeler").click()
    page.wait_for_selector("#editor[data-ready='true']")


def _draw_the_approval_step(page: Any) -> str:
    """start -> gateway -> user task (condition) -> end, gateway -> end; the user task's id."""
    [end] = _ids(page, "bpmn:EndEvent")
    click_element(page, end)
    page.keyboard.press("Delete")
    [start] = _ids(page, "bpmn:StartEvent")
    click_element(page, start)
    open_group(page, "General")
    _type_in(page, "Name", "Request in")
    _context(page, "append.gateway")
    gateway = _selected(page)
    _context(page, "append.append-task")
    page.keyboard.type("Approve by controllers")
    page.keyboard.press("Enter")  # ends the label editor; the new task stays selected
    _replace(page, "replace-with-user-task")
    task = _selected(page)
    _context(page, "append.end-event")
    click_element(page, gateway)
    _context(page, "append.end-event")
    other = page.evaluate("(id) => window.stroomModeler.get('elementRegistry').get(id).incoming[0].id", _selected(page))
    click_element(page, other)
    _replace(page, "replace-with-default-flow")  # the way on when the condition is false
    return task


def _attach_reminder_with_mail(page: Any, task: str) -> None:
    """A non-interrupting timer on the task (dragged from the palette) that sends the reminder mail."""
    palette = page.locator(".djs-palette [data-action='create.intermediate-event']").bounding_box()
    assert palette
    target = _center(page, task)
    page.mouse.move(palette["x"] + palette["width"] / 2, palette["y"] + palette["height"] / 2)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(target["x"] * step / 10 + palette["x"] * (10 - step) / 10,
                        target["bottom"] * step / 10 + palette["y"] * (10 - step) / 10)
    page.mouse.up()
    [boundary] = _ids(page, "bpmn:BoundaryEvent")
    click_element(page, boundary)
    _replace(page, "replace-with-non-interrupting-timer-boundary")
    boundary = _selected(page)
    open_group(page, "Timer")
    page.get_by_label("Type", exact=True).select_option(label="Duration")
    page.get_by_label("Value", exact=True).click()
    page.keyboard.type("P2D")
    page.keyboard.press("Tab")
    click_element(page, boundary)
    _context(page, "append.append-task")
    page.keyboard.type("Remind the controllers")
    page.keyboard.press("Enter")
    _replace(page, "replace-with-service-task")
    open_group(page, "Template")
    page.locator("#properties .bio-properties-panel-group-header", has_text="Template").get_by_role("button").click()
    page.get_by_role("combobox", name="Choose element template").fill("Send mail")
    page.locator(".djs-popup li", has_text="Send mail").click()
    open_group(page, "Custom properties")
    page.get_by_label("Template", exact=True).last.select_option(label="reminder")
    _type_in(page, "To", f'"group:{GROUP}"')
    _context(page, "append.end-event")


def test_a_designer_adds_an_approval_step_deploys_and_an_instance_arrives(browse: Browse, site: Site) -> None:
    page = browse.login("designer")
    _create_blank(page, browse.base_url)
    task = _draw_the_approval_step(page)
    click_element(page, task)
    open_group(page, "User assignment")
    _type_in(page, "Candidate groups", GROUP)
    _attach_reminder_with_mail(page, task)

    flow = page.evaluate("(id) => window.stroomModeler.get('elementRegistry').get(id).incoming[0].id", task)
    gateway = page.evaluate("(id) => window.stroomModeler.get('elementRegistry').get(id).source.id", flow)
    click_element(page, flow)
    open_group(page, "Condition")
    page.get_by_label("Type", exact=True).select_option(label="Expression")
    page.get_by_label("Condition Expression").click()
    page.keyboard.type(TYPO)
    lint = page.locator("[data-entry-id='conditionExpression'] .bio-properties-panel-error")
    assert "Unrecognized token" in lint.inner_text()  # feel-lint, while typing
    assert page.locator("#unsaved").is_visible()

    deploy(page)  # refused: the server names the flow; the designer sees it on the gateway and the flow
    overlay = page.locator(f".deploy-error-overlay[data-element='{flow}']")
    overlay.wait_for()
    assert "orr" in overlay.inner_text()
    for marked in (flow, gateway):
        classes = page.locator(f".djs-element[data-element-id='{marked}']").get_attribute("class") or ""
        assert "error-marker" in classes, marked
    assert _selected(page) == flow
    box, palette = overlay.bounding_box(), page.locator(".djs-palette").bounding_box()
    assert box and palette and box["x"] >= palette["x"] + palette["width"]  # clear of the palette

    page.get_by_label("Condition Expression").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(CONDITION)
    page.keyboard.press("Tab")
    assert lint.count() == 0
    assert deploy(page) == "Deployed as version 2.", page.locator("#errors").inner_text()
    assert not page.locator("#unsaved").is_visible()

    page.get_by_role("link", name="Inbox").click()
    page.locator("#start-model").select_option(KEY)
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/instances/*")
    assert "Approve by controllers" in page.locator("main").inner_text()
    with site.host.db.unit_of_work() as session:
        open_task = session.scalars(select(HumanTask).where(HumanTask.element_id == task,
                                                            HumanTask.status == "open")).one()
        assert GROUP in (open_task.candidate_groups or [])

    page.goto(f"{browse.base_url}/designer/{KEY}/compare?a=1&b=2")
    compare = page.locator(".bpmn-compare[data-ready='true']")
    compare.wait_for()
    assert task in (compare.get_attribute("data-added") or "").split()
    added = page.locator(f".compare-new .djs-element[data-element-id='{task}']")
    assert "diff-added" in (added.get_attribute("class") or "")
    changed = (compare.get_attribute("data-changed") or "").split()
    assert "start" in changed, changed  # renamed
    for element in changed:
        marked = page.locator(f".compare-new .djs-element[data-element-id='{element}']")
        if marked.count():
            assert "diff-changed" in (marked.get_attribute("class") or "")
    assert "Approve by controllers" in (page.locator("details .diff").text_content() or "")  # the text diff beside
    unexpected = [e for e in browse.errors if "422" not in e]  # the refused deploy's answer is expected
    assert not unexpected, unexpected
