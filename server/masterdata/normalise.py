"""Pure normalisation of names, IBANs, postal codes, cities and party identifiers for matching.

Master data stores the normalised forms beside the raw values, so matching compares keys, never
free text. Decisions:
- Names: letters of every script kept (Greek, Cyrillic, Nordic, accented Latin), accents stripped,
  case folded, letters without a decomposition spelled out (ø -> o, æ -> ae, ß -> ss, đ -> d, ł -> l,
  œ -> oe, þ -> th), dots and apostrophes dropped (so "B.V." and "BV" agree), other punctuation
  becomes a space, and leading (ООО) and trailing legal-form words are removed ("Jansen B.V.",
  "JANSEN BV" and "Jansen" share the key "jansen"). A name that is nothing but a legal form keeps it.
- IBAN: spaces, dashes and dots removed, upper case; valid when the country's length (for the
  countries listed below; 15-34 characters otherwise) and the ISO 13616 mod-97 checksum hold.
- Postal codes: upper case without spaces or dashes ("1234 ab" -> "1234AB", "SW1A 1AA" -> "SW1A1AA");
  a leading country prefix such as "NL-" or "D-" is dropped.
- Identifiers: schemes upper case with a few names mapped to their ISO 6523 / EAS codes
  (KVK -> 0106, GLN -> 0088, OIN -> 0190, DUNS -> 0060); values upper case without spaces, dots or
  dashes. Two identifiers agree when their values agree and their schemes agree, or either scheme is
  unknown, or the value is a VAT number (it carries its country prefix) under "VAT" or an EAS 99xx
  tax scheme on either side (NL:VAT 9944 and the plain "VAT" scheme describe the same number).
"""

from __future__ import annotations

import re
import unicodedata

LEGAL_FORMS = frozenset((
    "bv", "nv", "vof", "cv", "bvba", "sprl", "cvba", "vzw", "ev", "gmbh", "mbh", "kg", "ag", "ug", "ohg",
    "gbr", "ltd", "limited", "plc", "llp", "llc", "inc", "incorporated", "corp", "corporation", "co",
    "company", "sa", "sas", "sarl", "srl", "spa", "sl", "slu", "ab", "as", "asa", "aps", "oy", "oyj", "se",
    "sc", "kft", "sro", "zrt", "pty", "lp", "αε", "επε", "ικε", "οε", "εε",
))  # fmt: skip
# Forms written before the name (Russian and Ukrainian: ООО "Ромашка", ТОВ ...).
LEADING_FORMS = frozenset(("ооо", "оао", "зао", "пао", "ао", "тов", "пат", "ип"))
SCHEME_ALIASES = {"KVK": "0106", "COC": "0106", "GLN": "0088", "OIN": "0190", "DUNS": "0060"}
VAT_SCHEME = "VAT"
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GI": 23, "GL": 18, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19,
    "SK": 24, "SM": 27,
}  # fmt: skip

_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_VAT_SHAPE = re.compile(r"^[A-Z]{2}[A-Z0-9]{6,14}$")
_COUNTRY_PREFIX = re.compile(r"^[A-Z]{1,3}-(?=[0-9])")
# Latin letters NFKD leaves whole; spelled as a reader without the key on the keyboard types them.
_SPELLED = str.maketrans({"ø": "o", "æ": "ae", "đ": "d", "ð": "d", "ł": "l", "œ": "oe", "þ": "th", "ı": "i",
                          "ħ": "h", "ŧ": "t"})
_MULTI_WORD_FORMS = re.compile(r"\b(a/s|s\.?a\.?r\.?l\.?|s\.?p\.?a\.?|s\.?r\.?o\.?)(?=\W|$)")


_SEARCH_DROPPED = str.maketrans("", "", ".'\u2019")


_ASCII_GAPS = re.compile(r"[^0-9a-z]+")


def _ascii_words(text: str) -> str:
    """fold() of ASCII text, the common case (an ERP import runs it 10^5 times): no accents to strip,
    casefold is lower, and the letters and digits are a-z and 0-9."""
    return _ASCII_GAPS.sub(" ", text.lower().translate(_SEARCH_DROPPED)).strip()


def _unaccented_casefold(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def fold(text: str | None) -> str:
    """Case-folded text of any script without accents, "ø"/"æ"/"ß" spelled "o"/"ae"/"ss", dots and
    apostrophes dropped, any other character that is not a letter or digit turned into single spaces."""
    if not text:
        return ""
    if text.isascii():
        return _ascii_words(text)
    plain = _unaccented_casefold(text).translate(_SPELLED).translate(_SEARCH_DROPPED)
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain).split())


def search_key(text: str | None) -> str:
    """Text as a prefix search compares it: accents stripped and case folded as fold() does, dots and
    apostrophes dropped, other punctuation a single space, letters of every script kept but "ø" and "æ"
    left as they are (the stored task-list keys of migration 0009), so "cafe" finds "Café"."""
    if not text:
        return ""
    if text.isascii():
        return _ascii_words(text)
    plain = _unaccented_casefold(text).translate(_SEARCH_DROPPED)
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain).split())


def normalise_name(name: str | None) -> str:
    """A company name's matching key: folded, legal-form suffixes removed ("Jansen B.V." -> "jansen")."""
    if not name:
        return ""
    decomposed = name.lower() if name.isascii() else unicodedata.normalize("NFKD", name).casefold()
    # Forms written with a slash or dots would split into letters before the suffix check.
    joined = _MULTI_WORD_FORMS.sub(lambda m: re.sub(r"[./]", "", m.group(1)), decomposed)
    words = fold(joined).split()
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    while len(words) > 1 and words[0] in LEADING_FORMS:
        words.pop(0)
    return " ".join(words)


def normalise_city(city: str | None) -> str:
    """A city's matching key: folded, so "'s-Hertogenbosch" and "S HERTOGENBOSCH" agree."""
    return fold(city)


def normalise_iban(value: str | None) -> str:
    """An IBAN without spaces, dashes or dots, in upper case (not checked; see `is_valid_iban`)."""
    if not value:
        return ""
    return re.sub(r"[\s.\-]", "", value).upper()


def is_valid_iban(value: str | None) -> bool:
    """Whether the value (in any spacing or case) is an IBAN with a correct length and checksum."""
    iban = normalise_iban(value)
    if not _IBAN_SHAPE.match(iban):
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def normalise_postal_code(value: str | None) -> str:
    """A postal code's matching key: upper case, no spaces or dashes, no "NL-" style prefix."""
    if not value:
        return ""
    code = value.strip().upper()
    code = _COUNTRY_PREFIX.sub("", code)
    return re.sub(r"[\s\-]", "", code)


def normalise_scheme(scheme: str | None) -> str:
    """An identifier scheme in upper case, common names mapped to their EAS code (KVK -> 0106)."""
    key = (scheme or "").strip().upper()
    return SCHEME_ALIASES.get(key, key)


def normalise_identifier_value(value: str | None) -> str:
    """An identifier value in upper case without spaces, dots or dashes."""
    if not value:
        return ""
    return re.sub(r"[\s.\-]", "", value).upper()


def normalise_identifier(scheme: str | None, value: str | None) -> tuple[str, str]:
    """A (scheme, value) pair in the form master data stores it."""
    return normalise_scheme(scheme), normalise_identifier_value(value)


def looks_like_vat(value: str) -> bool:
    """Whether a normalised value has the shape of a VAT number (two-letter country prefix)."""
    return bool(_VAT_SHAPE.match(value))


def identifiers_agree(left: tuple[str, str], right: tuple[str, str]) -> bool:
    """Whether two normalised identifiers name the same party (see the module docstring)."""
    (left_scheme, left_value), (right_scheme, right_value) = left, right
    if not left_value or left_value != right_value:
        return False
    if not left_scheme or not right_scheme or left_scheme == right_scheme:
        return True
    vat_schemes = [s for s in (left_scheme, right_scheme) if s == VAT_SCHEME or s.startswith("99")]
    return looks_like_vat(left_value) and bool(vat_schemes)


def normalise_email(value: str | None) -> str:
    """An e-mail address trimmed and in lower case."""
    return (value or "").strip().lower()
