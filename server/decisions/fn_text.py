"""FEEL string built-ins (DMN 1.5 §10.3.4.3); regular expressions run on RE2, in linear time.

A designer's pattern such as `(a+)+$` must not stall a worker: Python's `re` backtracks exponentially on
it, RE2 never does. XPath flags i, s, m, x and q are translated; what RE2 cannot do (back-references,
look-around) gives null with a warning instead of an exception.
"""
from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Any

import re2

from server.decisions import runtime

MAX_PATTERN = 10_000
MAX_MEMORY = 32 << 20  # bytes RE2 may use for one compiled pattern


def text(value: Any) -> str | None:
    return value if type(value) is str else None


def _strings(fn: Any) -> Any:
    def wrapped(*args: Any) -> Any:
        # a singleton list where a string is expected is its item (DMN's implicit conversion)
        args = tuple(a[0] if isinstance(a, list) and len(a) == 1 else a for a in args)
        if not all(type(a) is str for a in args):
            raise TypeError("expects strings")
        return fn(*args)
    return wrapped


def substring(string: Any, start: Any, length: Any = None) -> str | None:
    if text(string) is None or type(start) is not Decimal or start == 0:
        raise TypeError("substring(string, start position, length)")
    points = string
    begin = int(start) - 1 if start > 0 else len(points) + int(start)
    begin = max(begin, 0)
    if length is None:
        return points[begin:]
    if type(length) is not Decimal or length < 0:
        raise TypeError("length must be a non-negative number")
    return points[begin:begin + int(length)]


def _strip_free_spacing(pattern: str) -> str:
    """XPath's x flag: whitespace is removed before the pattern is read (even after a backslash)."""
    out, in_class = [], False
    for ch in pattern:
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        if in_class or not ch.isspace():
            out.append(ch)
    return "".join(out)


_BLOCKS = {"IsBasicLatin": "\\x00-\\x7F", "IsLatin-1Supplement": "\\x80-\\xFF",
           "IsGreek": "\\x{370}-\\x{3FF}", "IsCyrillic": "\\x{400}-\\x{4FF}"}


_SUBTRACTION = re.compile(r"\[([^\[\]\\]+)-\[([^\[\]\\]+)\]\]")


def _members(body: str) -> set[str]:
    chars, i = set(), 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            if ord(body[i + 2]) - ord(body[i]) > 1024:
                raise ValueError("character class too large to subtract")
            chars |= {chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1)}
            i += 3
        else:
            chars.add(body[i])
            i += 1
    return chars


def _subtract_classes(pattern: str) -> str:
    """XPath's `[A-Z-[OI]]` (class subtraction, which RE2 lacks) as the explicit class, for plain classes."""
    def expand(match: re.Match[str]) -> str:
        if match[1].startswith("^") or match[2].startswith("^"):
            raise ValueError("negated class subtraction is not supported")
        kept = sorted(_members(match[1]) - _members(match[2]))
        if not kept:
            raise ValueError("the subtraction leaves an empty class")
        return "[" + "".join(c if c.isalnum() else f"\\x{{{ord(c):x}}}" for c in kept) + "]"
    return _SUBTRACTION.sub(expand, pattern)


def _translate(pattern: str, dot_all: bool) -> str:
    """XPath regex syntax RE2 reads differently: `.` excludes \\r too, \\p{IsBlock}, no \\0 escape."""
    pattern = _subtract_classes(pattern)
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1:i + 2]
            if nxt == "0":
                raise ValueError("\\0 is not an XPath escape")
            block = re.match(r"\\[pP]\{(Is[A-Za-z0-9-]+)\}", pattern[i:])
            if block and block[1] in _BLOCKS:
                negate = "^" if pattern[i + 1] == "P" else ""
                out.append(_BLOCKS[block[1]] if in_class and not negate else f"[{negate}{_BLOCKS[block[1]]}]")
                i += len(block[0])
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "." and not in_class and not dot_all:
            out.append("[^\\n\\r]")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=256)
def regex(pattern: str, flags: str) -> Any:
    """A compiled RE2 pattern for an XPath pattern and flags; ValueError when it cannot be one."""
    if len(pattern) > MAX_PATTERN:
        raise ValueError("pattern too long")
    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_MEMORY
    prefix = ""
    for flag in flags:
        if flag == "i":
            options.case_sensitive = False
        elif flag == "s":
            options.dot_nl = True
        elif flag == "m":
            prefix = "(?m)"
        elif flag == "x":
            pattern = _strip_free_spacing(pattern)
        elif flag == "q":
            pattern = re.escape(pattern)
        else:
            raise ValueError(f"unknown regular expression flag {flag!r}")
    if "q" not in flags:
        pattern = _translate(pattern, "s" in flags)
    try:
        return re2.compile(prefix + pattern, options=options)
    except re2.error as exc:
        raise ValueError(f"not a supported regular expression: {exc}") from None


def _compiled(pattern: Any, flags: Any) -> Any:
    if text(pattern) is None or (flags is not None and text(flags) is None):
        raise TypeError("pattern and flags must be strings")
    return regex(pattern, flags or "")


def matches(string: Any, pattern: Any, flags: Any = None) -> bool | None:
    compiled = _compiled(pattern, flags)
    if text(string) is None:
        raise TypeError("input must be a string")
    return compiled.search(string) is not None


def _template(replacement: str) -> str:
    out, i = [], 0
    while i < len(replacement):
        ch = replacement[i]
        if ch == "\\":
            nxt = replacement[i + 1:i + 2]
            if nxt not in ("\\", "$"):
                raise ValueError("a backslash in a replacement must escape \\ or $")
            out.append("\\\\" if nxt == "\\" else "$")
            i += 2
        elif ch == "$":
            digits = re.match(r"\d+", replacement[i + 1:])
            if not digits:
                raise ValueError("$ in a replacement must be followed by a group number")
            out.append("\\g<" + digits[0][:1] + ">")
            out.append(digits[0][1:])
            i += 1 + len(digits[0])
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def replace(string: Any, pattern: Any, replacement: Any, flags: Any = None) -> str | None:
    compiled = _compiled(pattern, flags)
    if text(string) is None or text(replacement) is None:
        raise TypeError("input and replacement must be strings")
    if compiled.fullmatch("") is not None:
        raise ValueError("the pattern matches an empty string")
    template = _template(replacement)
    groups = compiled.groups
    if any(int(d) > groups for d in re.findall(r"\\(\d)", template.replace("\\\\", ""))):
        template = re.sub(r"\\(\d)", lambda m: m[0] if int(m[1]) <= groups else "", template)
    result = compiled.sub(template, string)
    if len(result) > 10_000_000:
        raise ValueError("result too long")
    return result


def split(string: Any, delimiter: Any) -> list[str] | None:
    compiled = _compiled(delimiter, None)
    if text(string) is None:
        raise TypeError("string must be a string")
    if compiled.fullmatch("") is not None:
        raise ValueError("the delimiter matches an empty string")
    parts = compiled.split(string)
    runtime.check_items(len(parts))
    if compiled.groups:
        parts = parts[::compiled.groups + 1]
    return parts


def string_join(items: Any, delimiter: Any = "", prefix: Any = None, suffix: Any = None) -> str | None:
    if type(items) is str:
        items = [items]  # a single value where a list is expected is a list of one
    if not isinstance(items, list) or (delimiter is not None and text(delimiter) is None):
        raise TypeError("string join(list, delimiter)")
    parts = [i for i in items if i is not None]
    if not all(type(p) is str for p in parts):
        raise TypeError("string join() needs a list of strings")
    runtime.check_items(len(parts))
    return (delimiter or "").join(parts)


FUNCTIONS: dict[str, tuple[Any, tuple[tuple[str, ...], ...], int]] = {
    "string length": (_strings(lambda s: Decimal(len(s))), (("string",),), 0),
    "upper case": (_strings(str.upper), (("string",),), 0),
    "lower case": (_strings(str.lower), (("string",),), 0),
    "substring": (substring, (("string", "start position", "length"),), 1),
    "substring before": (_strings(lambda s, m: s[:s.find(m)] if m in s else ""), (("string", "match"),), 0),
    "substring after": (_strings(lambda s, m: s[s.find(m) + len(m):] if m in s else ""),
                        (("string", "match"),), 0),
    "starts with": (_strings(str.startswith), (("string", "match"),), 0),
    "ends with": (_strings(str.endswith), (("string", "match"),), 0),
    "contains": (_strings(lambda s, m: m in s), (("string", "match"),), 0),
    "matches": (matches, (("input", "pattern", "flags"),), 1),
    "replace": (replace, (("input", "pattern", "replacement", "flags"),), 1),
    "split": (split, (("string", "delimiter"),), 0),
    "string join": (string_join, (("list", "delimiter"),), 1),
}

__all__ = ["FUNCTIONS", "regex"]
