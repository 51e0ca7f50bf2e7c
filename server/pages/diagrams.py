"""Reading BPMN/DMN XML for pages: element lists (move targets, version comparison) and text diffs."""
from __future__ import annotations

import difflib
from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FLOW_TAGS = ("task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "manualTask", "sendTask",
             "receiveTask", "callActivity", "subProcess", "startEvent", "endEvent", "intermediateCatchEvent",
             "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway",
             "inclusiveGateway", "eventBasedGateway")
ATTRS_SHOWN = ("name", "assignee", "candidateGroups", "candidateUsers", "formKey", "topic", "decisionRef",
               "dueDate")


def _parse(xml: bytes) -> etree._Element | None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        return etree.fromstring(xml, parser)
    except etree.XMLSyntaxError:
        return None


def flow_elements(xml: bytes, *, process_id: str | None = None) -> list[tuple[str, str]]:
    """(id, name) of every flow node in the process (all processes when no id is given)."""
    root = _parse(xml)
    if root is None:
        return []
    found = []
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process_id and process.get("id") != process_id:
            continue
        for tag in FLOW_TAGS:
            for node in process.iter(f"{{{BPMN_NS}}}{tag}"):
                found.append((node.get("id", ""), node.get("name") or tag))
    return found


def element_table(xml: bytes) -> dict[str, dict[str, str]]:
    """Per element id: its kind and the attributes designers change (local names, any namespace)."""
    root = _parse(xml)
    if root is None:
        return {}
    table: dict[str, dict[str, str]] = {}
    for node in root.iter():
        if not isinstance(node.tag, str) or node.get("id") is None:
            continue
        kind = etree.QName(node).localname
        if kind in ("BPMNShape", "BPMNEdge", "BPMNDiagram", "BPMNPlane", "DMNShape", "DMNDiagram"):
            continue
        attrs = {"kind": kind}
        for name, value in node.attrib.items():
            local = etree.QName(name).localname
            if local in ATTRS_SHOWN:
                attrs[local] = value
        text = (node.text or "").strip()
        if kind in ("text", "inputEntry", "outputEntry", "conditionExpression") and text:
            attrs["text"] = text
        table[node.get("id", "")] = attrs
    return table


def compare(old: bytes, new: bytes) -> dict[str, Any]:
    """Added, removed and changed elements, plus a unified diff of the XML text."""
    a, b = element_table(old), element_table(new)
    changed = [(key, a[key], b[key]) for key in sorted(a.keys() & b.keys()) if a[key] != b[key]]
    lines = difflib.unified_diff(old.decode("utf-8", "replace").splitlines(),
                                 new.decode("utf-8", "replace").splitlines(), "old", "new", lineterm="", n=2)
    return {"added": [(k, b[k]) for k in sorted(b.keys() - a.keys())],
            "removed": [(k, a[k]) for k in sorted(a.keys() - b.keys())], "changed": changed,
            "diff": list(lines)[:2000]}



def _rules(xml: bytes) -> dict[str, tuple[str, int, tuple[str, ...]]]:
    """Per rule id: its decision, number (1-based) and cell texts, for any DMN namespace version."""
    root = _parse(xml)
    if root is None:
        return {}
    found: dict[str, tuple[str, int, tuple[str, ...]]] = {}
    for table in (n for n in root.iter() if isinstance(n.tag, str) and etree.QName(n).localname == "decisionTable"):
        decision = table.getparent()
        name = (decision.get("name") or decision.get("id") or "") if decision is not None else ""
        rules = [n for n in table if isinstance(n.tag, str) and etree.QName(n).localname == "rule"]
        for number, rule in enumerate(rules, 1):
            cells = tuple("".join(c.itertext()).strip() for c in rule
                          if isinstance(c.tag, str) and etree.QName(c).localname in ("inputEntry", "outputEntry"))
            found[rule.get("id") or f"{name}#{number}"] = (name, number, cells)
    return found


def rule_changes(old: bytes, new: bytes) -> list[dict[str, Any]]:
    """The decision-table rules added, removed or changed between two DMN files, in table order."""
    a, b = _rules(old), _rules(new)
    changes = [{"change": "added", "id": k, "decision": b[k][0], "rule": b[k][1], "old": (), "new": b[k][2]}
               for k in b.keys() - a.keys()]
    changes += [{"change": "removed", "id": k, "decision": a[k][0], "rule": a[k][1], "old": a[k][2], "new": ()}
                for k in a.keys() - b.keys()]
    changes += [{"change": "changed", "id": k, "decision": b[k][0], "rule": b[k][1], "old": a[k][2], "new": b[k][2]}
                for k in a.keys() & b.keys() if a[k][2] != b[k][2]]
    return sorted(changes, key=lambda c: (c["decision"], c["rule"], c["change"]))
