"""What a model drew, in the reader's language: its catalogue (server.wording) applied to decision cards,
forms and process data before a page shows them."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from server.pages.words import N_
from server.wording import Texts

# route_type values of the shipped approval table, as a sentence says them.
ROUTE_TYPES = {"group": N_("a group"), "role": N_("a role"), "user": N_("one person"),
               "all": N_("several people (all must act)"), "one": N_("several people (one is enough)")}


def decision_cards(decisions: list[dict[str, Any]], texts: Texts) -> list[dict[str, Any]]:
    """Decision cards with the table's name, input labels, rule annotations and output values translated."""
    cards = []
    for card in decisions:
        outputs = {name: _output(name, value, texts) for name, value in (card.get("outputs") or {}).items()}
        cards.append({**card, "decision": texts(card.get("decision")), "element": texts(card.get("element")),
                      "inputs": [{**i, "label": texts(i.get("label")), "value": texts.value(i.get("value"))}
                                 for i in card.get("inputs") or []],
                      "rules": [{**r, "annotation": texts(r.get("annotation"))} if isinstance(r, Mapping) else r
                                for r in card.get("rules") or []],
                      "outputs": outputs})
    return cards


def _output(name: str, value: Any, texts: Texts) -> Any:
    if name == "route_type" and isinstance(value, str) and value in ROUTE_TYPES:
        return _(ROUTE_TYPES[value])
    return _deep(value, texts)


def _deep(value: Any, texts: Texts) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep(v, texts) for k, v in value.items()}
    return texts.value(value)


def data_value(value: Any, texts: Texts) -> Any:
    """A process-data value as a page shows it: its texts translated (lists item by item)."""
    return _deep(value, texts)
