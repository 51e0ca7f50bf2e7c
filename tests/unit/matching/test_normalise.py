"""Normalisation of names, IBANs, postal codes and identifiers: the keys matching compares."""
from __future__ import annotations

import pytest

from server.masterdata.normalise import (
    identifiers_agree,
    is_valid_iban,
    normalise_city,
    normalise_iban,
    normalise_identifier,
    normalise_name,
    normalise_postal_code,
)


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Jansen Kantoorartikelen B.V.", "jansen kantoorartikelen"),
        ("JANSEN KANTOORARTIKELEN BV", "jansen kantoorartikelen"),
        ("jansen  kantoorartikelen, b.v.", "jansen kantoorartikelen"),
        ("Philips N.V.", "philips"),
        ("Bakker & Zonen V.O.F.", "bakker zonen"),
        ("Müller GmbH & Co. KG", "muller"),
        ("Acme, Inc.", "acme"),
        ("Widgets Ltd", "widgets"),
        ("Société Générale S.A.", "societe generale"),
        ("Nordisk A/S", "nordisk"),
        ("Café 't Hoekje", "cafe t hoekje"),
        ("B.V.", "bv"),
        ("", ""),
        (None, ""),
    ],
)
def test_company_names_in_any_spelling_share_one_key(written: str | None, key: str) -> None:
    assert normalise_name(written) == key


def test_legal_form_in_the_middle_of_a_name_is_kept() -> None:
    assert normalise_name("BV Nederland Holding") == "bv nederland holding"


@pytest.mark.parametrize(
    ("written", "valid"),
    [
        ("NL91ABNA0417164300", True),
        ("nl91 abna 0417 1643 00", True),
        ("NL91-ABNA-0417-1643-00", True),
        ("GB29 NWBK 6016 1331 9268 19", True),
        ("DE89 3704 0044 0532 0130 00", True),
        ("NL91ABNA0417164301", False),  # checksum
        ("NL91ABNA041716430", False),  # one digit short for NL
        ("IBAN32423940", False),
        ("", False),
    ],
)
def test_iban_is_checked_by_length_and_checksum(written: str, valid: bool) -> None:
    assert is_valid_iban(written) is valid


def test_iban_spacing_and_case_do_not_matter() -> None:
    assert normalise_iban(" nl91 abna 0417.1643.00 ") == "NL91ABNA0417164300"


@pytest.mark.parametrize(
    ("written", "key"),
    [("1234 ab", "1234AB"), ("1234AB", "1234AB"), ("1234-ab", "1234AB"), ("NL-1234 AB", "1234AB"),
     ("SW1A 1AA", "SW1A1AA"), ("456 34", "45634"), ("D-10115", "10115"), ("B-1000", "1000"), ("", ""), (None, "")],
)  # fmt: skip
def test_postal_codes_share_one_key(written: str | None, key: str) -> None:
    assert normalise_postal_code(written) == key


def test_cities_compare_without_case_accents_or_punctuation() -> None:
    assert normalise_city("'s-Hertogenbosch") == normalise_city("S HERTOGENBOSCH") == "s hertogenbosch"
    assert normalise_city("Zürich") == "zurich"


@pytest.mark.parametrize(
    ("left", "right", "agree"),
    [
        (("KVK", "1234 5678"), ("0106", "12345678"), True),
        (("0106", "12345678"), ("", "12345678"), True),
        (("0088", "12345678"), ("0106", "12345678"), False),
        (("9944", "NL123456789B01"), ("VAT", "nl 123456789 b01"), True),
        (("0106", "NL123456789B01"), ("VAT", "NL123456789B01"), True),
        (("0190", "NL123456789B01"), ("0106", "NL123456789B01"), False),
        (("0106", "12345678"), ("0106", "12345679"), False),
        (("0106", ""), ("0106", ""), False),
    ],
)
def test_identifiers_agree_on_value_and_compatible_scheme(
    left: tuple[str, str], right: tuple[str, str], agree: bool
) -> None:
    assert identifiers_agree(normalise_identifier(*left), normalise_identifier(*right)) is agree
