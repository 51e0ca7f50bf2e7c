"""Facts about a FEEL syntax tree the compiler and unary tests decide on: constant, uses the input `?`."""
from __future__ import annotations

from server.decisions.functions import BUILTINS
from server.decisions.parser import Node

# Calls whose value changes between evaluations even with constant arguments: never folded.
_VOLATILE = frozenset({"now", "today"})
_KINDS = frozenset({"const", "at", "input", "name", "and", "or", "cmp", "arith", "neg", "if", "between", "in",
                    "instance", "list", "context", "range", "urange", "path", "filter", "call", "for", "quant",
                    "fn", "ut_or", "ut_not", "ut_cmp", "ut_expr", "external"})


def _children(node: Node) -> list[Node]:
    kids: list[Node] = []
    for part in node[1:]:
        if isinstance(part, tuple) and part and part[0] in _KINDS:
            kids.append(part)
        elif isinstance(part, (list, tuple)):
            for item in part:
                if isinstance(item, tuple) and item and item[0] in _KINDS:
                    kids.append(item)
                elif isinstance(item, tuple):  # a context entry, named argument, iterator or parameter
                    kids.extend(k for k in item if isinstance(k, tuple) and k and k[0] in _KINDS)
    return kids


def is_constant(node: Node) -> bool:
    kind = node[0]
    if kind in ("const", "at"):
        return True
    if kind in ("name", "input", "filter", "for", "quant", "fn", "instance", "context"):
        return False
    if kind == "call" and (node[1][0] != "name" or node[1][1] not in BUILTINS or node[1][1] in _VOLATILE
                           or node[3]):
        return False
    children = _children(node)[1:] if kind == "call" else _children(node)
    return all(is_constant(child) for child in children)


def uses_input(node: Node) -> bool:
    """Whether an expression mentions `?` (the input value of a unary test)."""
    return node[0] == "input" or any(uses_input(child) for child in _children(node))
