"""Moving a live workflow onto another version of its model (Camunda 7's process instance migration).

SpiffWorkflow's own `migrate_workflow` (bpmn/util/diff.py) swaps each task's spec for the aligned one
and resets the READY and WAITING branches in place. That keeps a waiting user task, but arms no boundary
timer the new version adds to it, leaves a removed element's history pointing at no spec (the state no
longer loads) and knows nothing of renamed elements. Here, with a mapping `source element -> target
element` (same id by default, others by hand):

- every task whose spec has a counterpart gets it (Spiff's internal specs follow their element:
  `approve.BoundaryEventSplit` follows `approve`);
- finished tasks of elements the target lacks are spliced out of the tree (their children move up);
  predicted ones are dropped (the target predicts its own);
- each waiting step is grafted afresh under the task before it, on the target's spec (with the
  target's boundary events, so their timers arm), keeping its data; a timer the target keeps
  unchanged keeps its due time. The user tasks that moved are reported (old engine id -> new one) so
  the host keeps its human task, claim and due date included.
Multi-instance steps and joins stay in place (new spec, same tasks). Instances inside a subprocess and
steps that failed are refused with a reason.
"""
from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.util.task import TaskState

from server.engine import moves
from server.engine.model import CompiledModel
from server.engine.state import reconnect_loops

FINISHED = TaskState.COMPLETED | TaskState.CANCELLED
# Gateways never wait for a person or a clock; a join waiting for its other branches stays in place.
_NOT_WAITING_KINDS = ("ExclusiveGateway", "ParallelGateway", "InclusiveGateway", "EventBasedGateway",
                      "StartEvent")


@dataclasses.dataclass(frozen=True)
class MigrationBlocker:
    """Why an instance cannot move: the element it waits at (if any) and the reason in words."""

    element_id: str
    name: str
    reason: str
    code: str


@dataclasses.dataclass(frozen=True)
class MigratedTasks:
    """What the migration did to the tree: user tasks kept (old engine id -> new engine id)."""

    kept_user_tasks: Mapping[str, str]


def activities(model: CompiledModel) -> dict[str, tuple[str, str]]:
    """element id -> (name, kind) of the elements a token can wait at (no gateways or start events)."""
    return {e.element_id: (e.name, e.kind) for e in model.elements.values() if e.kind not in _NOT_WAITING_KINDS}


def target_of(element_id: str, mapping: Mapping[str, str], target: CompiledModel) -> str | None:
    """The target element of a source element: mapped by hand, else the same id if the target has it."""
    if element_id in mapping:
        return mapping[element_id]
    return element_id if element_id in target.elements else None


def waiting_tasks(workflow: Any) -> list[Any]:
    """The open steps that hold the instance's tokens (a multi-instance step once, not per share)."""
    open_ones = moves.open_tasks(list(workflow.tasks.values()))
    ids = {t.id for t in open_ones}
    return [t for t in open_ones if not _has_open_ancestor(t, ids)]


def _has_open_ancestor(task: Any, ids: set[Any]) -> bool:
    node = task.parent
    while node is not None:
        if node.id in ids:
            return True
        node = node.parent
    return False


def blockers(workflow: Any, source: CompiledModel, target: CompiledModel, mapping: Mapping[str, str],
             target_label: str = "the target version") -> list[MigrationBlocker]:
    """Why this workflow cannot move to `target` under `mapping` (empty: it can)."""
    if workflow.subprocesses:
        return [MigrationBlocker("", "", "the instance runs inside a subprocess; migrating those is not "
                                 "supported", "subprocess")]
    found = []
    for task in waiting_tasks(workflow):
        element = task.task_spec.bpmn_id
        name = source.elements[element].name if element in source.elements else element
        label = name or element
        if task.has_state(TaskState.ERROR):
            found.append(MigrationBlocker(element, name, f"the step '{label}' failed; retry it or move the "
                                          "instance before migrating", "failed_step"))
            continue
        counterpart = target_of(element, mapping, target)
        if counterpart is None or counterpart not in target.elements:
            found.append(MigrationBlocker(element, name, f"the instance waits at '{label}' which has no "
                                          f"counterpart in {target_label}", "no_counterpart"))
            continue
        old_kind, new_kind = source.elements[element].kind, target.elements[counterpart].kind
        if old_kind != new_kind:
            found.append(MigrationBlocker(element, name, f"'{label}' is a {_words(old_kind)} but its counterpart "
                                          f"'{counterpart}' is a {_words(new_kind)}", "kind_differs"))
    return found


def _words(kind: str) -> str:
    """UserTask -> user task."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in kind).strip()


def migrate(workflow: Any, source: CompiledModel, target: CompiledModel, mapping: Mapping[str, str],
            script_engine: Any) -> MigratedTasks:
    """Put `workflow` on the target's specs in place (see the module docstring); check `blockers` first."""
    renames = _spec_names(source, target, mapping)
    waiting = [(t.id, {renames.get(e, e): timer for e, timer in _kept_timers(t).items()})
               for t in waiting_tasks(workflow)]
    workflow.spec = target.process.spec
    workflow.subprocess_specs = target.process.subprocess_specs
    workflow.script_engine = script_engine
    _respec(workflow, target.process.spec.task_specs, renames)
    kept: dict[str, str] = {}
    for task_id, timers in waiting:
        task = workflow.tasks.get(task_id)
        if task is None or _stays_in_place(task):
            continue
        kept.update(_regraft(workflow, task, timers))
    reconnect_loops(workflow)
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = None
    _forget_removed_events(workflow)
    return MigratedTasks(kept)


def _spec_names(source: CompiledModel, target: CompiledModel, mapping: Mapping[str, str]) -> dict[str, str]:
    """Source spec name -> target spec name, elements first, then the engine's specs derived from them."""
    elements = {e: t for e in source.elements if (t := target_of(e, mapping, target)) is not None}
    names: dict[str, str] = {}
    old_pid, new_pid = source.process_id, target.process_id
    for name in source.process.spec.task_specs:
        if name in elements:
            names[name] = elements[name]
        elif name == f"{old_pid}.EndJoin":
            names[name] = f"{new_pid}.EndJoin"
        else:
            base, _, suffix = name.partition(".")
            if base in elements and suffix:
                names[name] = f"{elements[base]}.{suffix}"
            elif " [" in name and name.split(" [", 1)[0] in elements:
                head, tail = name.split(" [", 1)
                names[name] = f"{elements[head]} [{tail}"
            else:
                names[name] = name
    return names


def _respec(workflow: Any, specs: Mapping[str, Any], renames: Mapping[str, str]) -> None:
    for task in list(workflow.tasks.values()):
        if task.id not in workflow.tasks:
            continue  # dropped with an ancestor
        spec = specs.get(renames.get(task.task_spec.name, task.task_spec.name))
        if spec is not None:
            task.task_spec = spec
        elif task.has_state(FINISHED) and task.parent is not None:
            _splice(workflow, task)
        elif task.parent is not None:
            workflow._remove_task(task.id)


def _splice(workflow: Any, task: Any) -> None:
    """Take a finished task out of the tree; its children take its place under its parent."""
    parent = task.parent
    at = parent._children.index(task.id)
    parent._children[at:at + 1] = list(task._children)
    for child in task.children:
        child.parent = parent
    workflow.tasks.pop(task.id)


def _stays_in_place(task: Any) -> bool:
    spec = task.task_spec
    return (isinstance(spec, LoopTask) or isinstance(task.parent.task_spec, LoopTask)
            or type(spec).__name__ in _NOT_WAITING_KINDS or not task.has_state(TaskState.READY | TaskState.WAITING))


def _kept_timers(task: Any) -> dict[str, tuple[str, Any]]:
    """element -> (timer expression, due value) of the waiting timers on this step (itself or boundary)."""
    branch = task.parent if isinstance(task.parent.task_spec, BoundaryEventSplit) else task
    found = {}
    for node in [branch, *branch.children] if branch is not task else [task]:
        definition = getattr(node.task_spec, "event_definition", None)
        if node.has_state(TaskState.WAITING) and isinstance(definition, TimerEventDefinition):
            found[node.task_spec.bpmn_id] = (definition.expression, node._get_internal_data("event_value"))
    return found


def _regraft(workflow: Any, task: Any, timers: Mapping[str, tuple[str, Any]]) -> dict[str, str]:
    """Replace the step's branch under the task before it by a fresh one on the target spec."""
    old_branch = task.parent if isinstance(task.parent.task_spec, BoundaryEventSplit) else task
    anchor = old_branch.parent
    data, spec, old_id = copy.deepcopy(task.data), task.task_spec, str(task.id)
    was_user_task = bool(spec.manual) and task.has_state(TaskState.READY)
    workflow._remove_task(old_branch.id)
    graft = moves.graft_spec(spec)
    fresh = anchor._add_child(graft, TaskState.FUTURE)
    fresh.data = data
    graft._predict(fresh, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)
    graft._update(fresh)
    if graft is not spec and fresh.has_state(TaskState.READY):
        fresh.run()  # the boundary-event split: opens the step and arms its boundary events
    kept = {}
    for node in _subtree(fresh):
        if node.task_spec is spec and node.has_state(TaskState.READY) and was_user_task:
            kept[old_id] = str(node.id)
        definition = getattr(node.task_spec, "event_definition", None)
        old = timers.get(getattr(node.task_spec, "bpmn_id", ""))
        if (old is not None and node.has_state(TaskState.WAITING) and isinstance(definition, TimerEventDefinition)
                and definition.expression == old[0] and old[1] is not None):
            node._set_internal_data(event_value=old[1])  # an unchanged timer keeps its due time
    return kept


def _subtree(task: Any) -> Iterator[Any]:
    yield task
    for child in task.children:
        yield from _subtree(child)


def _forget_removed_events(workflow: Any) -> None:
    manager = workflow.event_manager
    for task in list(manager.tasks.values()):
        if workflow.tasks.get(task.id) is not task or not task.has_state(TaskState.WAITING):
            manager.remove_task(task)
