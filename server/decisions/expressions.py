"""One FEEL expression evaluated over plain values (form-js conditions such as `=decision != "x"`)."""
from __future__ import annotations

import functools
from typing import Any, Mapping

from server.decisions.compiler import CompileEnv, Expr, Scope, compile_expression
from server.decisions.values import coerce_in


@functools.lru_cache(maxsize=512)
def _compiled(text: str) -> Expr:
    return compile_expression(text, CompileEnv())


def evaluate_feel(text: str, variables: Mapping[str, Any]) -> Any:
    """The value of a FEEL expression (a leading `=` as form-js writes it is allowed); errors raise."""
    source = text.strip()
    if source.startswith("="):
        source = source[1:]
    return _compiled(source)(Scope({name: coerce_in(value) for name, value in variables.items()}))
