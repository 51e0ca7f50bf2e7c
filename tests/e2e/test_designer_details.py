"""The designer's smaller promises in the browser: Dutch panel labels, the new-model form (key pattern, a
refused key kept, save as from a template), the unsaved-changes prompt, and the DMN cell and the form field marked at deploy."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.auth.models import Environment
from server.instances import service as instances
from tests.e2e.conftest import Browse
from tests.e2e.modeler import click_element, deploy, open_group
from tests.e2e.site import Site


def _editor(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#editor[data-ready='true']")


def test_the_dutch_ui_labels_the_properties_panel_in_dutch(browse: Browse) -> None:
    page = browse.login("designer")
    page.get_by_role("button", name="NL", exact=True).click()
    try:
        _editor(page, f"{browse.base_url}/designer/purchase_invoice/edit/bpmn/web_invoice.bpmn")
        task = page.evaluate("window.stroomModeler.get('elementRegistry').filter(e => e.type === 'bpmn:UserTask')[0].id")
        click_element(page, task)
        headers = " ".join(page.locator("#properties .bio-properties-panel-group-header").all_inner_texts())
        assert "Algemeen" in headers and "Toewijzing" in headers and "General" not in headers, headers
        open_group(page, "Toewijzing")
        assert page.get_by_label("Kandidaatgroepen").is_visible()
        open_group(page, "Stroom")
        assert page.get_by_label("Kandidaatrollen").is_visible()
        assert page.get_by_label("Herinneren na (ISO 8601-duur)").is_visible()
    finally:  # the choice is the user's, kept for their next login
        page.get_by_role("button", name="EN", exact=True).click()


def test_new_model_form_checks_the_key_keeps_a_refused_one_and_saves_a_template_as_new(browse: Browse,
                                                                                    site: Site) -> None:
    page = browse.login("designer")
    page.goto(f"{browse.base_url}/designer")
    key = page.get_by_label("Key (letters, digits, - and _)")
    key.fill("1-bad")
    assert key.evaluate("e => e.validity.patternMismatch") is True  # the browser checks (v-flag valid)
    key.fill("good-key_2")
    assert key.evaluate("e => e.validity.valid") is True
    assert not [e for e in browse.errors if "pattern" in e.lower()], browse.errors

    key.fill("purchase_invoice")  # taken: the server refuses and the form keeps what was typed
    page.get_by_label("Name", exact=True).fill("My copy")
    page.get_by_role("button", name="Create").click()
    page.get_by_role("alert").wait_for()
    assert "exists already" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Key (letters, digits, - and _)").input_value() == "purchase_invoice"
    assert page.get_by_label("Name", exact=True).input_value() == "My copy"

    page.locator("button[data-template='expense_declaration']").click()
    assert page.evaluate("document.activeElement.id") == "new-key"
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("my_expenses")
    page.get_by_role("button", name="Create").click()
    page.get_by_role("link", name="Open in the modeler").click()
    page.wait_for_selector("#editor[data-ready='true']")
    assert page.get_attribute("#editor", "data-import-warnings") == "0"
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        version = instances.latest_version(session, env_id, "my_expenses")
        assert version is not None and version.version == 1
        assert version.process_id == "my_expenses" and version.name == "My copy"
        assert list(version.bpmn_sources) == ["my_expenses.bpmn"] and version.form_sources


def test_leaving_an_editor_with_unsaved_changes_asks_first(browse: Browse) -> None:
    page = browse.login("designer")
    _editor(page, f"{browse.base_url}/designer/purchase_invoice/edit/bpmn/web_invoice.bpmn")
    page.get_by_role("link", name="← purchase_invoice").click()  # nothing changed: no question
    page.wait_for_url("**/designer/purchase_invoice")
    _editor(page, f"{browse.base_url}/designer/purchase_invoice/edit/bpmn/web_invoice.bpmn")
    task = page.evaluate("window.stroomModeler.get('elementRegistry').filter(e => e.type === 'bpmn:UserTask')[0].id")
    click_element(page, task)
    open_group(page, "General")
    field = page.get_by_label("Name", exact=True)
    field.fill("Renamed")
    field.press("Tab")
    asked: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("link", name="← purchase_invoice").click()
    assert asked and "not deployed" in asked[0]
    assert "/edit/" in page.url  # stayed
    page.once("dialog", lambda d: answer(d, True))
    page.get_by_role("link", name="← purchase_invoice").click()
    page.wait_for_url("**/designer/purchase_invoice")
    assert len(asked) == 2


def test_a_dmn_error_marks_its_cell_with_the_message(browse: Browse) -> None:
    page = browse.login("designer")
    _editor(page, f"{browse.base_url}/designer/purchase_invoice/edit/dmn/invoice_approval.dmn")
    rule, column = page.evaluate("""() => { const t = window.stroomDmn.getActiveView().element.decisionLogic;
        return [t.rule[1].id, t.input[0].id]; }""")
    cell = page.locator(f"td[data-row-id='{rule}'][data-col-id='{column}']")
    cell.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("> 1000 andd")
    page.locator("h1").click()
    assert page.locator("#unsaved").is_visible()
    deploy(page)
    note = page.locator(".dmn-error-note")
    note.wait_for()
    assert note.get_attribute("data-rule") == "2" and "andd" in note.inner_text()
    outline = cell.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"
    assert page.locator("#errors li").inner_text().startswith("model refused")


def test_a_form_error_marks_its_field_with_the_message(browse: Browse) -> None:
    page = browse.login("designer")
    _editor(page, f"{browse.base_url}/designer/purchase_invoice/edit/form/web_approval.form")
    field_id = page.evaluate(
        "window.stroomFormEditor.get('formFieldRegistry').getAll().find(f => f.key === 'comment').id")
    field = page.locator(f"#editor .fjs-element[data-id='{field_id}']")
    field.click()  # the comment field, on the canvas
    header = page.locator(".fjs-properties-container .bio-properties-panel-group-header", has_text="Condition")
    if "open" not in (header.get_attribute("class") or "").split():
        header.click()
    condition = page.locator("[data-entry-id='conditional-hide'] [contenteditable]")
    condition.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type('decision !=')  # the designer's typo: the comparison lost its right side
    page.locator("h1").click()
    assert page.locator("#unsaved").is_visible()
    deploy(page)
    note = page.locator(".form-error-note")
    note.wait_for()
    assert note.get_attribute("data-field") == "comment" and "decision !=" in note.inner_text()
    assert field.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    assert page.locator("#errors li").inner_text().startswith("model refused")
