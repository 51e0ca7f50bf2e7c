"""A process designer changes the shipped purchase flow in the properties panel only, and deploys it."""
from __future__ import annotations

from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.instances import service as instances
from server.instances.shipped import shipped_models
from tests.e2e.conftest import Browse
from tests.e2e.modeler import click_element, deploy, open_group
from tests.e2e.site import Site

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}
CONDITION = 'decision = "approve" and invoice.total > 0'


def _deploy_shipped(site: Site, key: str) -> str:
    """The shipped purchase_invoice template under its own key; its BPMN file name."""
    model = next(m for m in shipped_models() if m.key == "purchase_invoice")
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        instances.deploy(session, site.host, actor=Actor.system(env_id, "tests"), key=key, bpmn=model.bpmn,
                         dmn=model.dmn, forms=model.forms)
    [filename] = model.bpmn
    return filename


def _deployed(site: Site, key: str, filename: str) -> tuple[int, etree._Element]:
    """The number and parsed BPMN file of the model's newest version, as the server holds it."""
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        version = instances.latest_version(session, env_id, key)
        assert version is not None
        return version.version, etree.fromstring(version.bpmn_sources[filename].encode("utf-8"))


def _open(browse: Browse, key: str, filename: str) -> Any:
    page = browse.login("designer")
    page.goto(f"{browse.base_url}/designer/{key}/edit/bpmn/{filename}")
    page.wait_for_selector("#editor[data-ready='true']")
    return page


@pytest.fixture
def story_key(site: Site, request: pytest.FixtureRequest) -> tuple[str, str]:
    key = f"story_{request.node.name[5:30]}"
    return key, _deploy_shipped(site, key)


def test_a_designer_sets_a_condition_a_timer_and_a_mail_step_and_deploys(browse: Browse, site: Site,
                                                                          story_key: tuple[str, str]) -> None:
    key, filename = story_key
    page = _open(browse, key, filename)
    assert page.get_attribute("#editor", "data-templates") == "7"
    assert page.get_attribute("#editor", "data-template-errors") is None

    click_element(page, "Flow_approved")  # leaves the "Approved?" gateway
    open_group(page, "Condition")
    field = page.get_by_label("Condition Expression")
    field.fill(CONDITION)
    field.press("Tab")

    click_element(page, "escalate_after_5_days")
    open_group(page, "Timer")
    page.get_by_label("Type", exact=True).select_option(label="Duration")
    field = page.get_by_label("Value", exact=True)
    field.fill("P7D")
    field.press("Tab")

    click_element(page, "record_approved")
    open_group(page, "Template")
    page.locator("#properties .bio-properties-panel-group-header", has_text="Template").get_by_role("button").click()
    page.get_by_role("combobox", name="Choose element template").fill("Send mail")
    page.locator(".djs-popup li", has_text="Send mail").click()
    open_group(page, "Custom properties")
    page.get_by_label("Template", exact=True).last.select_option(label="reminder")
    field = page.get_by_label("To", exact=True)
    field.fill('"role:admin"')
    field.press("Tab")

    assert deploy(page) == "Deployed as version 2."
    version, root = _deployed(site, key, filename)
    assert version == 2
    flow = root.find(".//bpmn:sequenceFlow[@id='Flow_approved']/bpmn:conditionExpression", NS)
    assert flow is not None and flow.text == CONDITION
    duration = root.find(".//bpmn:boundaryEvent[@id='escalate_after_5_days']//bpmn:timeDuration", NS)
    assert duration is not None and duration.text == "P7D"
    task = root.find(".//bpmn:serviceTask[@id='record_approved']", NS)
    assert task is not None and task.get(f"{{{NS['camunda']}}}topic") == "send_mail"
    params = {p.get("name"): p.get("value") for p in task.iterfind(".//camunda:property", NS)}
    assert (params["template"], params["to"]) == ('"reminder"', '"role:admin"')
    assert not browse.errors, browse.errors


def test_an_invalid_feel_condition_is_refused_and_its_flow_marked(browse: Browse, site: Site,
                                                                 story_key: tuple[str, str]) -> None:
    key, filename = story_key
    page = _open(browse, key, filename)
    click_element(page, "Flow_contact_known")
    open_group(page, "Condition")
    field = page.get_by_label("Condition Expression")
    field.fill('invoice.contact_email != = ""')
    field.press("Tab")
    deploy(page)
    overlay = page.locator(".deploy-error-overlay[data-element='Flow_contact_known']")
    overlay.wait_for()
    assert "condition" in overlay.inner_text()
    assert "error-marker" in (page.locator(".djs-element[data-element-id='Flow_contact_known']").get_attribute("class") or "")
    assert page.evaluate("window.stroomModeler.get('selection').get().map(e => e.id)") == ["Flow_contact_known"]
    assert _deployed(site, key, filename)[0] == 1  # nothing was deployed


def test_stroom_settings_are_written_where_the_engine_reads_them(browse: Browse, site: Site,
                                                                story_key: tuple[str, str]) -> None:
    key, filename = story_key
    page = _open(browse, key, filename)
    click_element(page, "escalated_approval")
    open_group(page, "Stroom")
    assert page.get_by_label("Candidate roles").input_value() == "admin"  # as shipped
    for label, value in (("Four eyes: not the people in", "initiator"), ("Remind after (ISO 8601 duration)", "P1D"),
                         ("Due margin (days)", "3")):
        field = page.get_by_label(label)
        field.fill(value)
        field.press("Tab")
    page.get_by_label("Notify").select_option("assigned")
    field = page.get_by_label("Remind after (ISO 8601 duration)")
    field.fill("two days")
    field.press("Tab")
    page.locator("[data-entry-id='stroom-remind'] .bio-properties-panel-error").wait_for()
    xml = page.evaluate("window.stroomModeler.saveXML().then(r => r.xml)")
    assert "two days" not in xml and 'name="remind" value="P1D"' in xml
    field.fill("P1D")
    field.press("Tab")
    assert deploy(page) == "Deployed as version 2."
    _version, root = _deployed(site, key, filename)
    task = root.find(".//bpmn:userTask[@id='escalated_approval']", NS)
    assert task is not None
    params = {p.get("name"): p.get("value") for p in task.iterfind(".//camunda:property", NS)}
    assert params == {"fourEyes": "initiator", "remind": "P1D", "dueMarginDays": "3", "notify": "assigned",
                      "candidateRoles": "admin"}


def test_deploying_an_unchanged_shipped_model_creates_no_version(browse: Browse, site: Site,
                                                                 story_key: tuple[str, str]) -> None:
    key, filename = story_key
    page = _open(browse, key, filename)
    saved = page.evaluate("window.stroomModeler.saveXML({format: true}).then(r => r.xml)")
    shipped = next(m for m in shipped_models() if m.key == "purchase_invoice").bpmn[filename].decode("utf-8")
    assert saved != shipped  # bpmn-js writes the file its own way
    assert deploy(page) == "Nothing changed; still version 1."
    assert _deployed(site, key, filename)[0] == 1


def test_the_first_view_shows_the_whole_diagram_clear_of_the_palette(browse: Browse, story_key: tuple[str, str]) -> None:
    key, filename = story_key
    page = _open(browse, key, filename)
    palette = page.locator("#editor .djs-palette").bounding_box()
    canvas = page.locator("#editor").bounding_box()
    assert palette and canvas
    for shape in page.locator("#editor .djs-element.djs-shape").all():
        box = shape.bounding_box()
        if box is None or box["width"] == 0:
            continue
        assert box["x"] >= palette["x"] + palette["width"], shape.get_attribute("data-element-id")
        assert box["x"] + box["width"] <= canvas["x"] + canvas["width"] + 1, shape.get_attribute("data-element-id")
