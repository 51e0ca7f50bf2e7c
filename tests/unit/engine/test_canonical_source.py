"""A model's checksum covers what it says, not how an editor happened to write it."""
from __future__ import annotations

import json
import re

from server.engine import checksum
from server.instances.shipped import shipped_models

PURCHASE = next(m for m in shipped_models() if m.key == "purchase_invoice")
[(NAME, SOURCE)] = PURCHASE.bpmn.items()


def _sum(bpmn: bytes) -> str:
    return checksum({NAME: bpmn}, PURCHASE.dmn, PURCHASE.forms)


def resaved(source: bytes) -> bytes:
    """What an editor does to an unchanged file: namespaces and attributes reordered, other quotes and indent."""
    text = source.decode("utf-8")
    head, _, rest = text.partition("<bpmn:definitions ")
    attributes, _, body = rest.partition(">")
    reordered = " ".join(reversed(re.findall(r'\S+="[^"]*"', attributes)))
    body = body.replace("\n    ", "\n\t").replace('camunda:type="external" camunda:topic="match_invoice"',
                                                 "camunda:topic='match_invoice' camunda:type='external'")
    return f'{head}<bpmn:definitions {reordered}>\n<!-- saved by an editor -->{body}'.encode()


def test_a_resaved_unchanged_model_has_the_same_checksum() -> None:
    again = resaved(SOURCE)
    assert again.index(b"xmlns:bpmn=") > again.index(b"xmlns:modeler=")  # reordered, as bpmn-js does
    assert _sum(again) == _sum(SOURCE)


def test_the_order_of_diagram_shapes_does_not_count() -> None:
    text = SOURCE.decode("utf-8")
    start = text.index("<bpmndi:BPMNShape")
    first_end = text.index("</bpmndi:BPMNShape>", start) + len("</bpmndi:BPMNShape>")
    second_end = text.index("</bpmndi:BPMNShape>", first_end) + len("</bpmndi:BPMNShape>")
    swapped = text[:start] + text[first_end:second_end] + text[start:first_end] + text[second_end:]
    assert _sum(swapped.encode("utf-8")) == _sum(SOURCE)


def test_a_changed_condition_or_text_changes_the_checksum() -> None:
    changed = SOURCE.replace(b'invoice.contact_email != null', b'invoice.contact_email = null')
    assert changed != SOURCE and _sum(changed) != _sum(SOURCE)
    renamed = SOURCE.replace(b'name="Match with master data"', b'name="Match  with master data"')
    assert _sum(renamed) != _sum(SOURCE)


def test_a_form_is_compared_as_json() -> None:
    [(form_name, form)] = list(PURCHASE.forms.items())[:1]
    spaced = json.dumps(json.loads(form), indent=7).encode("utf-8")
    assert spaced != form
    assert checksum({NAME: SOURCE}, PURCHASE.dmn, {**PURCHASE.forms, form_name: spaced}) == _sum(SOURCE)
