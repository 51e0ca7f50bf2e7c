"""The standard check agrees with the official validators' verdicts recorded in EXPECTED.csv."""
from __future__ import annotations

import re

import pytest

from server.invoices.validation import RULES_EXCEPTION, XSD_RULE, profile_for, validate
from tests.unit.invoices.conftest import UBL_CORPUS, corpus_bytes, expected_rows

pytestmark = pytest.mark.usefixtures("rules_compiled")

# Passes every rule but breaks the UBL 2.1 schema (AdditionalDocumentReference after LegalMonetaryTotal).
SCHEMA_INVALID = {"valid/GR-base-example-correct.xml"}


def _own_profile(row: dict[str, str]) -> str:
    return "cen" if row["profile"] == "none" else row["profile"]


@pytest.mark.parametrize("row", expected_rows(), ids=lambda r: r["file"])
def test_verdict_and_fatal_rules_match_the_official_validators(row):
    report = validate((UBL_CORPUS / row["file"]).read_bytes())
    rules = {f.rule for f in report.errors}
    assert report.profile == _own_profile(row)
    if row["file"] in SCHEMA_INVALID:
        assert not report.accepted and rules == {XSD_RULE}
        assert "AdditionalDocumentReference" in report.errors[0].message
        return
    assert report.accepted == (row["verdict_for_own_profile"] == "PASS"), report.reasons
    assert set(row["fatal_rules_own_profile"].split()) <= rules
    if row["verdict_for_own_profile"] == "EXCEPTION":
        assert RULES_EXCEPTION in rules


@pytest.mark.parametrize("row", [r for r in expected_rows() if r["warnings_any"]], ids=lambda r: r["file"])
def test_warnings_are_kept_and_reported(row):
    report = validate((UBL_CORPUS / row["file"]).read_bytes())
    own_profile_warnings = {f.rule for f in report.warnings}
    # warnings_any spans all three rulesets; the document's own profile reports a subset of them.
    assert own_profile_warnings <= set(row["warnings_any"].split())
    if row["verdict_for_own_profile"] == "PASS" and row["file"] not in SCHEMA_INVALID:
        assert report.accepted


def test_a_warning_does_not_reject():
    report = validate(corpus_bytes("valid/SI-UBL-2.0_BR-NL-20_warning_taxpointdate.xml"))
    assert report.accepted and report.errors == ()
    assert [(f.rule, f.flag) for f in report.warnings] == [("BR-NL-20", "warning")]


INVALID = sorted(p.name for p in (UBL_CORPUS / "invalid").glob("*.xml"))


@pytest.mark.parametrize("name", INVALID)
def test_each_invalid_file_is_refused_with_the_rule_in_its_name(name):
    report = validate((UBL_CORPUS / "invalid" / name).read_bytes())
    assert not report.accepted
    match = re.match(r"SI-UBL-2\.0_(?:(.+?)_)?error", name)
    assert match
    rule = match.group(1)
    rules = {f.rule for f in report.errors}
    if rule == "UBL-SR-09":
        # The official CEN and SI-UBL stylesheets raise XPTY0004 on two RegistrationNames: a refusal too.
        (error,) = report.errors
        assert error.rule == RULES_EXCEPTION
        assert "SI-UBL 2.0" in error.message and "more than one item" in error.message
    elif rule is None:
        assert "BR-01" in rules  # no CustomizationID at all
    else:
        assert rule in rules


@pytest.mark.parametrize("name", sorted(p.name for p in (UBL_CORPUS / "non-cius").glob("*.xml")))
def test_plain_ubl_documents_are_refused_as_not_en16931_with_reasons(name):
    report = validate((UBL_CORPUS / "non-cius" / name).read_bytes())
    assert not report.accepted
    assert report.customization_id is None and report.profile == "cen"
    rules = {f.rule for f in report.errors}
    if name == "UBL-FreightInvoice-2.1-Example.xml":
        assert "not_an_invoice" in rules and report.document_type == "FreightInvoice"
    else:
        assert "BR-01" in rules  # "An Invoice shall have a Specification identifier"
    assert all(f.message and f.xpath.startswith("/") for f in report.errors)


def test_findings_name_the_offending_node_in_readable_xpath():
    report = validate(corpus_bytes("invalid/SI-UBL-2.0_BR-NL-3_error_no_city.xml"))
    (finding,) = [f for f in report.errors if f.rule == "BR-NL-3"]
    assert finding.flag == "fatal"
    assert finding.xpath.startswith("/Invoice[1]/cac:AccountingSupplierParty[1]")
    assert "namespace-uri()" not in finding.xpath


def test_warn_mode_reports_fatal_findings_but_accepts():
    data = corpus_bytes("invalid/SI-UBL-2.0_BR-NL-3_error_no_city.xml")
    report = validate(data, mode="warn")
    assert report.accepted
    assert "BR-NL-3" in {f.rule for f in report.errors}


def test_off_mode_only_checks_it_is_a_safe_invoice():
    report = validate(corpus_bytes("invalid/SI-UBL-2.0_BR-NL-3_error_no_city.xml"), mode="off")
    assert report.accepted and report.errors == () and report.document_type == "Invoice"
    assert report.profile == "siubl"


def test_unknown_mode_is_a_programming_error():
    with pytest.raises(ValueError):
        validate(b"<x/>", mode="lenient")


@pytest.mark.parametrize(
    ("customization", "expected"),
    [
        ("urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0", ("peppol", ("cen", "peppol"))),
        ("urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0", ("siubl", ("siubl",))),
        ("urn:cen.eu:en16931:2017", ("cen", ("cen",))),
        (None, ("cen", ("cen",))),
    ],
)
def test_ruleset_is_chosen_by_customization_id(customization, expected):
    assert profile_for(customization) == expected


def test_concurrent_threads_get_the_same_verdicts_as_one_thread():
    from concurrent.futures import ThreadPoolExecutor

    names = [r["file"] for r in expected_rows()][::6]
    alone = {name: validate((UBL_CORPUS / name).read_bytes()) for name in names}
    with ThreadPoolExecutor(max_workers=4) as threads:
        together = list(threads.map(lambda n: (n, validate((UBL_CORPUS / n).read_bytes())), names * 3))
    assert all(report == alone[name] for name, report in together)
