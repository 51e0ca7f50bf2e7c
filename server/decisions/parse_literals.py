"""The parts of the FEEL grammar that build literals: types, function definitions, ranges, lists, contexts.

A mixin of parser._Parser (token helpers and `expression()` come from there).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from server.decisions.lexer import KEYWORDS, Token

Node = tuple[Any, ...]


class LiteralParser:
    """Types, `function(...)`, `@"..."`, `( )`, `[ ]`, ranges and `{ }` contexts."""

    text: str
    tokens: list[Any]
    i: int
    range_end: bool

    if TYPE_CHECKING:  # the token helpers parser._Parser defines, declared for the type checker
        def peek(self, ahead: int = 0) -> Token: ...
        def advance(self, count: int = 1) -> Token: ...
        def at_op(self, *ops: str) -> bool: ...
        def at_name(self, word: str) -> bool: ...
        def expect_op(self, op: str) -> None: ...
        def fail(self, reason: str) -> NoReturn: ...
        def plain_name(self) -> str: ...
        def expression(self) -> Node: ...

    # types -------------------------------------------------------------------------------------
    def type_spec(self) -> Node:
        token = self.peek()
        if token.kind != "name":
            self.fail("expected a type name")
        word = str(token.value)
        if word in ("list", "range") and self.peek(1).value == "<":
            self.advance(2)
            inner = self.type_spec()
            self.expect_op(">")
            return (word, inner)
        if word == "context" and self.peek(1).value == "<":
            self.advance(2)
            fields: list[tuple[str, Node]] = []
            while not self.at_op(">"):
                if fields:
                    self.expect_op(",")
                key = self.plain_name()
                self.expect_op(":")
                fields.append((key, self.type_spec()))
            self.advance()
            return ("context", tuple(fields))
        if word == "function" and self.peek(1).value == "<":
            self.advance(2)
            params: list[Node] = []
            while not self.at_op(">"):
                if params:
                    self.expect_op(",")
                params.append(self.type_spec())
            self.advance()
            self.expect_op("-")
            self.expect_op(">")
            return ("function", tuple(params), self.type_spec())
        parts: list[str] = []
        while self.peek().kind == "name" and (not parts or self.peek().value not in KEYWORDS - {"and"}):
            parts.append(str(self.advance().value))
            if self.at_op("."):  # a qualified name: import.tType
                self.advance()
                parts[-1] += "."
        return ("type", " ".join(parts).replace(". ", "."))

    def function_definition(self) -> Node:
        self.advance(2)
        params: list[tuple[str, Node | None]] = []
        while not self.at_op(")"):
            if params:
                self.expect_op(",")
            name = self.plain_name()
            kind = None
            if self.at_op(":"):
                self.advance()
                kind = self.type_spec()
            params.append((name, kind))
        self.advance()
        if self.at_name("external"):
            self.advance()
            return ("fn", tuple(params), ("external", self.expression()))
        return ("fn", tuple(params), self.expression())

    def at_literal(self) -> Node:
        self.advance()
        if self.peek().kind != "str":
            self.fail("expected a string after '@'")
        return ("at", self.advance().value)

    def parenthesized(self) -> Node:
        self.advance()
        first = self.expression()
        if self.at_op(".."):
            return self.range_rest(False, first)
        self.expect_op(")")
        return first

    def bracketed(self) -> Node:
        self.advance()
        if self.at_op("]"):
            self.advance()
            return ("list", [])
        first = self.expression()
        if self.at_op(".."):
            return self.range_rest(True, first)
        items = [first]
        while self.at_op(","):
            self.advance()
            items.append(self.expression())
        self.expect_op("]")
        return ("list", items)

    def open_range(self) -> Node:
        self.advance()
        return self.range_rest(False, self.expression())

    def range_rest(self, low_closed: bool, low: Node) -> Node:
        self.expect_op("..")
        self.range_end = True
        try:
            high = self.expression()
        finally:
            self.range_end = False
        if not self.at_op("]", "[", ")"):
            self.fail("expected ']', '[' or ')' to close the range")
        high_closed = self.advance().value == "]"
        return ("range", low, high, low_closed, high_closed)

    def context(self) -> Node:
        self.advance()
        entries: list[tuple[str, Node]] = []
        while not self.at_op("}"):
            if entries:
                self.expect_op(",")
            token = self.peek()
            if token.kind == "str" and self.peek(1).value == ":":
                key = str(self.advance().value)
            else:
                start = self.i
                while not self.at_op(":") and self.peek().kind != "eof":
                    self.advance()
                if self.i == start:
                    self.fail("expected a context key")
                key = self.text[self.tokens[start].pos:self.tokens[self.i - 1].end].strip()
            self.expect_op(":")
            entries.append((str(key), self.expression()))
        self.advance()
        return ("context", entries)
