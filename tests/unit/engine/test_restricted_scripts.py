"""Designer scripts run restricted: no imports, no files, no dunder tricks; refused at deploy."""
from pathlib import Path

import pytest

from server.engine import ModelError, ServiceRegistry, WorkflowRun, compile_model
from server.engine.scripting import evaluate, execute
from server.engine.types import ScriptError

DATA = Path(__file__).resolve().parents[2] / "data" / "bpmn"


def scripted_model(script: str, service: str = "log", services: ServiceRegistry | None = None):
    xml = (DATA / "script_template.bpmn").read_text().replace("SCRIPT", script).replace("SERVICE", service)
    return compile_model(bpmn={"scripted.bpmn": xml.encode()}, services=services or ServiceRegistry({"log": lambda c: {}}))


@pytest.mark.parametrize("script", [
    "import os",
    "from os import path",
    "x = __import__('os')",
    "x = ().__class__.__bases__",
    "x = open('/etc/passwd').read()",
    "x = eval('1')",
    "x = getattr(total, '__class__')",
])
def test_a_model_whose_script_escapes_the_sandbox_is_refused_at_deploy(script):
    with pytest.raises(ModelError) as refused:
        scripted_model(script)
    assert refused.value.element_id == "compute"


def test_a_plain_script_computes_over_process_data():
    model = scripted_model("total = amount * 2\nlabel = str(total)")
    run = WorkflowRun.start(model, {"amount": 21})
    assert run.advance() is None
    assert run.is_completed
    assert run.data["total"] == 42 and run.data["label"] == "42"


def test_builtins_outside_the_whitelist_are_absent_at_run_time():
    with pytest.raises(NameError):
        execute("x = print", {})
    with pytest.raises(ScriptError):
        evaluate("().__class__", {})


def test_an_unknown_service_name_is_refused_at_deploy():
    with pytest.raises(ModelError) as refused:
        scripted_model("x = 1", service="no_such_service")
    assert "no_such_service" in str(refused.value)
    assert refused.value.element_id == "call"


def test_a_failing_service_step_is_reported_as_a_failure_with_its_message():
    def broken(call):
        raise RuntimeError("ledger unreachable")

    model = scripted_model("x = 1", service="book", services=ServiceRegistry({"book": broken}))
    run = WorkflowRun.start(model, {})
    failure = run.advance()
    assert failure is not None
    assert failure.element_id == "call"
    assert "ledger unreachable" in failure.message
    assert not run.is_completed
    # The state survives a round trip and the step can be retried once the cause is gone.
    restored = WorkflowRun.load(scripted_model("x = 1", service="book",
                                               services=ServiceRegistry({"book": lambda c: {"booked": True}})),
                                run.dumps())
    restored.retry(failure.task_id)
    assert restored.advance() is None
    assert restored.is_completed and restored.data["booked"] is True
