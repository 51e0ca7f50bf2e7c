"""FEEL tokenizer: numbers, strings, names (including known names with spaces) and operators."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from server.decisions.errors import FeelSyntaxError

KEYWORDS = frozenset({"and", "or", "if", "then", "else", "between", "in", "instance", "of", "true",
                      "false", "null", "for", "some", "every", "satisfies", "return", "function", "external"})
_SPACE = re.compile(r"(?:\s|//[^\n]*|/\*.*?\*/)+", re.DOTALL)
_NUMBER = re.compile(r"(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
# The evaluation context's exponent limit (decimal's default Emax), far beyond FEEL's Decimal128 range.
_MAX_EXPONENT = 999_999
# Possessive: a plain alternation keeps a backtracking frame per character (1.4 GB for a 10 MB string).
_STRING = re.compile(r'"((?:[^"\\]++|\\.)*+)"', re.DOTALL)
_NAME = re.compile(r"(?:[^\W\d]|[\U00010000-\U000EFFFF])(?:\w|[\U00010000-\U000EFFFF])*")
_OPERATORS = ("..", "**", "<=", ">=", "!=", "=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", "{", "}",
              ",", ".", ":", "?", "@")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'"}


@dataclass(frozen=True, slots=True)
class Token:
    """One token: kind is 'num', 'str', 'name', 'op' or 'eof'."""

    kind: str
    value: object
    pos: int
    end: int


@lru_cache(maxsize=256)
def _known_pattern(names: frozenset[str]) -> re.Pattern[str] | None:
    """Names with spaces or symbols (`Monthly Salary`, `Student's name`) matched as one name token."""
    special = sorted((n for n in names if not _NAME.fullmatch(n) and n.strip()), key=len, reverse=True)
    if not special:
        return None
    parts = (r"\s+".join(re.escape(word) for word in name.split()) for name in special)
    return re.compile(r"(?:" + "|".join(parts) + r")(?!\w)")


def _unescape(body: str, pos: int) -> str:
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2:i + 6]):
            code = int(body[i + 2:i + 6], 16)
            i += 6
            low = body[i + 2:i + 6] if body[i:i + 2] == "\\u" else ""
            if 0xD800 <= code < 0xDC00 and re.fullmatch(r"[dD][c-fC-F][0-9a-fA-F]{2}", low):
                code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)  # a surrogate pair
                i += 6
            out.append(chr(code))
        elif nxt == "U" and re.fullmatch(r"(?:0[0-9a-fA-F]|10)[0-9a-fA-F]{4}", body[i + 2:i + 8]):
            out.append(chr(int(body[i + 2:i + 8], 16)))
            i += 8
        elif nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        else:  # keep unknown escapes such as \d, so regular expressions read naturally
            out.append(ch + nxt)
            i += 2
    return "".join(out)


def tokenize(text: str, known_names: frozenset[str] = frozenset()) -> list[Token]:
    """Tokens of a FEEL text; raises FeelSyntaxError on a character that starts no token."""
    known = _known_pattern(known_names)
    tokens: list[Token] = []
    pos, end = 0, len(text)
    while True:
        space = _SPACE.match(text, pos)
        if space:
            pos = space.end()
        if pos >= end:
            tokens.append(Token("eof", None, pos, pos))
            return tokens
        tokens.append(_next_token(text, pos, known))
        pos = tokens[-1].end


def _next_token(text: str, pos: int, known: re.Pattern[str] | None) -> Token:
    ch = text[pos]
    if ch == '"':
        match = _STRING.match(text, pos)
        if not match:
            raise FeelSyntaxError("unterminated string", position=pos)
        return Token("str", _unescape(match[1], pos + 1), pos, match.end())
    if ch.isdigit() or (ch == "." and pos + 1 < len(text) and text[pos + 1].isdigit()):
        match = _NUMBER.match(text, pos)
        # isdigit() also admits digits \d does not match ("²"); exponents past Decimal's range fail.
        try:
            value = Decimal(match[0]) if match else None
        except InvalidOperation:
            value = None
        if match is None or value is None:
            raise FeelSyntaxError("not a number", position=pos)
        if not -_MAX_EXPONENT <= value.adjusted() <= _MAX_EXPONENT:
            raise FeelSyntaxError("number out of range", position=pos)
        return Token("num", value, pos, match.end())
    if known is not None:
        match = known.match(text, pos)
        if match:
            return Token("name", " ".join(match[0].split()), pos, match.end())
    match = _NAME.match(text, pos)
    if match:
        return Token("name", match[0], pos, match.end())
    for op in _OPERATORS:
        if text.startswith(op, pos):
            return Token("op", op, pos, pos + len(op))
    raise FeelSyntaxError(f"unexpected character {ch!r}", position=pos)
