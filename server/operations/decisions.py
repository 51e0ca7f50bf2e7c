"""Evaluate deployed or draft decision tables for designers (the table-testing feature)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.decisions import DecisionModel, parse_dmn
from server.errors import InvalidInput, NotFound
from server.instances.models import ProcessModelVersion


def deployed_table(session: Session, actor: Actor, decision_id: str, *, model_key: str | None = None
                   ) -> tuple[DecisionModel, str]:
    """The newest deployed DMN file holding `decision_id` (optionally within one model key)."""
    query = select(ProcessModelVersion).where(ProcessModelVersion.environment_id == actor.environment_id)
    if model_key:
        query = query.where(ProcessModelVersion.key == model_key)
    for version in session.scalars(query.order_by(ProcessModelVersion.deployed_at.desc(),
                                                  ProcessModelVersion.id.desc())):
        for filename, text in version.dmn_sources.items():
            if f'id="{decision_id}"' in text:
                # lenient, as deployment read it: only the decision asked for must compile
                model = parse_dmn(text.encode("utf-8"), source=filename, lenient=True)
                if decision_id in model.decision_ids:
                    return model, f"{version.key} v{version.version} / {filename}"
    raise NotFound(f"no deployed decision with id {decision_id!r}", code="decision_not_found")


def evaluate(model: DecisionModel, decision_id: str | None, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """{"outputs", "matched_rules", "trace"} for one evaluation (DecisionError for a failing table)."""
    if not isinstance(inputs, Mapping):
        raise InvalidInput("inputs must be a JSON object", code="invalid_inputs")
    return model.evaluate(decision_id, inputs).to_json()


def draft_table(dmn_text: str) -> DecisionModel:
    """Parse a table that is not deployed (DecisionParseError names the cell)."""
    if not isinstance(dmn_text, str) or not dmn_text.strip():
        raise InvalidInput("dmn must be the DMN XML as a string", code="invalid_dmn")
    return parse_dmn(dmn_text.encode("utf-8"), source="draft")
