"""Workflow state without the specification: the spec lives once per model version, not per instance.

With the engine's default serializer the spec is about two thirds of every saved instance; here it
is rebuilt from the version's sources (parsed once per process) and only tasks and data are stored.
"""
from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

STATE_FORMAT = "stroom-state-1"


class StateCodec:
    """Turns a workflow into a JSON string and back, given the already-parsed specs."""

    def __init__(self) -> None:
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(dict(SPIFF_CONFIG)))
        self._registry = self._serializer.registry

    def dumps(self, workflow: BpmnWorkflow) -> str:
        registry = self._registry
        registry._encoder_mode = True  # the task converter defers value conversion to the encoder
        try:
            base = WorkflowConverter(BpmnWorkflow, registry)
            dct: dict[str, Any] = base.to_dict(workflow)
            dct["subprocesses"] = {str(k): registry.convert(v) for k, v in workflow.subprocesses.items()}
            dct["bpmn_events"] = registry.convert(workflow.bpmn_events)
            dct["format"] = STATE_FORMAT
            return json.dumps(dct, cls=self._serializer._encoder_cls, separators=(",", ":"))
        finally:
            registry._encoder_mode = False

    def loads(self, text: str, spec: Any, subprocess_specs: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
        dct = json.loads(text, cls=self._serializer.json_decoder_cls)
        registry = self._registry
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        base = WorkflowConverter(BpmnWorkflow, registry)
        workflow.tasks = base.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        base.set_default_attributes(workflow, dct)
        self._restore_subprocesses(dct["subprocesses"], workflow, workflow)
        workflow.bpmn_events = registry.restore(dct.get("bpmn_events", []))
        reconnect_loops(workflow)
        return workflow

    def _restore_subprocesses(self, dct: dict[str, Any], workflow: Any, top: BpmnWorkflow) -> None:
        for task in list(workflow.tasks.values()):
            if isinstance(task.task_spec, SubWorkflowTask) and str(task.id) in dct:
                sub = self._registry.restore(dct.pop(str(task.id)), task=task, top_workflow=top)
                top.subprocesses[task.id] = sub
                sub.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
                self._restore_subprocesses(dct, sub, top)


def reconnect_loops(workflow: Any) -> None:
    """Let each loop's child spec report its completed shares to the loop again.

    Spiff connects the child spec's completed event to the loop when the loop creates its first share;
    a process that loads an instance mid-way (a restart, another worker, a migration onto other specs)
    never did, and the loop then waited forever after its last share."""
    for task in workflow.tasks.values():
        spec = task.task_spec
        merge = getattr(spec, "merge_child", None)
        if isinstance(spec, LoopTask) and merge is not None:
            child = workflow.spec.task_specs.get(spec.task_spec)
            if child is not None and not child.completed_event.is_connected(merge):
                child.completed_event.connect(merge)
