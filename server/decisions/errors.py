"""Errors of the DMN evaluator: each names the decision, rule (1-based) and column it is about."""
from __future__ import annotations

from typing import Any

from server.errors import DomainError, InvalidInput


class FeelSyntaxError(Exception):
    """A FEEL text that does not parse; `position` is the character offset of the problem."""

    def __init__(self, reason: str, *, position: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.position = position


class FeelEvaluationError(Exception):
    """A FEEL expression that cannot be evaluated (bad function arguments, unknown function)."""


def _location(decision: str | None, rule: int | None, column: str | None) -> str:
    parts = []
    if decision:
        parts.append(f"decision {decision!r}")
    if rule:
        parts.append(f"rule {rule}")
    if column:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


class _Located:
    decision: str | None
    rule: int | None
    column: str | None

    def as_dict(self) -> dict[str, Any]:
        """The JSON error body: code, message, decision, rule and column."""
        return {"code": getattr(self, "code", "error"), "message": str(self), "decision": self.decision,
                "rule": self.rule, "column": self.column}


class DecisionParseError(_Located, InvalidInput):
    """A DMN document or cell that cannot be used; raised by `parse_dmn`, so deployment is refused."""

    code = "decision_invalid"

    def __init__(self, reason: str, *, decision: str | None = None, rule: int | None = None,
                 column: str | None = None, text: str | None = None, source: str = ""):
        where = _location(decision, rule, column)
        cell = f" in {text!r}" if text is not None else ""
        origin = f"{source}: " if source else ""
        message = f"{origin}{where + ': ' if where else ''}{reason}{cell}"
        super().__init__(message, details=[{"decision": decision, "rule": rule, "column": column,
                                            "text": text, "reason": reason}])
        self.reason, self.decision, self.rule, self.column, self.text = reason, decision, rule, column, text

    def as_dict(self) -> dict[str, Any]:
        """The JSON error body, with the offending cell text."""
        return {**super().as_dict(), "text": self.text}


class DecisionError(_Located, DomainError):
    """A decision that cannot be evaluated for these inputs (e.g. UNIQUE with two matching rules)."""

    code = "decision_failed"

    def __init__(self, reason: str, *, decision: str | None = None, rule: int | None = None,
                 column: str | None = None):
        where = _location(decision, rule, column)
        super().__init__(f"{where + ': ' if where else ''}{reason}",
                         details=[{"decision": decision, "rule": rule, "column": column, "reason": reason}])
        self.reason, self.decision, self.rule, self.column = reason, decision, rule, column


class FeelLimitError(FeelEvaluationError):
    """An evaluation that would exceed a bound (loop size, string size, call depth, steps): never a hang."""
