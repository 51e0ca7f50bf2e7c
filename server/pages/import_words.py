"""A master-data import in the reader's language: its status and each refused row's problems.

The API and the CLI show each problem's English message beside its code and values; the page says
the problem from the code and values (server.masterdata.problems.MESSAGES has every code), so no
English reaches a Dutch page. A problem stored before the codes existed has none: its English message
is shown as it was. Column names stay as written in the file (they are the file's own words)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from server.pages.words import N_

STATUSES = (N_("queued"), N_("running"), N_("done"), N_("refused"), N_("failed"))

# code -> what is wrong, said after the column's name; `%(name)s` are the problem's values.
PROBLEM_WORDS = {
    "missing_field": N_("is required"),
    "too_long": N_("is longer than %(limit)s characters"),
    "not_number": N_("'%(value)s' is not a number"),
    "not_date": N_("'%(value)s' is not a date (YYYY-MM-DD)"),
    "not_flag": N_("'%(value)s' is not yes or no"),
    "identifier_form": N_("'%(value)s' is not scheme:value"),
    "identifier_incomplete": N_("%(value)s needs a scheme and a value"),
    "identifier_too_long": N_("%(value)s is too long"),
    "bad_country": N_("must be a two-letter ISO 3166 code"),
    "bad_email": N_("is not an e-mail address"),
    "bad_iban": N_("%(value)s is not a valid IBAN"),
    "bad_bic": N_("%(value)s is not a valid BIC"),
    "bad_status": N_("must be one of %(allowed)s"),
    "not_positive": N_("must be more than zero"),
    "negative": N_("must not be negative"),
    "zero": N_("must not be zero"),
    "bad_pattern": N_("is not a regular expression: %(reason)s"),
    "duplicate_key": N_("repeats %(key)s of line %(first_line)s"),
    "second_preferred": N_("is a second preferred account of supplier %(key)s (line %(first_line)s)"),
    "unknown_supplier": N_("supplier %(value)s not found"),
    "unknown_order": N_("purchase order %(value)s not found"),
    "not_saved": N_("could not be saved: %(reason)s"),
    "not_utf8": N_("the file is not UTF-8 text"),
    "empty_file": N_("the file is empty"),
    "unreadable_csv": N_("unreadable CSV: %(reason)s"),
    "unknown_column": N_("is an unknown column"),
    "missing_column": N_("is a required column"),
    "too_many_fields": N_("has %(count)s fields, the header %(columns)s"),
}


def status_words() -> dict[str, str]:
    """Every import status in the reader's language (what the polling script shows)."""
    return {status: _(status) for status in STATUSES}


def problem_words(found: Mapping[str, Any]) -> str:
    """What is wrong (said after the column's name, which the page shows as written), in the reader's language."""
    text = PROBLEM_WORDS.get(str(found.get("code") or ""))
    if text:
        try:
            return _(text, **dict(found.get("values") or {}))
        except (KeyError, TypeError, ValueError):  # values not what the code names: its English message then
            pass
    return str(found.get("message") or "")
