"""What can be wrong with a master-data row: a code, the values it names, and the English message.

Every problem is a dictionary {"field", "code", "values", "message"}: the code and values let a page
say it in the reader's language (server.pages.import_words), the message is the English sentence the
API and the CLI show beside them. An import's refused rows are kept as {"line", "problems": [...]};
imports stored before the codes existed hold one {"line", "field", "message"} per problem, which
`refused_rows` still reads (their problems have no code, so every edge shows their English message).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Problem = dict[str, Any]

# code -> English message; `{name}` placeholders are the problem's values.
MESSAGES: dict[str, str] = {
    "missing_field": "is required",
    "too_long": "is longer than {limit} characters",
    "not_number": "'{value}' is not a number",
    "not_date": "'{value}' is not a date (YYYY-MM-DD)",
    "not_flag": "'{value}' is not yes or no",
    "identifier_form": "'{value}' is not scheme:value",
    "identifier_incomplete": "{value} needs a scheme and a value",
    "identifier_too_long": "{value} is too long",
    "bad_country": "must be a two-letter ISO 3166 code",
    "bad_email": "is not an e-mail address",
    "bad_iban": "{value} is not a valid IBAN",
    "bad_bic": "{value} is not a valid BIC",
    "bad_status": "must be one of {allowed}",
    "not_positive": "must be more than zero",
    "negative": "must not be negative",
    "zero": "must not be zero",
    "bad_pattern": "is not a regular expression: {reason}",
    "duplicate_key": "repeats {key} of line {first_line}",
    "second_preferred": "is a second preferred account of supplier {key} (line {first_line})",
    "unknown_supplier": "supplier {value} not found",
    "unknown_order": "purchase order {value} not found",
    "not_saved": "could not be saved: {reason}",
    "not_utf8": "the file is not UTF-8 text",
    "empty_file": "the file is empty",
    "unreadable_csv": "unreadable CSV: {reason}",
    "unknown_column": "is an unknown column",
    "missing_column": "is a required column",
    "too_many_fields": "has {count} fields, the header {columns}",
}


def problem(code: str, field: str | None = None, **values: Any) -> Problem:
    """One problem of `field` (None: of the file or the whole row), its values and English message."""
    return {"field": field, "code": code, "values": values, "message": MESSAGES[code].format(**values)}


def at_line(line: int, found: Problem) -> Problem:
    """A problem as the flat list of an import names it: with its line first."""
    return {"line": line, **found}


def refused_rows(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Refused rows as {"line", "problems"} in line order, from either stored shape: rows (since the codes)
    or one flat {"line", "field", "message"} per problem (older imports), grouped here by line."""
    rows: dict[int, list[Problem]] = {}
    for entry in entries:
        line = int(entry.get("line") or 0)
        if "problems" in entry:
            rows.setdefault(line, []).extend(_stored(p) for p in entry["problems"])
        else:
            rows.setdefault(line, []).append(_stored(entry))
    return [{"line": line, "problems": found} for line, found in sorted(rows.items())]


def _stored(entry: Mapping[str, Any]) -> Problem:
    code = entry.get("code")
    return {"field": entry.get("field"), "code": code if code in MESSAGES else None,
            "values": dict(entry.get("values") or {}), "message": str(entry.get("message") or "")}


def flat(rows: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """The refused rows' problems one by one, each with its line (the list the API had before rows)."""
    return [at_line(row["line"], p) for row in rows for p in row["problems"]]
