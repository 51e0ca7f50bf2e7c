"""Moving a workflow's token by hand (administration): forward without running the skipped steps.

Moving back is the engine's own reset. Moving forward is not: running the later task directly would
leave the earlier tasks open (and their timers armed). Here the open task of the branch, with any
boundary events attached to it, is cancelled and a fresh task of the target element is grafted under
it, READY with the current data; the steps in between never run, so none of their side effects happen.
"""
from __future__ import annotations

import copy
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from server.engine.types import TaskNotReady

OPEN = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR


def open_tasks(tasks: list[Any]) -> list[Any]:
    """Tasks holding a token: ready, started, waiting or failed BPMN elements (not boundary events)."""
    return [t for t in tasks if t.has_state(OPEN) and getattr(t.task_spec, "bpmn_id", None)
            and not isinstance(t.task_spec, BoundaryEvent)]


def source_task(tasks: list[Any], from_element: str | None) -> Any:
    """The one open task to move from: of `from_element`, or the only open one."""
    candidates = [t for t in open_tasks(tasks) if from_element in (None, t.task_spec.bpmn_id)]
    if not candidates:
        where = f"at element {from_element}" if from_element else "in this instance"
        raise TaskNotReady(f"no open step {where} to move from")
    if len(candidates) > 1:
        names = sorted({t.task_spec.bpmn_id for t in candidates})
        raise TaskNotReady(f"several steps are open ({', '.join(names)}); say which one to move from")
    return candidates[0]


def target_spec(source: Any, element_id: str) -> Any:
    """The task spec of `element_id` in the same (sub)process as the source task."""
    for spec in source.workflow.spec.task_specs.values():
        if getattr(spec, "bpmn_id", None) == element_id:
            return spec
    raise TaskNotReady(f"element {element_id} is not a step of the same process as {source.task_spec.bpmn_id}")


def is_behind(source: Any, element_id: str) -> bool:
    """Whether `element_id` already ran on the path that led to the source task (a move back)."""
    node = source.parent
    while node is not None:
        if getattr(node.task_spec, "bpmn_id", None) == element_id and node.has_state(TaskState.COMPLETED):
            return True
        node = node.parent
    return False


def _reaches(start: Any, goal: Any) -> bool:
    """Whether the flow leads from task spec `start` to task spec `goal`."""
    seen, todo = set(), list(start.outputs)
    while todo:
        spec = todo.pop()
        if spec is goal:
            return True
        if spec.name not in seen:
            seen.add(spec.name)
            todo.extend(spec.outputs)
    return False


def precedes(source: Any, element_id: str) -> bool:
    """Whether `element_id` comes before the source task in the model (a move back), by the flow.

    In a loop both lead to each other; then it is back if the element already ran on this path."""
    # From where the element is entered: its boundary events' branches follow it, too.
    target = graft_spec(target_spec(source, element_id))
    if not _reaches(target, source.task_spec):
        return False
    return not _reaches(source.task_spec, target) or is_behind(source, element_id)


def graft_spec(spec: Any) -> Any:
    """The spec to graft for `spec`: its boundary-event split when it has boundary events, so they arm."""
    split = next((s for s in spec.inputs if isinstance(s, BoundaryEventSplit)), None)
    return split if split is not None else spec


def move_forward(workflow: Any, source_id: str, element_id: str) -> list[str]:
    """Cancel the source task's branch and make `element_id` READY with the current data.

    Returns the ids of the tasks cancelled (the source, and boundary events waiting on it).
    """
    source = workflow.get_task_from_id(UUID(source_id))
    spec = graft_spec(target_spec(source, element_id))
    data = copy.deepcopy(source.data)
    attached = source.parent if isinstance(source.parent.task_spec, BoundaryEventSplit) else None
    siblings = [c for c in attached.children if c is not source] if attached is not None else []
    cancelled = []
    for task in [source, *siblings]:
        if task.has_state(TaskState.NOT_FINISHED_MASK):
            task.cancel()  # also takes a waiting event out of the engine's event manager
        elif task.has_state(TaskState.ERROR):
            task._set_state(TaskState.CANCELLED)
            task._drop_children(force=True)
            task.task_spec._on_cancel(task)
        else:
            continue
        cancelled.append(str(task.id))
    target = source._add_child(spec, TaskState.FUTURE)
    target.data = data
    # As the engine's own reset does: predict the target's children, then let it become READY.
    spec._predict(target, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)
    spec._update(target)
    return cancelled
