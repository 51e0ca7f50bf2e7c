"""The engine's script engine: restricted scripts, service dispatch, DMN decisions, with a trace."""
from __future__ import annotations

import re
import traceback
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from server.engine import scripting
from server.engine.services import ServiceCall
from server.engine.types import EngineError, ScriptError, StepEvent


# Timer definitions as bpmn.io writes them: bare ISO 8601 durations, dates or cycles (PT1H, R3/PT10M,
# 2026-12-01T09:00:00Z). The engine evaluates them as expressions, where they would be undefined names.
_ISO_TIMER = re.compile(
    r"^(R\d*/)?(P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)$")


def iso_literal(expression: str) -> str | None:
    """The expression itself when it is a bare ISO 8601 timer value, else None."""
    text = expression.strip()
    return text if _ISO_TIMER.match(text) else None


class ServiceFailed(EngineError):
    """A service callable raised; keeps the original message and a short stack summary."""

    def __init__(self, name: str, error: BaseException):
        super().__init__(f"service {name!r} failed: {type(error).__name__}: {error}")
        self.stack = "".join(traceback.format_exception(error, limit=-4))


class StroomScriptEngine(PythonScriptEngine):
    """One per loaded workflow: knows the model's services and decisions and collects step events."""

    def __init__(self, model: Any, context: Any):
        super().__init__()
        self.model = model
        self.context = context
        self.events: list[StepEvent] = []

    def validate(self, expression: str) -> None:
        scripting.compile_checked(expression.strip(), "eval")

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        literal = iso_literal(expression)
        if literal is not None:
            return literal
        try:
            return scripting.evaluate(expression, task.data, external_context)
        except Exception as exc:
            raise WorkflowTaskException(f"error evaluating {expression!r}: {exc}", task=task, exception=exc) from exc

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        try:
            scripting.execute(script, task.data, external_context)
        except ScriptError as exc:
            raise WorkflowTaskException(str(exc), task=task, exception=exc) from exc
        except Exception as exc:
            raise WorkflowTaskException(f"script failed: {type(exc).__name__}: {exc}", task=task,
                                        exception=exc) from exc
        return True

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        # The engine's own call_service refers to an undefined name when a service raises.
        name = kwargs["operation_name"]
        params = {key: spec["value"] for key, spec in kwargs.get("operation_params", {}).items()}
        func = self.model.services.get(name)
        if func is None:
            raise ServiceFailed(name, LookupError("no such service"))
        call = ServiceCall(name=name, params=params, data=task.data, element_id=task.task_spec.bpmn_id,
                           context=self.context)
        try:
            result = func(call)
        except Exception as exc:
            raise ServiceFailed(name, exc) from exc
        self.events.append(StepEvent("service_called", task.task_spec.bpmn_id, task.task_spec.bpmn_name or "",
                                     {"service": name}))
        return result

    def decide(self, task: Any, decision_ref: str) -> None:
        """Evaluate a decision over the task data, merge its outputs and record the trace."""
        model = next(m for m in self.model.decisions.values() if decision_ref in m.decision_ids)
        result = model.evaluate(decision_ref, task.data)
        task.data.update(_plain(result.outputs))
        self.events.append(StepEvent("decision", task.task_spec.bpmn_id, task.task_spec.bpmn_name or "",
                                     {"decision": decision_ref, **result.to_json()}))


def _plain(value: Any) -> Any:
    """Decimals from FEEL become int or float, temporal values ISO text, so task data stays JSON-friendly."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    from server.decisions.values import TEMPORAL, to_json

    if isinstance(value, TEMPORAL):  # dates, times, durations: ISO text, as the trace shows them
        return to_json(value)
    return value
