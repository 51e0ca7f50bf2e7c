"""GET /api/v1/openapi.json: the OpenAPI 3 document of the JSON API (kept in openapi.yaml beside this file).

tests/contract/ fails when a /api/v1 route of the app is missing from the document and runs
schemathesis against every operation, so the document and the code cannot drift apart silently.
"""
from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import Blueprint, Response, jsonify

bp = Blueprint("api_openapi", __name__, url_prefix="/api/v1")
SOURCE = Path(__file__).with_name("openapi.yaml")


@cache
def _loaded() -> dict[str, Any]:
    with SOURCE.open(encoding="utf-8") as fh:
        document = yaml.safe_load(fh)
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        raise RuntimeError(f"{SOURCE} is not an OpenAPI 3 document")
    return document


def document() -> dict[str, Any]:
    """The OpenAPI document as a fresh dict (callers may change their copy)."""
    return copy.deepcopy(_loaded())


@bp.get("/openapi.json")
def openapi() -> Response:
    """The document; public, like the routes it describes."""
    response = jsonify(_loaded())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
