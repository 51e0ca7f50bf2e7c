"""Unknown query parameters on /api/v1 GETs answer 422 naming them (a typo must not silently list everything).

The parameters a route takes are the ones server/api/openapi.yaml declares for it: one source for the
document and the check, so a parameter added to a handler but not to the document is refused in tests.
"""
from __future__ import annotations

import dataclasses
import re
from functools import cache

from flask import Flask, request

from server.api.auth import current_actor
from server.api.openapi import document
from server.errors import InvalidInput

RULE_VARIABLE = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


@dataclasses.dataclass(frozen=True)
class Route:
    names: frozenset[str]  # its query parameters
    public: bool  # answers without credentials


@cache
def declared() -> dict[str, Route]:
    """Per documented GET path (`{x}` templates): its query parameters and whether it is public."""
    spec = document()
    found: dict[str, Route] = {}
    for path, item in spec["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        parameters = [_resolved(spec, p) for p in (*item.get("parameters", []), *operation.get("parameters", []))]
        found[path] = Route(frozenset(p["name"] for p in parameters if p["in"] == "query"),
                            operation.get("security") == [])
    return found


def _resolved(spec: dict, parameter: dict) -> dict:
    ref = parameter.get("$ref")
    if not ref:
        return parameter
    node = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def check_query() -> None:
    """Before a /api/v1 GET: InvalidInput (422) when a query parameter is not one the route declares."""
    if request.method != "GET" or request.url_rule is None or not request.path.startswith("/api/v1/"):
        return
    route = declared().get(RULE_VARIABLE.sub(r"{\1}", request.url_rule.rule))
    if route is None:
        return  # not in the document (tests/contract fails on such a route)
    unknown = sorted(set(request.args) - route.names)
    if unknown:
        if not route.public:
            current_actor()  # a caller without credentials learns that first (401), as on every route
        raise InvalidInput(f"unknown query parameter(s): {', '.join(unknown)}", code="unknown_parameter",
                           details=[{"field": name, "message": "is not a parameter of this list"}
                                    for name in unknown])


def install(app: Flask) -> None:
    """Check every request's query parameters before its handler runs."""
    app.before_request(check_query)
