"""schemathesis over every operation of the OpenAPI document, in-process against the WSGI app.

As the admin (bearer token): no 5xx, statuses, content types and bodies as documented. Without
credentials: every protected operation refuses. Generation is derandomized so `make test` is
repeatable; STROOM_FUZZ_SCALE=N runs N times as many fresh examples.
"""
from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, ClassVar

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks as openapi_checks
from werkzeug.exceptions import HTTPException

from server.api.openapi import document


# Loaded from the document eagerly (schemathesis' lazy fixture loader does not run on pytest 9); the
# requests go to the fixture's app through `app=`. test_openapi_document checks the app serves this.
class LateApp:
    """A WSGI app that forwards to the fixture's app (the schema must name its app before collection)."""

    target: Any = None
    statuses: ClassVar[dict[str, set[int]]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        def record(status: str, headers: Any, *args: Any) -> Any:
            rule = environ.get("werkzeug.request")
            key = f"{environ['REQUEST_METHOD']} {rule.url_rule.rule if rule and rule.url_rule else environ['PATH_INFO']}"
            self.statuses.setdefault(key, set()).add(int(status.split()[0]))
            return start_response(status, headers, *args)
        return self.target(environ, record)


APP = LateApp()
schema = schemathesis.openapi.from_dict(document())
schema.config.update(base_url="http://localhost")
schema.app = APP
SCALE = int(os.environ.get("STROOM_FUZZ_SCALE", "1") or 1)
CONTRACT = settings(max_examples=8 * SCALE, deadline=timedelta(seconds=20), derandomize=SCALE == 1,
                    database=None, suppress_health_check=list(HealthCheck))
# Valid data may still be refused by the domain (a task that is not open, an unknown role): those are
# 4xx answers with the error body, which the schema documents as `default`. Invalid data (negative
# mode) must never cause a 5xx or an undocumented answer, but the API may be lenient with it (an
# unknown filter value is ignored), so its acceptance is not a failure.
NOT_CHECKED = [openapi_checks.positive_data_acceptance, openapi_checks.negative_data_rejection]


@schema.parametrize()
@CONTRACT
def test_as_admin_every_operation_keeps_its_contract(case, contract):
    APP.target = contract.app
    case.call_and_validate(headers=contract.admin_headers(), excluded_checks=NOT_CHECKED)


@schema.parametrize()
@settings(CONTRACT, max_examples=2 * SCALE)
def test_without_credentials_every_protected_operation_refuses(case, contract):
    APP.target = contract.app
    response = case.call()
    operation = case.operation.definition.raw
    try:
        contract.app.url_map.bind("localhost").match(case.formatted_path, case.method.upper())
    except HTTPException as unrouted:
        # Not a route at all ("/tasks/AAA", TRACE): refused before any view, with no data either way.
        assert response.status_code == unrouted.code, (case.method, case.formatted_path)
        return
    if case.method.upper() == "OPTIONS":  # Flask's automatic answer: the allowed methods, no data
        assert response.status_code == 200 and not response.content and response.headers.get("allow")
        return
    if operation.get("security") == []:
        assert response.status_code < 500
        return
    assert response.status_code == 401, (case.method, case.formatted_path, response.text[:300])
    assert response.json()["error"]["code"] in ("unauthenticated", "invalid_token", "bad_authorization")


def test_the_admin_run_reached_the_happy_path_of_most_operations():
    # Generated ids rarely exist, so many answers are 404/422; still most operations must have
    # succeeded at least once, or the run only proved that errors are well-formed.
    succeeded = {k for k, codes in LateApp.statuses.items()
                 if not k.startswith(("OPTIONS ", "HEAD ")) and any(200 <= c < 300 for c in codes)}
    assert len(succeeded) >= 30, sorted(LateApp.statuses.items())
