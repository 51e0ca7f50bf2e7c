"""One app for the contract tests: the purchase scenario on SQLite with an instance, a task, an incident
and a received invoice, so generated ids sometimes hit real rows."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from server.app import create_app
from server.auth.models import ApiToken
from tests.conftest import make_settings
from tests.support import databases
from tests.support.admin_scenario import Purchase, open_purchase
from tests.support.paths import CORPUS

# Generated requests revoke tokens by small ids; the admin's own token is moved out of their way.
ADMIN_TOKEN_ID = 900_000_001


@dataclasses.dataclass(frozen=True)
class ContractApp:
    app: Flask
    admin_token: str
    scenario: Purchase

    def admin_headers(self) -> dict[str, Any]:
        return {"Authorization": f"Bearer {self.admin_token}"}


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory, sqlite_template) -> Iterator[ContractApp]:
    folder = tmp_path_factory.mktemp("contract")
    settings = make_settings(folder, databases.fresh_sqlite(sqlite_template, folder))
    scenario_run = open_purchase(settings)
    scenario = next(scenario_run)
    scenario.start("INV-1")
    scenario.book_fails = True
    failing = scenario.start("INV-2")
    scenario.complete(failing, "approve", approved=True)
    with scenario.host.db.unit_of_work() as session:
        session.execute(update(ApiToken).where(ApiToken.user_id == scenario.admin.user_id)
                        .values(id=ADMIN_TOKEN_ID))
    app = create_app(host=scenario.host)
    invoice = (CORPUS / "ubl" / "valid" / "base-example.xml").read_bytes()
    posted = app.test_client().post("/api/v1/invoices", data=invoice, content_type="application/xml",
                                    headers={"Authorization": f"Bearer {scenario.tokens['ada']}"})
    assert posted.status_code in (200, 201, 422), posted.get_json()
    yield ContractApp(app, scenario.tokens["ada"], scenario)
    next(scenario_run, None)
