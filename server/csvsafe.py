"""Cells for every CSV the server writes: text a spreadsheet would run as a formula is defused.

Audit entries and master data carry text that users, designers and senders chose (a supplier name,
a business key, a note). Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`,
`-` or `@` as a formula (and strip a leading tab or carriage return first), which can read other
cells, open links or start programs (`=HYPERLINK(...)`, DDE `=cmd|'/c calc'!A1`). Such text gets a
leading apostrophe, as OWASP advises; a plain number such as `-12.50` cannot be a formula and stays.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def cell(value: Any) -> Any:
    """`value` as written to a CSV cell: a formula-looking string prefixed with `'`, anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def row(values: Iterable[Any]) -> list[Any]:
    """A CSV record with every cell passed through `cell`."""
    return [cell(value) for value in values]
