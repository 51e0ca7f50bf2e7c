"""Every shipped process template opens in the bpmn-js modeler without import warnings."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.instances import service as instances
from server.instances.shipped import shipped_models
from tests.e2e.conftest import Browse
from tests.e2e.site import Site

MODELS = shipped_models()


def test_the_five_templates_are_shipped():
    assert sorted(m.key for m in MODELS) == ["conversion_task", "expense_declaration", "purchase_invoice",
                                             "sales_invoice_concept", "trusted_sender"]


@pytest.mark.parametrize("model", MODELS, ids=[m.key for m in MODELS])
def test_a_shipped_model_renders_in_bpmn_js_without_warnings(browse: Browse, site: Site, model) -> None:
    key = f"shipped_{model.key}"
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        instances.deploy(session, site.host, actor=Actor.system(env_id, "tests"), key=key, bpmn=model.bpmn,
                         dmn=model.dmn, forms=model.forms)
    page = browse.login("designer")
    warnings: list[str] = []
    page.on("console", lambda msg: warnings.append(msg.text) if msg.type == "warning" else None)
    [filename] = model.bpmn
    page.goto(f"{browse.base_url}/designer/{key}/edit/bpmn/{filename}")
    page.wait_for_selector("#editor[data-ready='true']")
    assert page.get_attribute("#editor", "data-import-warnings") == "0", warnings
    assert page.locator(".djs-element.djs-shape").count() > 3  # shapes were drawn
    assert not browse.errors, browse.errors
