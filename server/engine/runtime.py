"""Running one workflow: start or load, advance until it waits, complete tasks, fire timers, dump."""
from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Iterator, Mapping
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins import ExclusiveGatewayMixin, InclusiveGatewayMixin
from SpiffWorkflow.util.task import TaskState

from server import causes
from server.causes import Cause
from server.engine import migration, moves
from server.engine.assignment import resolve_assignment, task_properties
from server.engine.migration import MigrationBlocker
from server.engine.model import CompiledModel
from server.engine.script_engine import ServiceFailed, StroomScriptEngine
from server.engine.state import StateCodec
from server.engine.types import (
    ElementState,
    Failure,
    MoveOutcome,
    PendingTimer,
    StepEvent,
    TaskNotReady,
    UserTaskInfo,
)

_CODEC: StateCodec | None = None
_GATEWAYS = (ExclusiveGatewayMixin, InclusiveGatewayMixin)
_STATE_NAMES = {TaskState.COMPLETED: "done", TaskState.READY: "active", TaskState.STARTED: "active",
                TaskState.WAITING: "waiting", TaskState.ERROR: "failed", TaskState.CANCELLED: "cancelled"}


def _codec() -> StateCodec:
    global _CODEC
    if _CODEC is None:
        _CODEC = StateCodec()
    return _CODEC


class WorkflowRun:
    """A live workflow of one compiled model. Not thread-safe: the host gives each request its own."""

    def __init__(self, model: CompiledModel, workflow: BpmnWorkflow, engine: StroomScriptEngine):
        self.model = model
        self._wf = workflow
        self._engine = engine

    @classmethod
    def start(cls, model: CompiledModel, data: dict[str, Any] | None = None, *, context: Any = None) -> WorkflowRun:
        """A new workflow with `data` as its initial process data (not yet advanced)."""
        engine = StroomScriptEngine(model, context)
        wf = BpmnWorkflow(model.process.spec, model.process.subprocess_specs, script_engine=engine)
        wf.get_next_task(state=TaskState.READY).data.update(dict(data or {}))
        return cls(model, wf, engine)

    @classmethod
    def load(cls, model: CompiledModel, state: str, *, context: Any = None) -> WorkflowRun:
        """A workflow restored from `dumps()` output against the same model version."""
        engine = StroomScriptEngine(model, context)
        wf = _codec().loads(state, model.process.spec, model.process.subprocess_specs, engine)
        return cls(model, wf, engine)

    def dumps(self) -> str:
        """The workflow's own state (tasks and data, not the spec) as JSON text."""
        return _codec().dumps(self._wf)

    # -- advancing -----------------------------------------------------------------------------

    def advance(self) -> Failure | None:
        """Run engine steps until only user tasks, timers or messages remain; a raising step -> Failure."""
        before = {t.id: t.state for t in self._iter_tasks()}
        self._engine.evaluating = None
        self._engine.unmatched.clear()
        try:
            self._wf.do_engine_steps()
            failure = None
        except Exception as exc:  # noqa: BLE001 - a failing step must become an incident, never an error page
            failure = self._failure(exc)
        self._record_completions(before)
        return failure

    def _failure(self, exc: BaseException) -> Failure:
        failed = [t for t in self._iter_tasks() if t.state == TaskState.ERROR]
        task = failed[-1] if failed else getattr(exc, "task", None)
        root = exc.__cause__ if isinstance(exc.__cause__, ServiceFailed) else exc
        stack = root.stack if isinstance(root, ServiceFailed) else "".join(
            traceback.format_exception(exc, limit=-4))
        message = str(root) if isinstance(root, ServiceFailed) else str(exc)
        if task is None and self._engine.evaluating is not None:
            # Raised by the engine while using a value an expression gave (a boolean as a timer, say).
            task = self._engine.evaluating
            message = f"the value of an expression could not be used here ({type(exc).__name__}: {exc})"
        element = task.task_spec.bpmn_id if task else ""
        cause = self._cause(exc, task)
        self._engine.events.append(StepEvent("element_failed", element or "", _name(task),
                                             {"error": message, "cause": cause.code}))
        return Failure(str(task.id) if task else "", element or "", message, stack[-4000:], cause)

    def _cause(self, exc: BaseException, task: Any) -> Cause:
        """Why the step failed: what the raising code named, a gateway without a path (after a decision
        that matched no rule, that decision), else an unexpected error."""
        found = causes.found_in(exc)
        if found is not None:
            return found
        if task is not None and isinstance(task.task_spec, _GATEWAYS):
            if self._engine.unmatched:
                return Cause(causes.NO_MATCHING_RULE, self._engine.unmatched[-1])
            return Cause(causes.NO_PATH, task.task_spec.bpmn_id or "")
        return Cause(causes.UNEXPECTED)

    def _record_completions(self, before: dict[UUID, int]) -> None:
        for task in self._iter_tasks():
            if (task.state == TaskState.COMPLETED and before.get(task.id) != TaskState.COMPLETED
                    and getattr(task.task_spec, "bpmn_id", None)):
                self._engine.events.append(StepEvent("element_completed", task.task_spec.bpmn_id, _name(task)))

    def take_events(self) -> list[StepEvent]:
        """Events since the last call (completions, decisions with traces, service calls, failures)."""
        events, self._engine.events[:] = list(self._engine.events), []
        return events

    def complete_user_task(self, task_id: str, data: dict[str, Any]) -> None:
        """Complete a READY user/manual task with form data, then advance."""
        task = self._ready_user_task(task_id)
        task.data.update(data)
        before = {t.id: t.state for t in self._iter_tasks()}
        task.run()
        self._record_completions(before)

    def _ready_user_task(self, task_id: str) -> Any:
        try:
            task = self._wf.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, TypeError):
            task = None
        if task is None or not task.task_spec.manual or task.state != TaskState.READY:
            raise TaskNotReady(f"task {task_id} is not a ready user task of this instance")
        return task

    def retry(self, task_id: str) -> None:
        """Put a failed step back to READY so the next advance() runs it again."""
        task = self._wf.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.ERROR:
            raise TaskNotReady(f"task {task_id} has not failed")
        task._set_state(TaskState.READY)

    def cancel(self) -> None:
        """Cancel every open task (terminate)."""
        self._wf.cancel()

    def reset_to(self, element_id: str, data: dict[str, Any] | None = None) -> None:
        """Move the token back to the latest run of `element_id`; later tasks are discarded."""
        done = [t for t in self._iter_tasks() if getattr(t.task_spec, "bpmn_id", None) == element_id
                and t.state in (TaskState.COMPLETED, TaskState.READY, TaskState.ERROR, TaskState.CANCELLED)]
        if not done:
            raise TaskNotReady(f"element {element_id} has not been reached in this instance")
        target = max(done, key=lambda t: t.last_state_change)
        self._wf.reset_from_task_id(target.id, data=data)
        self._forget_removed_events()

    def _forget_removed_events(self) -> None:
        """Drop waiting events whose task a reset removed from the tree.

        Spiff's reset drops the tasks but leaves them in the event manager, so the next advance
        refreshed an orphaned timer and failed ("'NoneType' object has no attribute 'data'")."""
        manager = self._wf.event_manager
        for task in list(manager.tasks.values()):
            if task.workflow.tasks.get(task.id) is not task or not task.has_state(TaskState.WAITING):
                manager.remove_task(task)

    # -- administration (moves are in server.engine.moves) --------------------------------------

    def move_token(self, element_id: str, *, from_element: str | None = None) -> MoveOutcome:
        """Move the open step (of `from_element`, or the only one) to `element_id`, keeping the data.

        Backwards is the engine's reset; forwards cancels the open step (and its boundary events)
        and makes the target READY without running the steps in between.
        """
        tasks = list(self._iter_tasks())
        source = moves.source_task(tasks, from_element)
        data = dict(source.data)
        direction = "back" if moves.precedes(source, element_id) else "forward"
        if moves.is_behind(source, element_id) or (direction == "back" and self._ran(element_id)):
            self.reset_to(element_id, data)
            return MoveOutcome(direction, source.task_spec.bpmn_id, element_id, (str(source.id),))
        cancelled = moves.move_forward(self._wf, str(source.id), element_id)
        self._forget_removed_events()
        return MoveOutcome(direction, source.task_spec.bpmn_id, element_id, tuple(cancelled))

    # -- migration to another version (server.engine.migration) --------------------------------

    def migration_blockers(self, target: CompiledModel, mapping: Mapping[str, str], *,
                           target_label: str = "the target version") -> list[MigrationBlocker]:
        """Why this workflow cannot move to `target` with `mapping` (source element -> target element)."""
        return migration.blockers(self._wf, self.model, target, mapping, target_label)

    def migrated_to(self, target: CompiledModel, mapping: Mapping[str, str]) -> tuple[WorkflowRun, dict[str, str]]:
        """This workflow on `target` (this run must not be used afterwards) and the user tasks kept
        (old engine task id -> new one). Check `migration_blockers` first."""
        engine = StroomScriptEngine(target, self._engine.context)
        done = migration.migrate(self._wf, self.model, target, mapping, engine)
        return WorkflowRun.load(target, self.dumps(), context=self._engine.context), dict(done.kept_user_tasks)

    def _ran(self, element_id: str) -> bool:
        return any(getattr(t.task_spec, "bpmn_id", None) == element_id
                   and t.state in (TaskState.COMPLETED, TaskState.CANCELLED) for t in self._iter_tasks())

    def reopen_at(self, element_id: str, data: dict[str, Any] | None = None) -> None:
        """Restart an ended (completed or cancelled) workflow at `element_id`, by default with its last data."""
        self.reset_to(element_id, self.last_data() if data is None else data)
        self._wf.completed = False
        self._wf.success = True

    def last_data(self) -> dict[str, Any]:
        """`data`, except that a cancelled workflow gives the data its newest task held when it stopped."""
        if not self._wf.completed or self._wf.data:
            return self.data
        tasks = [t for t in self._iter_tasks() if t.data and t.state & (TaskState.FINISHED_MASK | TaskState.READY)]
        newest = max(tasks, key=lambda t: t.last_state_change, default=None)
        return dict(newest.data) if newest else {}

    def replace_data(self, data: dict[str, Any]) -> None:
        """Make `data` the process data: the open steps (ready, waiting, failed) carry it on, and `data`
        reads it back (the newest task is set too, as that is where the process data is read)."""
        tasks = list(self._iter_tasks())
        targets = [t for t in tasks if t.state in (TaskState.READY, TaskState.STARTED, TaskState.WAITING,
                                                    TaskState.ERROR)]
        shown = [t for t in tasks if t.state in (TaskState.READY, TaskState.COMPLETED, TaskState.WAITING,
                                                 TaskState.ERROR)]
        newest = max(shown, key=lambda t: t.last_state_change, default=None)
        for task in [*targets, *([newest] if newest is not None else [])]:
            task.data = dict(data)

    def open_elements(self) -> list[str]:
        """The BPMN elements holding a token now (ready, waiting or failed), for admin choices."""
        return sorted({t.task_spec.bpmn_id for t in moves.open_tasks(list(self._iter_tasks()))})

    def failed_task_ids(self) -> list[str]:
        """Engine ids of the steps that failed and wait for a retry (incidents point at these)."""
        return [str(t.id) for t in self._iter_tasks() if t.state == TaskState.ERROR]

    # -- timers --------------------------------------------------------------------------------

    def pending_timers(self) -> list[PendingTimer]:
        """Timers waiting to fire, with their due time; the host turns them into jobs."""
        timers = []
        for task in self._iter_tasks():
            spec = task.task_spec
            if task.state != TaskState.WAITING or not isinstance(getattr(spec, "event_definition", None),
                                                                  TimerEventDefinition):
                continue
            value = task._get_internal_data("event_value")
            due = _as_datetime(value)
            if due is not None:
                timers.append(PendingTimer(str(task.id), spec.bpmn_id, due))
        return timers

    def fire_timer(self, task_id: str) -> bool:
        """Fire a waiting timer now (the host's job is the clock); False if it no longer waits."""
        task = self._wf.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.WAITING:
            return False
        task._set_internal_data(event_fired=True)
        task.task_spec._update(task)
        return True

    # -- inspection ----------------------------------------------------------------------------

    @property
    def is_completed(self) -> bool:
        return bool(self._wf.completed)

    @property
    def has_failed_step(self) -> bool:
        return any(t.state == TaskState.ERROR for t in self._iter_tasks())

    @property
    def data(self) -> dict[str, Any]:
        """The process data: the workflow's data once ended, else the data of the newest task."""
        if self._wf.completed:
            return dict(self._wf.data)
        tasks = [t for t in self._iter_tasks() if t.state in (TaskState.READY, TaskState.COMPLETED,
                                                                TaskState.WAITING, TaskState.ERROR)]
        newest = max(tasks, key=lambda t: t.last_state_change, default=None)
        return dict(newest.data) if newest else {}

    def ready_user_tasks(self) -> list[UserTaskInfo]:
        """READY user and manual tasks, with their assignment evaluated over their data."""
        result = []
        for task in self._iter_tasks():
            spec = task.task_spec
            if task.state != TaskState.READY or not spec.manual:
                continue
            props = task_properties(spec)
            result.append(UserTaskInfo(
                task_id=str(task.id), element_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
                lane=spec.lane, form_key=props.get("formKey") or props.get("formRef"),
                documentation=getattr(spec, "documentation", None),
                assignment=resolve_assignment(props, task.data, lane=spec.lane),
                data=dict(task.data), properties=props,
                multi_instance_item=_mi_item(task)))
        return result

    def element_states(self) -> list[ElementState]:
        """Per BPMN element the state of its newest task (done, active, waiting, failed, cancelled)."""
        newest: dict[str, Any] = {}
        for task in self._iter_tasks():
            element = getattr(task.task_spec, "bpmn_id", None)
            if not element or task.state not in _STATE_NAMES:
                continue
            if element not in newest or _shown_before(task, newest[element]):
                newest[element] = task
        return [ElementState(e, _STATE_NAMES[t.state],
                             dt.datetime.fromtimestamp(t.last_state_change, dt.UTC))
                for e, t in newest.items()]

    def _iter_tasks(self) -> Iterator[Any]:
        yield from self._wf.tasks.values()
        for sub in self._wf.subprocesses.values():
            yield from sub.tasks.values()


def _shown_before(task: Any, other: Any) -> bool:
    """Whether `task` decides its element's state over `other`: an open share of a multi-instance step
    keeps the step active however recently another share was done; otherwise the newest wins."""
    open_states = (TaskState.READY, TaskState.STARTED)
    if (task.state in open_states) != (other.state in open_states):
        return task.state in open_states
    return bool(task.last_state_change >= other.last_state_change)


def _name(task: Any) -> str:
    return (task.task_spec.bpmn_name or task.task_spec.bpmn_id or "") if task else ""


def _mi_item(task: Any) -> Any:
    parent = task.parent
    input_item = getattr(parent.task_spec, "input_item", None) if parent else None
    if input_item is not None:
        return task.data.get(input_item.bpmn_id)
    return None


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None
