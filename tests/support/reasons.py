"""Recognise a matching reason as the matcher writes it in English (server.masterdata.reasons.ENGLISH), so a
page test can say that a Dutch page shows none."""
from __future__ import annotations

import re
import string

from server.masterdata.reasons import ENGLISH


def _pattern(template: str) -> re.Pattern[str]:
    parts = string.Formatter().parse(template)
    return re.compile("".join(re.escape(text) + (".+" if name else "") for text, name, _, _ in parts) + "$")


PATTERNS = tuple(_pattern(template) for template in ENGLISH.values())


def is_english_reason(text: str) -> bool:
    """Whether the text is one of the matcher's English sentences (with any values)."""
    return any(p.match(text) for p in PATTERNS)
