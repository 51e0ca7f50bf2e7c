"""A model's own texts in other languages: translation catalogues deployed beside its files.

Convention: next to a model file `F` (`purchase_invoice.bpmn`, `invoice_approval.dmn`, a form
`invoice_approval.json`) lies `F.translations.json`, deployed with the model like a form:

    {"nl": {"Approve invoice": "Factuur goedkeuren", "order number does not start with ": "..."}}

A catalogue is keyed by the English text as drawn (as gettext is), so one entry covers an element name,
a form label or option and a decision output wherever it shows; a text without an entry shows as drawn.
A key ending in a space or ": " also translates the start of a text a model computes from it
(`"order number does not start with " + order_prefix`). Pure: standard library and lxml only.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from lxml import etree

CATALOGUE_SUFFIX = ".translations.json"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
# Form-js properties a user reads (values[].label and the text component's markdown included).
FORM_TEXTS = ("label", "description", "text", "dateLabel", "timeLabel", "placeholder")
# Service parameters whose FEEL string literals end up in mail (`task: {name: "..."}`, a reason).
MAIL_PARAMS = ("reason", "reasons", "task", "subject", "outcome")
_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
# A one-word lower-case literal ("group", "creditors", "reminder") is a code a model routes on, not a text.
_CODE = re.compile(r"^[a-z0-9_.:-]*$")


def is_catalogue(filename: str) -> bool:
    """Whether a deployed file is a translation catalogue rather than a form."""
    return filename.endswith(CATALOGUE_SUFFIX)


def catalogue_name(model_file: str) -> str:
    """The catalogue file that belongs beside a model file."""
    return model_file + CATALOGUE_SUFFIX


def parse_catalogues(files: Mapping[str, bytes | str]) -> dict[str, dict[str, str]]:
    """The catalogues among deployed files, merged per language; ValueError naming a malformed one."""
    merged: dict[str, dict[str, str]] = {}
    for filename, source in sorted(files.items()):
        if not is_catalogue(filename):
            continue
        try:
            data = json.loads(source)
        except ValueError as exc:
            raise ValueError(f"{filename}: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise ValueError(f'{filename}: expected {{"nl": {{"English text": "translation"}}}}')
        for language, entries in data.items():
            bad = [k for k, v in entries.items() if not isinstance(v, str)]
            if bad:
                raise ValueError(f"{filename}: the translation of {bad[0]!r} ({language}) is not a text")
            merged.setdefault(str(language).lower(), {}).update(entries)
    return merged


class Texts:
    """One language's catalogue: `texts("Approve invoice")` is the translation, else the text itself."""

    def __init__(self, entries: Mapping[str, str] | None = None):
        self._entries = dict(entries or {})
        self._prefixes = sorted((k for k in self._entries if k.endswith((" ", ": "))), key=len, reverse=True)

    def __call__(self, text: Any) -> Any:
        if not isinstance(text, str) or not text:
            return text
        found = self._entries.get(text)
        if found:
            return found
        for prefix in self._prefixes:
            if text.startswith(prefix) and self._entries[prefix]:
                rest = text[len(prefix):]
                return self._entries[prefix] + "; ".join(self(part) for part in rest.split("; "))
        return text

    def __bool__(self) -> bool:
        return bool(self._entries)

    def value(self, value: Any) -> Any:
        """A data value with its texts translated (lists item by item); numbers and codes unchanged."""
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return self(value)


NO_TEXTS = Texts()


def translate_form(schema: Mapping[str, Any] | None, texts: Texts) -> Any:
    """A copy of a form-js schema whose labels, descriptions, texts and option labels are translated."""
    if schema is None or not texts:
        return schema
    translated = copy.deepcopy(dict(schema))
    for component in _form_components(translated):
        for name in FORM_TEXTS:
            if isinstance(component.get(name), str):
                component[name] = texts(component[name])
        for option in component.get("values") or []:
            if isinstance(option, dict) and isinstance(option.get("label"), str):
                option["label"] = texts(option["label"])
    return translated


def _form_components(node: Any) -> Iterator[dict[str, Any]]:
    for component in (node.get("components") or []) if isinstance(node, dict) else []:
        if isinstance(component, dict):
            yield component
            yield from _form_components(component)


def translate_diagram(xml: str | bytes, texts: Texts) -> bytes:
    """BPMN XML with every element's `name` translated (what the diagram viewer draws)."""
    raw = xml.encode("utf-8") if isinstance(xml, str) else xml
    if not texts:
        return raw
    root = etree.fromstring(raw, _parser())
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        if element.get("name"):
            element.set("name", texts(element.get("name")))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def visible_texts(filename: str, source: bytes) -> list[str]:
    """The texts of a model file a user reads (what its catalogue should translate), in file order."""
    if filename.endswith(".bpmn"):
        found = _bpmn_texts(source)
    elif filename.endswith(".dmn"):
        found = _dmn_texts(source)
    elif filename.endswith((".json", ".form")) and not is_catalogue(filename):
        found = _form_texts(json.loads(source))
    else:
        found = []
    return list(dict.fromkeys(t for t in found if any(c.isalpha() for c in t)))


def _bpmn_texts(source: bytes) -> list[str]:
    root = etree.fromstring(source, _parser())
    found = [e.get("name", "") for e in root.iter(f"{{{BPMN_NS}}}*")
             if e.get("name") and etree.QName(e).localname not in ("property", "dataInput", "dataOutput")
             and not etree.QName(e).localname.endswith("DataItem")]
    for prop in root.iter(f"{{{CAMUNDA_NS}}}property"):
        if prop.get("name") in MAIL_PARAMS:
            found.extend(_texts_in_feel(prop.get("value", "")))
    return found


def _dmn_texts(source: bytes) -> list[str]:
    root = etree.fromstring(source, _parser())
    found: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if local == "decision" and element.get("name"):
            found.append(element.get("name", ""))
        elif local in ("input", "output") and element.get("label"):
            found.append(element.get("label", ""))
        elif local == "description" and _parent_is(element, "rule"):
            found.append(element.text or "")
        elif local == "outputEntry":
            text = "".join(element.itertext())
            found.extend(_texts_in_feel(text))
    return found


def _parent_is(element: Any, localname: str) -> bool:
    parent = element.getparent()
    return parent is not None and etree.QName(parent).localname == localname


def _texts_in_feel(expression: str) -> list[str]:
    """The string literals of a FEEL expression that are texts (not codes such as "group")."""
    return [m.group(1) for m in _LITERAL.finditer(expression) if not _CODE.match(m.group(1))]


def _form_texts(schema: Any) -> list[str]:
    found: list[str] = []
    for component in _form_components(schema):
        found.extend(component[name] for name in FORM_TEXTS if isinstance(component.get(name), str))
        found.extend(o["label"] for o in component.get("values") or []
                     if isinstance(o, dict) and isinstance(o.get("label"), str))
    return found


def calendar_day(value: Any) -> Any:
    """What a date formatter takes: a date from a date, a datetime or an ISO date text (its first ten
    characters); any other text as it is (shown unchanged), anything else as given."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value.date() if isinstance(value, dt.datetime) else value
