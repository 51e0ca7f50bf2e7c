"""Model expressions: FEEL by default, JUEL translated to FEEL, Python only where the environment allows it.

At deploy every expression is checked and rewritten to a canonical text the engine can tell apart:
`=<FEEL>` for FEEL (as Camunda 8 writes it) and the bare source for Python, which can never start
with `=`. Nothing here runs designer text as Python: FEEL is evaluated by server.decisions, and
Python goes to server.sandbox (out of process) from the script engine.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from server import sandbox
from server.decisions.compiler import CompileEnv, compile_expression
from server.decisions.errors import FeelEvaluationError, FeelSyntaxError
from server.decisions.expressions import evaluate_feel
from server.decisions.parser import parse_expression
from server.decisions.values import to_json
from server.engine import juel
from server.engine.types import ModelError

FEEL = "feel"
PYTHON = "python"
JUEL = "juel"
PYTHON_OFF = ("Python scripts are off in this environment: an administrator can allow them "
              "(setting python_scripts)")
_PYTHON_ONLY_NAMES = {"True": "true", "False": "false", "None": "null"}
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Timer definitions as bpmn.io writes them: bare ISO 8601 durations, dates or cycles (PT1H, R3/PT10M,
# 2026-12-01T09:00:00Z); they are taken as FEEL strings.
_ISO_TIMER = re.compile(
    r"^(R\d*/)?(P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)$")


def iso_literal(expression: str) -> str | None:
    """The expression itself when it is a bare ISO 8601 timer value, else None."""
    text = expression.strip()
    return text if _ISO_TIMER.match(text) else None


def language(declared: str | None) -> str | None:
    """FEEL, PYTHON or JUEL for a `language` / `scriptFormat` / `expressionLanguage` value; None if unset."""
    if not declared or not declared.strip():
        return None
    value = declared.strip().lower()
    for name in (FEEL, PYTHON, JUEL):
        if name in value:
            return name
    raise ValueError(f"the expression language {declared!r} is not supported (FEEL, or Python where allowed)")


def is_feel(canonical: str) -> bool:
    return canonical.startswith("=")


class Checker:
    """Checks and rewrites the expressions of one model; every refusal names element, kind and text."""

    def __init__(self, *, python_scripts: bool, default_language: str | None = None):
        self.python_scripts = python_scripts
        self.default_language = default_language

    def refuse(self, reason: str, *, element: str, kind: str, text: str, position: int | None = None) -> ModelError:
        where = f" at position {position}" if position is not None and "position" not in reason else ""
        return ModelError(f"{kind} {text.strip()!r}: {reason}{where}", element_id=element, kind=kind,
                          expression=text, position=position)

    def expression(self, text: str, *, element: str, kind: str, declared: str | None = None) -> str:
        """The canonical text of an expression (`=FEEL` or Python source); ModelError when refused."""
        source = text.strip()
        try:
            lang = language(declared) if declared else language(self.default_language)
        except ValueError as exc:
            raise self.refuse(str(exc), element=element, kind=kind, text=text) from None
        if lang == PYTHON and not source.startswith("="):
            return self.python(source, element=element, kind=kind, mode="eval")
        if juel.is_juel(source) and lang in (None, JUEL):
            return "=" + self.juel(source, element=element, kind=kind)
        if source.startswith("=") or lang in (FEEL, JUEL):
            return "=" + self.feel(source.removeprefix("="), element=element, kind=kind,
                                   original=text)
        # No language given: FEEL, unless the text is only Python and Python is allowed here.
        try:
            return "=" + self.feel(source, element=element, kind=kind, original=text)
        except ModelError as exc:
            if not self.python_scripts:
                raise self.refuse(f"{exc.reason.split(': ', 1)[1]} (if this is Python: {PYTHON_OFF})",
                                  element=element, kind=kind, text=text, position=exc.position) from None
        return self.python(source, element=element, kind=kind, mode="eval")

    def juel(self, source: str, *, element: str, kind: str) -> str:
        try:
            translated = juel.to_feel(source)
        except juel.JuelError as exc:
            raise self.refuse(f"JUEL outside the supported subset ({exc}); write it in FEEL", element=element,
                              kind=kind, text=source) from None
        return self.feel(translated, element=element, kind=kind, original=source)

    def feel(self, source: str, *, element: str, kind: str, original: str) -> str:
        """Parse and compile a FEEL text; the text itself (trimmed) when it is fine."""
        body = source.strip()
        if not body:
            raise self.refuse("the expression is empty", element=element, kind=kind, text=original)
        try:
            tree = parse_expression(body)
            compile_expression(body, CompileEnv())
        except FeelSyntaxError as exc:
            position = exc.position + 1 if exc.position is not None else None
            raise self.refuse(f"not valid FEEL: {exc.reason}", element=element, kind=kind, text=original,
                              position=position) from None
        except (FeelEvaluationError, ArithmeticError, ValueError, TypeError, RecursionError) as exc:
            raise self.refuse(f"not valid FEEL: {exc}", element=element, kind=kind, text=original) from None
        if _double_equals(tree):
            raise self.refuse("not valid FEEL: FEEL compares with =, not ==", element=element, kind=kind,
                              text=original)
        python_names = sorted(_PYTHON_ONLY_NAMES[n] for n in _names(tree) if n in _PYTHON_ONLY_NAMES)
        if python_names:
            raise self.refuse(f"not valid FEEL: FEEL writes {', '.join(python_names)}", element=element, kind=kind,
                              text=original)
        return body

    def python(self, source: str, *, element: str, kind: str, mode: Literal["exec", "eval"]) -> str:
        """A Python script or expression: refused where Python is off, else checked by the sandbox."""
        if not self.python_scripts:
            raise self.refuse(f"is Python; {PYTHON_OFF}", element=element, kind=kind, text=source)
        if source.lstrip().startswith("="):
            raise self.refuse("not valid Python", element=element, kind=kind, text=source)
        check_python(source, mode=mode, refuse=lambda reason: self.refuse(
            f"Python refused: {reason}", element=element, kind=kind, text=source))
        return source

    def script(self, text: str, *, element: str, result_variable: str | None, script_format: str | None,
               zeebe: bool = False) -> str:
        """The canonical text of a script task: a FEEL context to merge, or a Python script."""
        kind = "script"
        source = (text or "").strip()
        try:
            lang = FEEL if zeebe else language(script_format)
        except ValueError as exc:
            raise self.refuse(str(exc).replace("expression language", "script format"), element=element, kind=kind,
                              text=text) from None
        if lang is None:
            lang = FEEL if source.startswith("=") else PYTHON
        if lang == JUEL:
            raise self.refuse("JUEL scripts are not supported; write a FEEL expression", element=element,
                              kind=kind, text=text)
        if lang == PYTHON:
            return self.python(text, element=element, kind=kind, mode="exec")
        body = self.feel(source.removeprefix("="), element=element, kind=kind,
                         original=text)
        if result_variable:
            return "=" + context_of({self.variable(result_variable, element=element, kind=kind): body})
        if parse_expression(body)[0] != "context":
            raise self.refuse("a FEEL script needs a result variable, or must be a context {name: value, ...} "
                              "whose entries go into the process data", element=element, kind=kind, text=text)
        return "=" + body

    def variable(self, name: str, *, element: str, kind: str) -> str:
        if not _VARIABLE.fullmatch(name.strip()):
            raise self.refuse(f"{name!r} is not a valid variable name", element=element, kind=kind, text=name)
        return name.strip()


def context_of(entries: Mapping[str, str]) -> str:
    """A FEEL context text `{"name": (expression), ...}` (names quoted, expressions parenthesised)."""
    return "{" + ", ".join(f"{json.dumps(name)}: ({body})" for name, body in entries.items()) + "}"


def _names(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, tuple) and node:
        if node[0] == "name" and len(node) > 1 and isinstance(node[1], str):
            found.add(node[1])
        for child in node[1:]:
            found |= _names(child)
    elif isinstance(node, list):
        for child in node:
            found |= _names(child)
    return found


def _double_equals(node: Any) -> bool:
    """`a == b` parses in FEEL as `a = (=b)` (a comparison with a unary range) and is never what was meant."""
    if isinstance(node, tuple) and node:
        if node[0] == "cmp" and len(node) > 3 and isinstance(node[3], tuple) and node[3][:1] == ("urange",):
            return True
        return any(_double_equals(child) for child in node[1:])
    if isinstance(node, list):
        return any(_double_equals(child) for child in node)
    return False


def check_python(source: str, *, mode: Literal["exec", "eval"], refuse: Any) -> None:
    """The sandbox's compile check; ScriptRefused becomes the caller's ModelError."""
    try:
        sandbox.check_python(source, mode=mode)
    except sandbox.ScriptRefused as exc:
        raise refuse(str(exc)) from None


def evaluate(canonical: str, data: Mapping[str, Any]) -> Any:
    """The JSON-friendly value of a canonical FEEL text over process data (numbers as int/float)."""
    return to_json(evaluate_feel(canonical, data))


def plain_name(canonical: str) -> str | None:
    """The variable name when a canonical FEEL text is only a name (`=approvers`), else None."""
    if not is_feel(canonical):
        return None
    body = canonical[1:].strip()
    return body if _VARIABLE.fullmatch(body) and body not in ("true", "false", "null") else None

