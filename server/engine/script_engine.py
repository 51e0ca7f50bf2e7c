"""The engine's script engine: restricted scripts, service dispatch, DMN decisions, with a trace."""
from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from server import causes
from server.decisions.errors import DecisionError
from server.decisions.values import TEMPORAL, to_json
from server.engine import expressions, python
from server.engine.services import ServiceCall
from server.engine.types import EngineError, ScriptError, StepEvent


class ServiceFailed(EngineError):
    """A service callable raised; keeps the original message, a short stack summary and the cause (the
    one the service's error names, else 'a service task failed: <service>')."""

    def __init__(self, name: str, error: BaseException):
        super().__init__(f"service {name!r} failed: {type(error).__name__}: {error}")
        self.stack = "".join(traceback.format_exception(error, limit=-4))
        self.cause = causes.found_in(error) or causes.Cause(causes.SERVICE_FAILED, name)


def _expression_failed(message: str, task: Any, error: BaseException) -> WorkflowTaskException:
    """The engine's error for a failed expression or script, carrying its cause (the evaluator's error)."""
    failed = WorkflowTaskException(message, task=task, exception=error)
    failed.cause = causes.Cause(causes.EXPRESSION_FAILED, str(error) or type(error).__name__)
    return failed


class Environment(BasePythonScriptEngineEnvironment):
    """Evaluates canonical texts: `=FEEL` with server.decisions, Python only in server.sandbox when allowed.

    The engine also calls this directly (process completion conditions, message correlations)."""

    def __init__(self, python_allowed: Callable[[], bool]):
        super().__init__({})
        self.python_allowed = python_allowed

    def evaluate(self, expression: str, context: Mapping[str, Any], external_context: Any = None) -> Any:
        data = {**(external_context or {}), **context}
        if expressions.is_feel(expression):
            return expressions.evaluate(expression, data)
        return python.evaluate(expression, data, allowed=self.python_allowed())

    def execute(self, script: str | None, context: dict[str, Any], external_context: Any = None) -> bool:
        if script is None or not script.strip():
            return True
        if expressions.is_feel(script):
            data = {**(external_context or {}), **context}
            result = expressions.evaluate(script, data)
            if not isinstance(result, dict):
                raise ScriptError(f"the script gave {type(result).__name__}, not a context of variables")
            context.update(result)
            return True
        new = python.run_script(script, context, allowed=self.python_allowed())
        context.clear()
        context.update(new)
        return True


class StroomScriptEngine(PythonScriptEngine):
    """One per loaded workflow: knows the model's services and decisions and collects step events."""

    def __init__(self, model: Any, context: Any):
        super().__init__(environment=Environment(self.python_allowed))
        self.model = model
        self.context = context
        self.events: list[StepEvent] = []
        # The task whose expression was evaluated last: the engine uses some values (timer definitions,
        # collections) after evaluate() returned, where a wrong type raises without naming a task.
        self.evaluating: Any = None
        # Decisions of this advance that matched no rule: a gateway that then finds no path names them.
        self.unmatched: list[str] = []

    def validate(self, expression: str) -> None:
        """Expressions are checked at deploy (server.engine.canonical); nothing to do here."""

    def python_allowed(self) -> bool:
        """Whether Python may run now: the context's answer (the environment's current setting, read by
        the caller's domain package), or the model's own setting where the context gives none."""
        ask = getattr(self.context, "python_allowed", None)
        if ask is None:
            return bool(getattr(self.model, "python_scripts", False))
        return bool(ask())

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        self.evaluating = task
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except ScriptError as exc:
            raise _expression_failed(str(exc), task, exc) from exc
        except Exception as exc:
            message = f"error evaluating {expression!r}: {type(exc).__name__}: {exc}"
            raise _expression_failed(message, task, exc) from exc

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        try:
            self.environment.execute(script, task.data, external_context)
        except ScriptError as exc:
            raise _expression_failed(str(exc), task, exc) from exc
        except Exception as exc:
            message = f"script failed: {type(exc).__name__}: {exc}"
            raise _expression_failed(message, task, exc) from exc
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
        try:
            result = model.evaluate(decision_ref, task.data)
        except DecisionError as exc:
            raise causes.CausedError(str(exc), cause=causes.DECISION_FAILED, detail=str(exc)) from exc
        if not result.matched_rules:
            self.unmatched.append(decision_ref)
        task.data.update(_plain(result.outputs))
        self.events.append(StepEvent("decision", task.task_spec.bpmn_id, task.task_spec.bpmn_name or "",
                                     {"decision": decision_ref, **result.to_json()}))


def _plain(value: Any) -> Any:
    """Decimals from FEEL become int or float, temporal values ISO text, so task data stays JSON-friendly."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, TEMPORAL):  # dates, times, durations: ISO text, as the trace shows them
        return to_json(value)
    return value
