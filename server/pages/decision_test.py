"""Testing a decision table with sample inputs typed into a form (server.decisions parse and evaluate)."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from server.decisions import DecisionError, DecisionModel, DecisionParseError, parse_dmn


@dataclasses.dataclass(frozen=True)
class TestForm:
    """The decisions of a DMN file, the chosen one and its input columns (name, label)."""

    decisions: tuple[tuple[str, str], ...] = ()
    decision_id: str | None = None
    inputs: tuple[tuple[str, str], ...] = ()
    error: str | None = None
    model: DecisionModel | None = None


def decision_ids(sources: Mapping[str, str]) -> list[str]:
    """The decision ids of a model's DMN files, sorted; a file that does not parse adds none."""
    found: set[str] = set()
    for text in sources.values():
        try:
            found.update(parse_dmn(text.encode("utf-8")).decision_ids)
        except DecisionParseError:
            continue
    return sorted(found)


def prepare(xml: bytes, decision_id: str | None) -> TestForm:
    """Parse the file and list the chosen (or first top-level) decision's inputs."""
    try:
        model = parse_dmn(xml)
    except DecisionParseError as exc:
        return TestForm(error=str(exc))
    choices = tuple((d.id, d.name or d.id) for d in model.decisions.values())
    chosen = decision_id if decision_id in model.decisions else (choices[0][0] if choices else None)
    inputs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name in _required_chain(model, chosen):
        table = model.decisions[name].table
        for clause in table.inputs if table else ():
            if clause.text not in seen:
                seen.add(clause.text)
                inputs.append((clause.text, clause.label or clause.text))
    return TestForm(decisions=choices, decision_id=chosen, inputs=tuple(inputs), model=model)


def _required_chain(model: DecisionModel, decision_id: str | None) -> list[str]:
    """The decision and those it requires (whose inputs the caller must give too)."""
    if decision_id is None:
        return []
    order, stack = [], [decision_id]
    while stack:
        current = stack.pop()
        if current in order or current not in model.decisions:
            continue
        order.append(current)
        stack.extend(model.decisions[current].required)
    return order


def typed(raw: str) -> Any:
    """A typed sample value: true/false, numbers as Decimal, JSON lists/objects, quoted or bare text."""
    text = raw.strip()
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        return Decimal(text)
    except InvalidOperation:
        pass
    if text[0] in "[{\"":
        try:
            return json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError:
            return text.strip('"')
    return text


def _nest(inputs: dict[str, Any], name: str, value: Any) -> None:
    """`invoice.amount` becomes {"invoice": {"amount": value}} so path expressions resolve."""
    parts = name.split(".")
    target = inputs
    for part in parts[:-1]:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            return
    target[parts[-1]] = value


def run(form: TestForm, posted: Mapping[str, str]) -> dict[str, Any]:
    """Evaluate with the posted values: outputs, matched rules and trace, or the error in words."""
    if form.model is None:
        return {"error": form.error or "the table cannot be read"}
    inputs: dict[str, Any] = {}
    for name, _label in form.inputs:
        _nest(inputs, name, typed(posted.get(f"in:{name}", "")))
    try:
        result = form.model.evaluate(form.decision_id, inputs).to_json()
    except DecisionError as exc:
        return {"error": str(exc)}
    return {"outputs": result["outputs"], "matched_rules": result["matched_rules"], "trace": result["trace"]}
