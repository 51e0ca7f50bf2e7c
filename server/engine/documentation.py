"""Documentation-only elements of a model, taken out before the engine parses it.

Designers draw data stores ("ERP", "Bank system") and the data associations to them to show where
information lives; BPMN gives them no behaviour a process engine runs. SpiffWorkflow refuses a data
store it has no implementation for, so the parser never sees them. Text annotations, groups and
plain associations are already ignored by the engine. The stored model keeps all of them: only the
copy that is parsed changes.
"""
from __future__ import annotations

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_DATA_ASSOCIATIONS = {"dataInputAssociation": "sourceRef", "dataOutputAssociation": "targetRef"}


def strip_documentation(root: etree._Element) -> None:
    """Remove data stores, their references and the data associations that read or write them."""
    stores = {node.get("id") for node in root.iter(f"{{{BPMN}}}dataStore", f"{{{BPMN}}}dataStoreReference")}
    stores.discard(None)
    for local, end in _DATA_ASSOCIATIONS.items():
        for association in list(root.iter(f"{{{BPMN}}}{local}")):
            refs = [ref.text.strip() for ref in association.iter(f"{{{BPMN}}}{end}") if ref.text]
            if any(ref in stores for ref in refs):
                _remove(association)
    for node in list(root.iter(f"{{{BPMN}}}dataStore", f"{{{BPMN}}}dataStoreReference")):
        _remove(node)


def _remove(node: etree._Element) -> None:
    parent = node.getparent()
    if parent is not None:
        parent.remove(node)
