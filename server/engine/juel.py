"""Camunda 7 JUEL (`${...}` / `#{...}`) translated to FEEL at deploy: the common subset, nothing more.

Translated: literals (numbers, 'strings', "strings", true, false, null), names and property paths
(`a.b`, `a['b']`, `a[0]`), comparisons (`== != < > <= >=`, `eq ne lt gt le ge`), `&& || !` and
`and or not`, arithmetic (`+ - * /`, `div`), `empty x` and the conditional `c ? a : b`.
Everything else (method calls, functions, lambdas, assignment, composite text around `${}`) is
refused with a JuelError naming the construct, so the model is refused at deploy.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!?:.()\[\]+\-*/%,])
""", re.VERBOSE)
# FEEL words a JUEL name cannot be translated to (they would change the meaning of the FEEL text).
_FEEL_WORDS = frozenset({"if", "then", "else", "for", "in", "return", "some", "every", "satisfies", "between",
                         "instance", "of", "function", "item"})
_COMPARE = {"==": "=", "eq": "=", "!=": "!=", "ne": "!=", "<": "<", "lt": "<", ">": ">", "gt": ">",
            "<=": "<=", "le": "<=", ">=": ">=", "ge": ">="}
_REFUSED_WORDS = frozenset({"mod", "%"})
# Real expressions nest a few levels; a hostile one must not exhaust the recursion limit at deploy.
MAX_NESTING = 40
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*")


class JuelError(ValueError):
    """A JUEL expression outside the translated subset (the message names what is not supported)."""


@dataclass(frozen=True)
class _Tok:
    kind: str
    value: str
    at: int


def is_juel(text: str) -> bool:
    """Whether the text is written as a JUEL expression (`${...}` or `#{...}`, possibly with text around)."""
    return "${" in text or "#{" in text


def to_feel(text: str) -> str:
    """The FEEL equivalent of one JUEL expression `${...}` / `#{...}`; JuelError when outside the subset."""
    source = text.strip()
    if not (source[:2] in ("${", "#{") and source.endswith("}") and _single(source)):
        raise JuelError("only a single ${...} expression is supported, not text around or between expressions")
    body = source[2:-1]
    if not body.strip():
        raise JuelError("the expression is empty")
    parser = _Parser(_tokens(body))
    result = parser.ternary()
    if parser.peek().kind != "eof":
        parser.fail(f"unexpected {parser.peek().value!r}")
    return result


def _single(source: str) -> bool:
    """True when the first `{` is closed by the final `}` (quotes respected)."""
    depth, quote, i = 0, "", 1
    while i < len(source):
        ch = source[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i == len(source) - 1
        i += 1
    return False


def _tokens(body: str) -> list[_Tok]:
    tokens, pos = [], 0
    while pos < len(body):
        match = _TOKEN.match(body, pos)
        if match is None:
            raise JuelError(f"unexpected character {body[pos]!r} at position {pos + 1}")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Tok(kind, match.group(), pos + 1))
        pos = match.end()
    tokens.append(_Tok("eof", "end of expression", len(body) + 1))
    return tokens


def _feel_string(raw: str) -> str:
    inner, out, i = raw[1:-1], [], 0
    while i < len(inner):
        ch = inner[i]
        if ch == "\\" and i + 1 < len(inner):
            i += 1
            ch = inner[i]
        out.append(ch)
        i += 1
    value = "".join(out)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Parser:
    def __init__(self, tokens: list[_Tok]):
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, *values: str) -> bool:
        tok = self.peek()
        return tok.kind in ("op", "name") and tok.value in values

    def fail(self, reason: str) -> None:
        raise JuelError(f"{reason} at position {self.peek().at}")

    def expect(self, value: str) -> None:
        if not self.at(value):
            self.fail(f"expected {value!r}, found {self.peek().value!r}")
        self.take()

    def ternary(self) -> str:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail("the expression nests too deeply")
        try:
            return self._ternary()
        finally:
            self.depth -= 1

    def _ternary(self) -> str:
        condition = self.disjunction()
        if not self.at("?"):
            return condition
        self.take()
        then = self.ternary()
        self.expect(":")
        otherwise = self.ternary()
        return f"(if {condition} then {then} else {otherwise})"

    def disjunction(self) -> str:
        left = self.conjunction()
        while self.at("||", "or"):
            self.take()
            left = f"({left} or {self.conjunction()})"
        return left

    def conjunction(self) -> str:
        left = self.equality()
        while self.at("&&", "and"):
            self.take()
            left = f"({left} and {self.equality()})"
        return left

    def equality(self) -> str:
        left = self.relational()
        while self.at("==", "!=", "eq", "ne"):
            op = _COMPARE[self.take().value]
            left = f"({left} {op} {self.relational()})"
        return left

    def relational(self) -> str:
        left = self.additive()
        while self.at("<", ">", "<=", ">=", "lt", "gt", "le", "ge"):
            op = _COMPARE[self.take().value]
            left = f"({left} {op} {self.additive()})"
        if self.at("instanceof"):
            self.fail("'instanceof' is not supported")
        return left

    def additive(self) -> str:
        left = self.multiplicative()
        while self.at("+", "-"):
            op = self.take().value
            left = f"({left} {op} {self.multiplicative()})"
        return left

    def multiplicative(self) -> str:
        left = self.unary()
        while self.at("*", "/", "div", "%", "mod"):
            tok = self.take()
            if tok.value in _REFUSED_WORDS:
                self.i -= 1
                self.fail(f"{tok.value!r} is not supported")
            op = "/" if tok.value == "div" else tok.value
            left = f"({left} {op} {self.unary()})"
        return left

    def unary(self) -> str:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail("the expression nests too deeply")
        try:
            return self._unary()
        finally:
            self.depth -= 1

    def _unary(self) -> str:
        if self.at("!", "not"):
            self.take()
            return f"not({self.unary()})"
        if self.at("-"):
            self.take()
            return f"(-{self.unary()})"
        if self.at("empty"):
            self.take()
            x = self.unary()
            if not _PATH.fullmatch(x):
                self.fail("'empty' is supported on a name or property path only")
            return (f"(if {x} = null then true else if {x} instance of string then {x} = \"\" "
                    f"else if {x} instance of list then count({x}) = 0 "
                    f"else if {x} instance of context then {x} = {{}} else false)")
        return self.postfix()

    def postfix(self) -> str:
        value = self.primary()
        while True:
            if self.at("."):
                self.take()
                tok = self.take()
                if tok.kind != "name":
                    self.i -= 1
                    self.fail("expected a property name after '.'")
                value = f"{value}.{self._name(tok)}"
            elif self.at("["):
                self.take()
                tok = self.take()
                if tok.kind == "str":
                    key = _feel_string(tok.value)[1:-1]
                    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) or key in _FEEL_WORDS:
                        self.i -= 1
                        self.fail(f"the property name {key!r} cannot be translated")
                    value = f"{value}.{key}"
                elif tok.kind == "num" and tok.value.isdigit():
                    value = f"{value}[{int(tok.value) + 1}]"
                else:
                    self.i -= 1
                    self.fail("only a literal property name or index is supported inside [ ]")
                self.expect("]")
            elif self.at("("):
                self.fail("method and function calls are not supported")
            else:
                return value

    def primary(self) -> str:
        tok = self.peek()
        if tok.kind == "num":
            self.take()
            return tok.value
        if tok.kind == "str":
            self.take()
            return _feel_string(tok.value)
        if tok.kind == "name":
            if tok.value in ("true", "false", "null"):
                self.take()
                return tok.value
            self.take()
            if self.at(":") and self.tokens[self.i + 1].kind == "name":
                self.i -= 1
                self.fail("functions (prefix:name) are not supported")
            return self._name(tok)
        if self.at("("):
            self.take()
            inner = self.ternary()
            self.expect(")")
            return f"({inner})"
        self.fail(f"expected a value, found {tok.value!r}")
        raise AssertionError  # pragma: no cover - fail() raises

    def _name(self, tok: _Tok) -> str:
        reserved = {"and", "or", "not", "eq", "ne", "lt", "gt", "le", "ge", "div", "mod", "empty",
                    "instanceof", "true", "false", "null"}
        if tok.value in reserved:
            self.i -= 1
            self.fail(f"unexpected {tok.value!r}")
        if "$" in tok.value or tok.value in _FEEL_WORDS:
            self.i -= 1
            self.fail(f"the name {tok.value!r} cannot be translated to FEEL")
        return tok.value
