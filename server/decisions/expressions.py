"""One FEEL expression evaluated over plain values (form-js conditions such as `=decision != "x"`)."""
from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from server.decisions import runtime
from server.decisions.compiler import CompileEnv, Expr, Scope, compile_expression
from server.decisions.errors import FeelEvaluationError, FeelLimitError
from server.decisions.values import coerce_in


@functools.lru_cache(maxsize=512)
def _compiled(text: str, names: frozenset[str]) -> Expr:
    return compile_expression(text, CompileEnv(known_names=names))


def evaluate_feel(text: str, variables: Mapping[str, Any], *, clock: runtime.Clock | None = None) -> Any:
    """The value of a FEEL expression (a leading `=` as form-js writes it is allowed).

    A syntax error raises FeelSyntaxError; a bound exceeded (steps, nesting) raises FeelLimitError; a FEEL
    error (bad call, wrong type) gives null, as FEEL says. now()/today() read `clock` when given.
    """
    source = text.strip()
    source = source.removeprefix("=")
    names = frozenset(name for name in variables if not name.isidentifier())
    expr = _compiled(source, names)
    runtime.start(clock)
    try:
        return expr(Scope({name: coerce_in(value) for name, value in variables.items()}))
    except RecursionError:
        raise FeelLimitError("the evaluation nests too deeply") from None


__all__ = ["FeelEvaluationError", "evaluate_feel"]
