"""Every text a user reads in the shipped models, forms, decision tables and mail templates has its Dutch:
a model file's catalogue (`F.translations.json`, server.wording) translates each of its visible texts
into something other than the English (unless the word is the same in Dutch), and each mail template
has a Dutch version that is not the English one."""
from __future__ import annotations

import json
import re
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


def dutch_catalogue() -> dict[str, str]:
    """The pages' Dutch (web/translations), msgid -> translation."""
    from babel.messages.pofile import read_po
    with (ROOT / "web/translations/nl/LC_MESSAGES/messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if isinstance(m.id, str) and m.id and m.string}


def test_every_refusal_and_finding_text_the_pages_say_has_dutch() -> None:
    from server.invoices.refusals import OWN_MESSAGES
    from server.pages.findings import FOUND_BY, MATCH_REASONS, OWN_FINDINGS
    from server.pages.refusals import PROBLEM_WORDS
    from server.tasks.forms import PROBLEMS
    dutch = dutch_catalogue()
    assert set(PROBLEMS) <= set(PROBLEM_WORDS), "a form problem the pages cannot say"
    assert set(OWN_MESSAGES) <= set(OWN_FINDINGS), "one of Stroom's own findings the pages cannot say"
    texts = [*PROBLEM_WORDS.values(), *OWN_FINDINGS.values(), *FOUND_BY.values(), *MATCH_REASONS.values()]
    missing = [t for t in texts if not dutch.get(t) or dutch[t] == t]
    assert missing == []


def test_every_matching_reason_code_has_an_english_and_a_dutch_text() -> None:
    """A reason code the matcher can write (server.masterdata.reasons.Code) has its English sentence (the API's
    `reasons`) and its page text with a Dutch translation, both naming the same values."""
    import string

    from server.masterdata.reasons import CODES, ENGLISH
    from server.pages.findings import FOUND_BY, MATCH_REASONS
    dutch = dutch_catalogue()
    assert len(CODES) >= 18 and "supplier_found" in CODES
    assert set(ENGLISH) == set(CODES), "a reason code without its English sentence"
    assert set(MATCH_REASONS) == set(CODES), "a reason code the pages cannot say"
    for code in CODES:
        english = {name for _, name, _, _ in string.Formatter().parse(ENGLISH[code]) if name}
        page = set(re.findall(r"%\((\w+)\)s", MATCH_REASONS[code]))
        assert english == page, code
        assert dutch.get(MATCH_REASONS[code]) not in (None, "", MATCH_REASONS[code]), code
        assert set(re.findall(r"%\((\w+)\)s", dutch[MATCH_REASONS[code]])) == page, code
    assert all(dutch.get(word) for word in FOUND_BY.values())


def test_a_matching_reason_reads_in_dutch_by_its_code_and_an_unread_old_sentence_as_it_was() -> None:
    from flask import Flask
    from flask_babel import Babel

    from server.masterdata.reasons import reason
    from server.pages.findings import match_reasons_words
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: "nl", default_translation_directories=str(ROOT / "web/translations"))
    coded = [reason("supplier_found", code="S01", how=["id", "bank_account"]).to_json(),
             reason("amount_differs_from_order", line="2", amount="1234.5", expected="1200.00").to_json(),
             {"code": None, "values": {}, "text": "something the upgrade could not read"}]
    with app.test_request_context():
        assert match_reasons_words(coded, ["ignored when codes are there"]) == [
            "Leverancier S01 gevonden op id, bankrekening",
            "Orderregel 2: gefactureerd 1.234,5 wijkt af van 1.200 tegen de orderprijs",
            "something the upgrade could not read"]
        assert match_reasons_words(None, ["no supplier found"]) == ["no supplier found"]


def test_every_import_problem_code_has_its_english_and_dutch_words() -> None:
    import re

    from server.masterdata.problems import MESSAGES
    from server.pages.import_words import PROBLEM_WORDS, STATUSES
    assert set(PROBLEM_WORDS) == set(MESSAGES), "a problem code the page cannot say, or words for no code"
    for code, english in MESSAGES.items():  # the page's English is the API's message, placeholder for placeholder
        assert PROBLEM_WORDS[code] == re.sub(r"\{(\w+)\}", r"%(\1)s", english), code
    dutch = dutch_catalogue()
    said = {code: dutch.get(text) for code, text in PROBLEM_WORDS.items()}
    assert [code for code, text in said.items() if not text or text == PROBLEM_WORDS[code]] == []
    named = {code: sorted(re.findall(r"%\((\w+)\)s", text)) for code, text in PROBLEM_WORDS.items()}
    assert {code: sorted(re.findall(r"%\((\w+)\)s", text or "")) for code, text in said.items()} == named
    assert [s for s in STATUSES if not dutch.get(s) or dutch[s] == s] == []


def test_every_import_problem_code_is_one_the_import_can_write() -> None:
    from server.masterdata.problems import MESSAGES
    source = "".join(p.read_text("utf-8") for p in (ROOT / "server/masterdata").glob("*.py")
                     if p.name != "problems.py")
    assert [code for code in MESSAGES if f'"{code}"' not in source] == []
