"""A sender can post anything: the UBL parser and the validator answer with a typed refusal, never a crash."""
from __future__ import annotations

import random

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from server.invoices.safexml import DocumentError
from server.invoices.ubl import parse_invoice
from server.invoices.validation import validate
from tests.fuzz.hostile import (
    HUGE_NUMBERS,
    corpus_bytes,
    corpus_files,
    declare,
    fuzz_settings,
    hostile,
    mutate,
    nested,
    reencode,
)
from tests.support.paths import CORPUS

VALID = CORPUS / "ubl" / "valid" / "base-example.xml"
DOCUMENT_CODES = {"empty", "too_large", "not_xml", "doctype_forbidden", "too_deep", "too_many_elements",
                  "not_ubl", "not_an_invoice", "invalid_value"}


@fuzz_settings(300)
@given(hostile("ubl"))
@example(nested(300)).via("deeper than lxml's own limit")
@example(b"\xff\xfe<\x00I\x00n\x00v\x00").via("a truncated UTF-16 document")
def test_any_bytes_parse_or_are_refused_with_a_document_code(data):
    try:
        invoice = parse_invoice(data)
    except DocumentError as exc:
        assert exc.code in DOCUMENT_CODES
        assert exc.message
    else:
        assert invoice.document_type in ("Invoice", "CreditNote")


@fuzz_settings(200)
@given(hostile("ubl"))
def test_validation_off_never_raises_and_a_refusal_names_its_rule(data):
    report = validate(data, mode="off")
    if not report.accepted:
        assert report.errors and all(f.rule and f.message for f in report.errors)


@fuzz_settings(100)
@given(st.sampled_from(corpus_files("ubl")), st.sampled_from(HUGE_NUMBERS), st.integers(0, 2**32 - 1))
def test_huge_amounts_are_numbers_or_refused_as_invalid_values(path, number, seed):
    # Replace one amount element's text, wherever it is, with a huge or tiny number.
    data = corpus_bytes(path)
    amounts = [i for i in range(len(data)) if data.startswith(b"Amount currencyID=", i)]
    if amounts:
        start = data.index(b">", random.Random(seed).choice(amounts)) + 1
        data = data[:start] + number + data[data.index(b"<", start):]
    try:
        invoice = parse_invoice(data)
    except DocumentError as exc:
        assert exc.code in DOCUMENT_CODES
    else:
        amounts = [invoice.totals.payable, invoice.totals.line_extension, invoice.totals.tax_inclusive,
                   *(line.net_amount for line in invoice.lines)]
        assert all(a is None or a.is_finite() for a in amounts)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_valid_invoice_in_utf16_or_utf32_with_a_true_declaration_reads_the_same(encoding):
    original = parse_invoice(VALID.read_bytes())
    text = declare(VALID.read_bytes(), encoding.upper()).decode("utf-8")
    data = text.encode("utf-16" if encoding == "utf-16" else encoding)  # "utf-16" writes a BOM
    assert parse_invoice(data) == original


def test_a_latin1_declared_invoice_with_accents_reads_its_accents():
    data = declare(VALID.read_bytes(), "ISO-8859-1")
    data = data.replace(b"<cbc:Note>", "<cbc:Note>Caf\u00e9 ".encode("latin-1"), 1)
    invoice = parse_invoice(data)
    assert invoice.id == parse_invoice(VALID.read_bytes()).id
    assert invoice.payment_terms.startswith("Caf\u00e9 ")  # the payment terms note holds the accent


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_a_document_whose_declaration_lies_about_its_encoding_is_refused_or_read(encoding):
    data = reencode(declare(VALID.read_bytes(), "UTF-8" if encoding != "utf-8" else "latin-1"), encoding)
    try:
        parse_invoice(data)
    except DocumentError as exc:
        assert exc.code in DOCUMENT_CODES


@pytest.mark.parametrize("seed", range(3))
def test_enforced_validation_of_a_mutated_invoice_answers_with_a_report(seed, rules_compiled):
    path = corpus_files("ubl")[seed * 7 % len(corpus_files("ubl"))]
    data = mutate(corpus_bytes(path), random.Random(seed))
    report = validate(data, mode="enforce")
    assert report.accepted == (not report.errors)
    assert all(f.rule and f.message for f in report.errors)


@pytest.fixture(scope="module")
def rules_compiled() -> None:
    from server.invoices.rulesets import compile_rulesets
    from server.invoices.validation import load_schemas

    compile_rulesets()
    load_schemas()
