"""Task specs Stroom adds to the engine: business rule tasks on our DMN evaluator, dict-result services."""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
from SpiffWorkflow.spiff.specs.defaults import ServiceTask as SpiffServiceTask
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask


class DecisionTask(SpiffBpmnTask):
    """A business rule task evaluated by server.decisions; outputs merge into the task data."""

    def __init__(self, wf_spec: Any, bpmn_id: str, *, decision_ref: str, **kwargs: Any):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.decision_ref = decision_ref

    def _run_hook(self, my_task: Any) -> bool:
        my_task.workflow.script_engine.decide(my_task, self.decision_ref)
        return True


class DispatchServiceTask(SpiffServiceTask):
    """A service task whose callable returns Python data (no JSON string round trip)."""

    def __init__(self, *args: Any, merge_result: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.merge_result = merge_result

    def _execute(self, task: Any) -> bool:
        result = task.workflow.script_engine.call_service(
            task, operation_name=self.operation_name, operation_params=self.evaluate_params(task))
        if self.merge_result and isinstance(result, dict):
            task.data.update(result)
        elif not self.merge_result:
            task.data[self.result_variable] = result
        return True


class ExpressionCollection(TaskDataReference):
    """A multi-instance input given as a FEEL expression: its value is computed from the task data."""

    def __init__(self, expression: str):
        super().__init__(expression)
        self.expression = expression

    def get(self, my_task: Any) -> Any:
        return my_task.workflow.script_engine.evaluate(my_task, self.expression)

    def exists(self, my_task: Any) -> bool:
        return True

    def set(self, my_task: Any, value: Any) -> None:
        raise ValueError("a multi-instance collection expression cannot be written to")
