"""Every text a user reads in the shipped models, forms, decision tables and mail templates has its Dutch:
a model file's catalogue (`F.translations.json`, server.wording) translates each of its visible texts
into something other than the English (unless the word is the same in Dutch), and each mail template
has a Dutch version that is not the English one."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.mail.render import TEMPLATE_DIR
from server.wording import Texts, catalogue_name, parse_catalogues, translate_form, visible_texts

ROOT = Path(__file__).resolve().parents[2]
MODEL_FILES = sorted([*ROOT.glob("bpmn/*.bpmn"), *ROOT.glob("bpmn/forms/*.json"), *ROOT.glob("dmn/*.dmn")])
MODEL_FILES = [p for p in MODEL_FILES if not p.name.endswith(".translations.json")]
# The same word in Dutch and English.
SAME_IN_DUTCH = {"IBAN", "EUR", "USD", "GBP", "Document"}


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.name)
def test_every_visible_text_of_a_shipped_model_has_dutch(path: Path) -> None:
    catalogue = path.with_name(catalogue_name(path.name))
    assert catalogue.exists(), f"{path.name} has no {catalogue.name}"
    dutch = parse_catalogues({catalogue.name: catalogue.read_bytes()}).get("nl", {})
    texts = visible_texts(path.name, path.read_bytes())
    assert texts, f"no visible texts found in {path.name}"
    missing = [t for t in texts if not dutch.get(t) and t not in SAME_IN_DUTCH]
    untranslated = [t for t in texts if dutch.get(t) == t and t not in SAME_IN_DUTCH]
    assert missing == [] and untranslated == []
    unused = sorted(set(dutch) - set(texts))
    assert unused == [], f"{catalogue.name} translates texts {path.name} no longer has"


def test_every_mail_template_has_a_dutch_version_that_differs() -> None:
    english = sorted(p.relative_to(TEMPLATE_DIR / "en") for p in (TEMPLATE_DIR / "en").iterdir())
    assert english
    for name in english:
        dutch = TEMPLATE_DIR / "nl" / name
        assert dutch.exists(), f"mail template {name} has no Dutch version"
        assert dutch.read_text("utf-8") != (TEMPLATE_DIR / "en" / name).read_text("utf-8")
    for part in TEMPLATE_DIR.glob("_*.en.*"):
        dutch = part.with_name(part.name.replace(".en.", ".nl."))
        assert dutch.exists() and dutch.read_text("utf-8") != part.read_text("utf-8")


def test_a_form_is_translated_before_it_is_shown_and_computed_texts_by_their_start() -> None:
    form = json.loads((ROOT / "bpmn/forms/invoice_approval.json").read_text("utf-8"))
    catalogue = ROOT / "bpmn/forms" / catalogue_name("invoice_approval.json")
    texts = Texts(parse_catalogues({catalogue.name: catalogue.read_bytes()})["nl"])
    shown = translate_form(form, texts)
    labels = [c.get("label") for c in shown["components"]]
    assert "Controles van de velden" in labels and "Field checks" not in labels
    assert [v["label"] for c in shown["components"] for v in c.get("values", [])] == ["Goedkeuren", "Afkeuren"]
    assert form["components"][1]["label"] == "Field checks"  # the deployed schema is left as drawn
    rules = Texts({"validation: ": "controle: ", "order number missing": "ordernummer ontbreekt",
                   "order number does not start with ": "ordernummer begint niet met "})
    assert rules("validation: order number missing; order number does not start with 6") == \
        "controle: ordernummer ontbreekt; ordernummer begint niet met 6"
    assert rules("Something a designer did not translate") == "Something a designer did not translate"


def test_a_malformed_catalogue_is_named() -> None:
    with pytest.raises(ValueError, match="x.bpmn.translations.json"):
        parse_catalogues({"x.bpmn.translations.json": b'{"nl": {"Approve": 3}}'})
