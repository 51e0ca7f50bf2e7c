"""Several sequence flows leaving a task or an event: the split BPMN 2.0 gives them, made explicit.

BPMN 2.0 (§13.2.1, "uncontrolled flow"): when an activity or event has several outgoing sequence
flows, a token goes down every flow without a condition and down every conditional flow whose
condition is true; the default flow only when no condition is. SpiffWorkflow refuses such a task,
so before parsing each one gets a gateway of its own right behind it: a parallel gateway when no
flow has a condition, otherwise an inclusive gateway whose unconditioned flows are always taken.
A single conditional flow leaving a task gets one too, so its condition is honoured.
"""
from __future__ import annotations

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_CONTAINERS = {"process", "subProcess", "adHocSubProcess", "transaction"}
_ALWAYS = "=true"  # canonical FEEL: this runs after server.engine.canonical


def make_splits_explicit(root: etree._Element) -> None:
    """Insert a gateway behind every non-gateway node whose outgoing flows need one."""
    ids = {node.get("id") for node in root.iter() if isinstance(node.tag, str) and node.get("id")}
    for container in list(root.iter(*(f"{{{BPMN}}}{name}" for name in _CONTAINERS))):
        flows: dict[str, list[etree._Element]] = {}
        for flow in container.findall(f"{{{BPMN}}}sequenceFlow"):
            flows.setdefault(flow.get("sourceRef", ""), []).append(flow)
        for node in list(container):
            if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN:
                continue
            local = etree.QName(node).localname
            outgoing = flows.get(node.get("id", ""), [])
            if local.endswith("Gateway") or local == "sequenceFlow" or not outgoing:
                continue
            conditional = [flow for flow in outgoing if _condition(flow)]
            if len(outgoing) > 1 or conditional:
                _insert_split(container, node, outgoing, bool(conditional), ids)


def _condition(flow: etree._Element) -> bool:
    node = flow.find(f"{{{BPMN}}}conditionExpression")
    return node is not None and bool((node.text or "").strip())


def _insert_split(container: etree._Element, node: etree._Element, outgoing: list[etree._Element],
                  conditional: bool, ids: set[str | None]) -> None:
    node_id = node.get("id", "")
    gateway_id = _fresh(f"{node_id}_split", ids)
    link_id = _fresh(f"{node_id}_to_split", ids)
    default = node.attrib.pop("default", None)
    gateway = etree.SubElement(container, f"{{{BPMN}}}{'inclusiveGateway' if conditional else 'parallelGateway'}",
                               id=gateway_id)
    if default and conditional:
        gateway.set("default", default)
    etree.SubElement(gateway, f"{{{BPMN}}}incoming").text = link_id
    for flow in outgoing:
        flow.set("sourceRef", gateway_id)
        etree.SubElement(gateway, f"{{{BPMN}}}outgoing").text = flow.get("id")
        if conditional and flow.get("id") != default and not _condition(flow):
            for empty in flow.findall(f"{{{BPMN}}}conditionExpression"):
                flow.remove(empty)
            etree.SubElement(flow, f"{{{BPMN}}}conditionExpression").text = _ALWAYS
    moved = {flow.get("id") for flow in outgoing}
    for ref in node.findall(f"{{{BPMN}}}outgoing"):
        if (ref.text or "").strip() in moved:
            node.remove(ref)
    etree.SubElement(node, f"{{{BPMN}}}outgoing").text = link_id
    etree.SubElement(container, f"{{{BPMN}}}sequenceFlow", id=link_id, sourceRef=node_id, targetRef=gateway_id)


def _fresh(wanted: str, ids: set[str | None]) -> str:
    name, n = wanted, 1
    while name in ids:
        n += 1
        name = f"{wanted}{n}"
    ids.add(name)
    return name
