"""The OpenAPI document describes exactly the /api/v1 routes the app has, and auth where the app wants it."""
from __future__ import annotations

import re

import pytest
import schemathesis

from server.api.openapi import document

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def app_operations(app) -> set[tuple[str, str]]:
    """(path template, method) of every /api/v1 rule, with <int:x> written as {x}."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        found |= {(path, method.lower()) for method in rule.methods - IGNORED_METHODS}
    return found


def documented_operations() -> set[tuple[str, str]]:
    return {(path, method) for path, item in document()["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")}


def test_every_api_route_of_the_app_is_in_the_document(contract):
    missing = app_operations(contract.app) - documented_operations()
    assert not missing, f"routes missing from server/api/openapi.yaml: {sorted(missing)}"


def test_the_document_describes_no_route_the_app_lacks(contract):
    phantom = documented_operations() - app_operations(contract.app)
    assert not phantom, f"documented but not routed: {sorted(phantom)}"


def test_the_document_is_valid_openapi_3_and_served_as_json(contract):
    response = contract.app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == document()
    schemathesis.openapi.from_dict(response.get_json()).validate()  # the OpenAPI 3.0 meta-schema


def _public(path: str, method: str) -> bool:
    return document()["paths"][path][method].get("security") == []


@pytest.mark.parametrize("operation", sorted(documented_operations()), ids=lambda o: f"{o[1].upper()} {o[0]}")
def test_without_credentials_every_protected_operation_answers_401_json(contract, operation):
    path, method = operation
    if _public(path, method):
        pytest.skip("public operation")
    url = re.sub(r"\{[a-z_]+\}", "1", path).replace("{kind}", "suppliers")
    response = contract.app.test_client().open(url, method=method.upper(), json={})
    assert response.status_code == 401, (url, response.status_code, response.get_data()[:300])
    assert response.get_json()["error"]["code"] in ("unauthenticated", "invalid_token", "bad_authorization")


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Basic YWRhOnB3", "Bearer "])
def test_a_wrong_authorization_header_is_refused_everywhere(contract, header):
    for path, method in sorted(documented_operations()):
        if _public(path, method):
            continue
        url = re.sub(r"\{[a-z_]+\}", "1", path)
        response = contract.app.test_client().open(url, method=method.upper(), json={},
                                                   headers={"Authorization": header})
        assert response.status_code == 401, (method, url, response.get_data()[:200])
