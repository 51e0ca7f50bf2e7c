"""Recursive-descent FEEL parser: expressions and unary tests into a small tuple AST (never eval)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn

from server.decisions.errors import FeelSyntaxError
from server.decisions.lexer import KEYWORDS, Token, tokenize
from server.decisions.parse_literals import LiteralParser

Node = tuple[Any, ...]
_COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
# Nesting limits keep parsing, compiling and evaluating far from Python's recursion limit (hostile
# cells like 500 parentheses or `1+1+...` 100,000 times); real cells nest a few levels.
MAX_NESTING = 40
MAX_TREE_DEPTH = 120
_NAME_STOP = KEYWORDS - {"date", "time"}


def parse_expression(text: str, known_names: frozenset[str] = frozenset()) -> Node:
    """The AST of a FEEL expression (an input expression, output entry or literal expression)."""
    parser = _Parser(text, known_names)
    node = parser.expression()
    parser.expect_end()
    return _shallow(node)


def parse_unary_tests(text: str, known_names: frozenset[str] = frozenset()) -> Node:
    """The AST of a decision-table input entry: `-`, `not(...)` or a list of positive unary tests."""
    parser = _Parser(text, known_names)
    if parser.at_op("-") and parser.peek(1).kind == "eof":
        return ("ut_any",)
    if parser.at_name("not") and parser.peek(1).value == "(":
        saved = parser.i
        parser.advance(2)
        tests = parser.positive_tests()
        parser.expect_op(")")
        if parser.peek().kind == "eof":
            return _shallow(("ut_not", tests))
        parser.i = saved
    tests = parser.positive_tests()
    parser.expect_end()
    return _shallow(("ut_or", tests))


def parse_type(text: str) -> Node:
    """A FEEL type such as `number`, `list<string>`, `context<a: number>`, `function<number>->string`."""
    parser = _Parser(text, frozenset())
    node = parser.type_spec()
    parser.expect_end()
    return node


def _shallow(node: Node) -> Node:
    """The node, unless its tree is deeper than MAX_TREE_DEPTH (measured without recursion)."""
    stack: list[tuple[Any, int]] = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise FeelSyntaxError("the expression nests too deeply")
        stack.extend((child, depth + 1) for child in item if isinstance(child, (tuple, list)))
    return node


class _Parser(LiteralParser):
    def __init__(self, text: str, known_names: frozenset[str]):
        self.text = text
        self.tokens: list[Token] = tokenize(text, known_names)
        self.i = 0
        self.range_end = False  # while parsing `b` of `]a..b[`, a `[` closes the range
        self.depth = 0

    # token helpers -----------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self, count: int = 1) -> Token:
        token = self.tokens[self.i]
        self.i = min(self.i + count, len(self.tokens) - 1)
        return token

    def at_op(self, *ops: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.value in ops

    def at_name(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "name" and token.value == word

    def expect_op(self, op: str) -> None:
        if not self.at_op(op):
            self.fail(f"expected {op!r}")
        self.advance()

    def expect_word(self, word: str) -> None:
        if not self.at_name(word):
            self.fail(f"expected {word!r}")
        self.advance()

    def expect_end(self) -> None:
        if self.peek().kind != "eof":
            self.fail("unexpected text")

    def fail(self, reason: str) -> NoReturn:
        token = self.peek()
        found = "end of text" if token.kind == "eof" else repr(str(token.value))
        raise FeelSyntaxError(f"{reason}, found {found} at position {token.pos + 1}", position=token.pos)

    # unary tests -------------------------------------------------------------------------------
    def positive_tests(self) -> list[Node]:
        tests = [self.positive_test()]
        while self.at_op(","):
            self.advance()
            tests.append(self.positive_test())
        return tests

    def positive_test(self) -> Node:
        if self.at_op(*_COMPARISONS):
            op = str(self.advance().value)
            return ("ut_cmp", op, self.additive())
        return ("ut_expr", self.expression())

    # expressions -------------------------------------------------------------------------------
    def expression(self) -> Node:
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                self.fail("the expression nests too deeply")
            return self._expression()
        finally:
            self.depth -= 1

    def _expression(self) -> Node:
        token = self.peek()
        if token.kind == "name" and self.peek(1).kind == "name" and self.peek(2).value == "in":
            if token.value == "for":
                return self.for_loop()
            if token.value in ("some", "every"):
                return self.quantified(str(token.value))
        if self.at_name("if"):
            self.advance()
            condition = self.expression()
            self.expect_word("then")
            then = self.expression()
            self.expect_word("else")
            return ("if", condition, then, self.expression())
        return self.disjunction()

    def iterators(self) -> list[tuple[str, Node, Node | None]]:
        result = []
        while True:
            name = self.plain_name()
            self.expect_word("in")
            low = self.expression()
            high = None
            if self.at_op(".."):
                self.advance()
                high = self.expression()
            result.append((name, low, high))
            if not self.at_op(","):
                return result
            self.advance()

    def plain_name(self) -> str:
        parts = []
        while self.peek().kind == "name" and self.peek().value not in _NAME_STOP:
            parts.append(str(self.advance().value))
        if not parts:
            self.fail("expected a name")
        return " ".join(parts)

    def for_loop(self) -> Node:
        self.advance()
        iterators = self.iterators()
        self.expect_word("return")
        return ("for", iterators, self.expression())

    def quantified(self, kind: str) -> Node:
        self.advance()
        iterators = self.iterators()
        self.expect_word("satisfies")
        return ("quant", kind, iterators, self.expression())

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self.at_name("or"):
            self.advance()
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.comparison()
        while self.at_name("and"):
            self.advance()
            node = ("and", node, self.comparison())
        return node

    def comparison(self) -> Node:
        node = self.additive()
        while True:
            if self.at_name("between"):
                self.advance()
                low = self.additive()
                self.expect_word("and")
                node = ("between", node, low, self.additive())
            elif self.at_name("in"):
                self.advance()
                node = ("in", node, self.in_tests())
            elif self.at_name("instance") and self.peek(1).value == "of":
                self.advance(2)
                node = ("instance", node, self.type_spec())
            elif self.at_op(*_COMPARISONS):
                left, result = node, None  # type: Node, Node | None
                while self.at_op(*_COMPARISONS):
                    op = str(self.advance().value)
                    right = self.additive()
                    test = ("cmp", op, left, right)
                    # `100 <= ? <= 110` (what Camunda's editor accepts) reads as a chained comparison.
                    result = test if result is None else ("and", result, test)
                    left = right
                node = result  # type: ignore[assignment]
            else:
                return node

    def in_tests(self) -> Node:
        if self.at_op("(") and not self._is_range_ahead():
            self.advance()
            tests = self.positive_tests()
            self.expect_op(")")
            return ("ut_or", tests)
        return ("ut_or", [self.positive_test()])

    def _is_range_ahead(self) -> bool:
        depth = 0
        for token in self.tokens[self.i:]:
            if token.kind == "op" and token.value in ("(", "[", "{"):
                depth += 1
            elif token.kind == "op" and token.value in (")", "]", "}"):
                depth -= 1
                if depth <= 0:
                    return False
            elif token.kind == "op" and token.value == ".." and depth == 1:
                return True
        return False

    # arithmetic --------------------------------------------------------------------------------
    def additive(self) -> Node:
        node = self.multiplicative()
        while self.at_op("+", "-"):
            op = str(self.advance().value)
            node = ("arith", op, node, self.multiplicative())
        return node

    def multiplicative(self) -> Node:
        node = self.power()
        while self.at_op("*", "/"):
            op = str(self.advance().value)
            node = ("arith", op, node, self.power())
        return node

    def power(self) -> Node:
        node = self.unary()
        while self.at_op("**"):
            self.advance()
            node = ("arith", "**", node, self.unary())
        return node

    def unary(self) -> Node:
        signs = 0
        while self.at_op("-"):
            self.advance()
            signs += 1
        node = self.postfix(self.primary())
        for _ in range(signs):
            if node[0] == "const" and isinstance(node[1], Decimal):
                node = ("const", node[1].copy_negate())  # exact: no context rounding or overflow
            else:
                node = ("neg", node)
        return node

    def postfix(self, node: Node) -> Node:
        while True:
            if self.at_op("."):
                self.advance()
                if self.peek().kind != "name":
                    self.fail("expected a name after '.'")
                parts = [str(self.advance().value)]
                while self.peek().kind == "name" and self.peek().value not in KEYWORDS:
                    parts.append(str(self.advance().value))
                node = ("path", node, " ".join(parts))
            elif self.at_op("[") and not self.range_end:
                self.advance()
                index = self.expression()
                self.expect_op("]")
                node = ("filter", node, index)
            elif self.at_op("("):
                self.advance()
                node = ("call", node, *self.arguments())
            else:
                return node

    def arguments(self) -> tuple[list[Node], list[tuple[str, Node]]]:
        positional: list[Node] = []
        named: list[tuple[str, Node]] = []
        while not self.at_op(")"):
            if positional or named:
                self.expect_op(",")
            colon = self._named_argument_ahead()
            if colon:
                name = " ".join(str(t.value) for t in self.tokens[self.i:colon])
                self.i = colon + 1
                named.append((name, self.expression()))
            else:
                positional.append(self.expression())
        self.advance()
        if positional and named:
            self.fail("mixed positional and named arguments")
        return positional, named

    def _named_argument_ahead(self) -> int:
        j = self.i
        while self.tokens[j].kind == "name":
            j += 1
        return j if j > self.i and self.tokens[j].kind == "op" and self.tokens[j].value == ":" else 0

    def primary(self) -> Node:
        token = self.peek()
        if token.kind == "num" or token.kind == "str":
            self.advance()
            return ("const", token.value)
        if token.kind == "name":
            return self.name_or_literal()
        if token.kind == "op":
            if token.value in ("<", "<=", ">", ">="):  # `< 10` as a value: a range open on one side
                self.advance()
                return ("urange", token.value, self.additive())
            if token.value in ("=", "!="):
                self.advance()
                return ("urange", token.value, self.additive())
            handler = {"(": self.parenthesized, "[": self.bracketed, "]": self.open_range,
                       "{": self.context, "?": self.input_marker, "@": self.at_literal}.get(str(token.value))
            if handler is not None:
                return handler()
        self.fail("expected a value")
        raise AssertionError  # unreachable: fail() raises

    def name_or_literal(self) -> Node:
        word = str(self.peek().value)
        literals = {"true": True, "false": False, "null": None}
        if word in literals:
            self.advance()
            return ("const", literals[word])
        if word == "function" and self.peek(1).value == "(":
            return self.function_definition()
        if word in KEYWORDS and word not in ("date", "time"):
            self.fail("expected a value")
        parts = [word]
        self.advance()
        # FEEL names may contain spaces; two names in a row can only be one name.
        while self.peek().kind == "name" and self.peek().value not in KEYWORDS:
            parts.append(str(self.advance().value))
        return ("name", " ".join(parts))

    def input_marker(self) -> Node:
        self.advance()
        return ("input",)

