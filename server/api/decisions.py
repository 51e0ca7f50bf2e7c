"""POST /api/v1/decisions/{key}/evaluate: designers test a table before and after deploying."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from server.api.auth import current_actor, host, requires
from server.errors import InvalidInput
from server.operations import decisions

bp = Blueprint("api_decisions", __name__, url_prefix="/api/v1/decisions")


def _payload() -> dict:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise InvalidInput('send a JSON object: {"inputs": {...}}', code="invalid_json")
    return payload


@bp.post("/<decision_id>/evaluate")
@requires("decisions.evaluate")
def evaluate_deployed(decision_id: str) -> Response:
    """Evaluate a deployed decision, or a draft one when the body carries `dmn`."""
    payload = _payload()
    inputs = payload.get("inputs", {})
    if "dmn" in payload:
        model, source = decisions.draft_table(payload["dmn"]), "draft"
    else:
        with host().db.unit_of_work() as session:
            model, source = decisions.deployed_table(session, current_actor(), decision_id,
                                                     model_key=request.args.get("model"))
    return jsonify({**decisions.evaluate(model, decision_id, inputs), "source": source})
