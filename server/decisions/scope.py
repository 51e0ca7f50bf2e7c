"""What compiled FEEL runs against: scopes of variables, and the compile-time environment."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Expr = Callable[["Scope"], Any]
Test = Callable[[Any, "Scope"], bool | None]  # None: a strict test met null
MISSING = object()


class Scope:
    """Variables visible to an expression: this level's mapping, then the parent's."""

    __slots__ = ("parent", "vars")

    def __init__(self, variables: Mapping[str, Any], parent: Scope | None = None):
        self.vars = variables
        self.parent = parent

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            value = scope.vars.get(name, MISSING)
            if value is not MISSING:
                return value
            scope = scope.parent
        return MISSING


@dataclass(frozen=True)
class CompileEnv:
    """What the compiler knows about the model: names with spaces (and symbols) and item definitions."""

    known_names: frozenset[str] = frozenset()
    functions: frozenset[str] = frozenset()
    types: Mapping[str, Any] = field(default_factory=dict)
    # Strict (deployment): a call of an unknown function or with a wrong argument count is refused when
    # compiled. Lenient (the TCK, FEEL's own rule): it gives null and a warning when evaluated.
    strict: bool = True


EMPTY_SCOPE = Scope({})
