"""/healthz: is the database reachable."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    host = current_app.extensions["stroom"]
    ok = host.db.ping()
    return jsonify({"status": "ok" if ok else "unavailable", "database": "reachable" if ok else "unreachable"}), (
        200 if ok else 503)
