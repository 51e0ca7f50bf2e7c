"""The written cells of a decision table's rules, as text: what a reader is told a rule tests (e.g. the
band `< 1` a table allows on `confrontation_difference_pct` before it approves automatically).

Pure: reads the DMN source with the same hardened parser as the evaluator, compiles nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from server.decisions.reader import MAX_BYTES, _safe_parser


@dataclass(frozen=True)
class RuleCells:
    """One rule: its id, annotation, its input cells by input expression and its output cells by output name."""

    rule_id: str
    annotation: str
    inputs: dict[str, str]
    outputs: dict[str, str]


def rule_cells(xml: bytes, *, decision_id: str) -> tuple[RuleCells, ...]:
    """The rules of decision `decision_id`'s table as written; () when the document or decision is unreadable."""
    if not xml or len(xml) > MAX_BYTES:
        return ()
    try:
        root = etree.fromstring(xml, _safe_parser())
    except etree.XMLSyntaxError:
        return ()
    found = [d for d in root.iter("{*}decision") if d.get("id") == decision_id]
    table = found[0].find("{*}decisionTable") if found else None
    if table is None:
        return ()
    inputs = [_text(i.find("{*}inputExpression")) for i in table.findall("{*}input")]
    outputs = [o.get("name") or o.get("label") or "" for o in table.findall("{*}output")]
    return tuple(RuleCells(rule_id=rule.get("id") or "", annotation=" ".join(_text(rule).split()),
                           inputs=dict(zip(inputs, (_text(e) for e in rule.findall("{*}inputEntry")), strict=False)),
                           outputs=dict(zip(outputs, (_text(e) for e in rule.findall("{*}outputEntry")), strict=False)))
                 for rule in table.findall("{*}rule"))


def _text(element: etree._Element | None) -> str:
    """The `<text>` child's content (or the `<description>` for a rule), trimmed."""
    if element is None:
        return ""
    child = element.find("{*}text")
    if child is None:
        child = element.find("{*}description")
    return (child.text or "").strip() if child is not None else ""
