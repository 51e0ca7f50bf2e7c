"""The canonical form of a model's source files, so a re-saved but unchanged file is recognised.

Editors re-save XML with other namespace and attribute order, quoting, entity forms and indentation;
the canonical form is the exclusive XML C14N of the parsed document without the whitespace between
elements and without comments, with the shapes and edges of each diagram plane in id order (bpmn-js
moves a boundary event's shape behind its task's; the drawing order changes nothing that runs). A form (JSON) is its parsed value with sorted keys. A file that does
not parse is its own bytes (compile_model refuses it anyway).
"""
from __future__ import annotations

import json

from lxml import etree

BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
_PARSER = etree.XMLParser(remove_blank_text=True, remove_comments=True, resolve_entities=False, no_network=True,
                          load_dtd=False, huge_tree=False)


def canonical_xml(source: bytes) -> bytes:
    """Exclusive C14N of the parsed XML; whitespace-only text between elements does not count."""
    try:
        root = etree.fromstring(source, _PARSER)
    except etree.XMLSyntaxError:
        return source
    for node in root.iter():
        # remove_blank_text keeps blank text inside mixed content; between elements it is layout only.
        if len(node) and node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
    for plane in root.iter(f"{{{BPMNDI}}}BPMNPlane"):
        plane[:] = sorted(plane, key=lambda child: (str(child.tag), child.get("id") or ""))
    return etree.tostring(root, method="c14n", exclusive=True, with_comments=False)


def canonical_json(source: bytes) -> bytes:
    """The JSON value with sorted keys and no layout; the bytes themselves when it is not JSON."""
    try:
        value = json.loads(source)
    except ValueError:
        return source
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
