"""Element templates for Stroom's service tasks, for the designer page and the desktop Camunda Modeler."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

from server.api.auth import current_actor, host
from server.operations import designer

bp = Blueprint("api_element_templates", __name__, url_prefix="/api/v1")


@bp.get("/element-templates")
def element_templates() -> Response:
    """A JSON array in the Camunda 7 element-template format, one template per service."""
    return jsonify(list(designer.element_templates(host(), actor=current_actor()).templates))
