"""What one engine step asks of the packages around the engine, as plain typed values.

The engine knows which user tasks are ready and which timers wait; the owners of human tasks
(server.tasks), timer jobs (server.jobs) and mail (server.mail) compare that with what they stored
and act. `StepOutcome` carries the differences, so none of them reaches into another's tables.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from server.engine.types import PendingTimer, UserTaskInfo


@dataclasses.dataclass(frozen=True)
class OpenTask:
    """A user task to mirror for people: the engine's view of it and its form's schema."""

    info: UserTaskInfo
    form: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class StepOutcome:
    """Tasks to open and close, timers to arm and cancel after one saved step of one instance."""

    instance_id: int
    environment_id: int
    model_key: str
    open_tasks: tuple[OpenTask, ...] = ()
    close_tasks: tuple[int, ...] = ()  # ids of stored human tasks no longer ready
    arm_timers: tuple[PendingTimer, ...] = ()
    cancel_timers: tuple[int, ...] = ()  # ids of stored timer jobs whose timer no longer waits

    @property
    def is_empty(self) -> bool:
        return not (self.open_tasks or self.close_tasks or self.arm_timers or self.cancel_timers)
