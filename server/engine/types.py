"""The engine's public vocabulary: frozen dataclasses and typed errors (never Spiff objects)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from server.causes import UNEXPECTED, Cause

UNEXPECTED_CAUSE = Cause(UNEXPECTED)


class EngineError(Exception):
    """Base of every error the engine package raises."""


class ModelError(EngineError):
    """A model that cannot be deployed: names the file, the element and the reason."""

    def __init__(self, reason: str, *, file: str = "", element_id: str = "", line: int | None = None,
                 kind: str = "", expression: str | None = None, position: int | None = None,
                 cell: dict[str, Any] | None = None):
        where = ", ".join(p for p in (file and f"file {file}", element_id and f"element {element_id}",
                                        line and f"line {line}") if p)
        super().__init__(f"{reason} ({where})" if where else reason)
        self.reason = reason
        self.file = file
        self.element_id = element_id
        self.line = line
        self.kind = kind  # for an expression: condition, assignee, timer duration, script ...
        self.expression = expression
        self.position = position
        self.cell = cell  # for a DMN table: the decision, rule (1-based) and column the editor marks

    def as_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"file": self.file, "element_id": self.element_id, "line": self.line,
                                  "reason": self.reason}
        if self.kind:
            detail.update(kind=self.kind, expression=self.expression, position=self.position)
        if self.cell:
            detail.update(self.cell)
        return detail


class ScriptError(EngineError):
    """A script or expression was refused by the restricted environment or failed while running."""


class TaskNotReady(EngineError):
    """The task asked for is not a READY user task of this instance."""


@dataclasses.dataclass(frozen=True)
class Assignment:
    """Who may act on a user task, as written in the model (expressions already evaluated)."""

    assignee: str | None = None
    candidate_users: tuple[str, ...] = ()
    candidate_groups: tuple[str, ...] = ()
    candidate_roles: tuple[str, ...] = ()
    due_date: str | None = None
    four_eyes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class UserTaskInfo:
    """A READY user or manual task, as the host mirrors it into the human-task table."""

    task_id: str
    element_id: str
    name: str
    lane: str | None
    form_key: str | None
    documentation: str | None
    assignment: Assignment
    data: dict[str, Any]
    multi_instance_item: Any = None
    properties: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class StepEvent:
    """Something the engine did while advancing (for the audit trail)."""

    kind: str  # element_completed, element_failed, decision, service_called
    element_id: str
    name: str
    detail: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Failure:
    """A step that raised: the element, the message, a short stack summary and the plain cause."""

    task_id: str
    element_id: str
    message: str
    stack: str
    cause: Cause = UNEXPECTED_CAUSE


@dataclasses.dataclass(frozen=True)
class PendingTimer:
    task_id: str
    element_id: str
    due_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class ElementState:
    """Per BPMN element: done, active, waiting, failed or cancelled, for the diagram view."""

    element_id: str
    state: str
    changed_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class MoveOutcome:
    """What an administrative move did: direction, from and to element, the engine tasks cancelled."""

    direction: str  # back or forward
    from_element: str
    to_element: str
    cancelled_tasks: tuple[str, ...] = ()
