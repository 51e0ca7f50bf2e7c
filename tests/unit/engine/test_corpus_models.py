"""Every BPMN model of the engine's own test corpus deploys, or is refused naming why.

Most of the corpus is written in Python (SpiffWorkflow's expression language). Where Python is off
(the default) those models are refused at deploy naming the setting python_scripts."""
import pytest

from server.engine import ModelError, ServiceRegistry, compile_model

from tests.support.paths import CORPUS as SHARED_CORPUS

CORPUS = SHARED_CORPUS / "bpmn" / "spiff"

# Models refused on purpose, with the reason the refusal must name.
REFUSED = {
    "bpmn/Invalid-Workflows/non-executable-process.bpmn": "no executable process",
    "bpmn/parallel_multiinstance_invalid.bpmn": "exactly one of cardinality or loop input",
    # They call process 'Level2b', which no file defines (call_activity_level_2b.bpmn declares 'Level2').
    "bpmn/call_activity_nested/call_activity_nested.bpmn": "calls process 'Level2b', which no file of this model defines",
    "bpmn/call_activity_nested/call_activity_level_2.bpmn": "calls process 'Level2b', which no file of this model defines",
}
# Models with Python scripts or Python-only expressions: refused while Python is off.
PYTHON = {
    "bpmn/boundary.bpmn", "bpmn/boundary_timer_on_task.bpmn", "bpmn/inclusive_gateway.bpmn", "bpmn/lanes.bpmn",
    "bpmn/timer-date-start.bpmn", "bpmn/timer-non-interrupt-boundary.bpmn",
    "camunda/ExclusiveGatewayIfElseAndDecision.bpmn", "camunda/MessageBoundary.bpmn",
    "camunda/invalid/InvalidDecision.bpmn", "spiff/business_rule_task.bpmn", "spiff/service_task.bpmn",
    "spiff/spiff_multiinstance.bpmn",
}
# Files that only deploy together with the processes they call.
TOGETHER = {
    "bpmn/call_activity_nested/call_activity_nested.bpmn": [
        "bpmn/call_activity_nested/call_activity_level_2.bpmn",
        "bpmn/call_activity_nested/call_activity_level_3.bpmn"],
    "bpmn/call_activity_nested/call_activity_level_2.bpmn": [
        "bpmn/call_activity_nested/call_activity_level_3.bpmn"],
}

MODELS = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.bpmn"))


def test_the_corpus_is_present():
    assert len(MODELS) >= 20


@pytest.mark.parametrize("name", MODELS)
def test_corpus_model_deploys_or_is_refused_with_a_reason(name):
    files = {n: (CORPUS / n).read_bytes() for n in [name, *TOGETHER.get(name, [])]}
    if name in PYTHON:
        with pytest.raises(ModelError) as refused:
            compile_model(bpmn=files, services=ServiceRegistry())
        assert "Python scripts are off in this environment" in str(refused.value)
        assert "python_scripts" in str(refused.value) and refused.value.element_id
    elif name in REFUSED:
        with pytest.raises(ModelError) as refused:
            compile_model(bpmn=files, services=ServiceRegistry())
        assert REFUSED[name] in str(refused.value)
    else:
        model = compile_model(bpmn=files, services=ServiceRegistry())
        assert model.process_id


# With Python allowed, the Python models deploy (the engine's own refusals aside) and their scripts
# and conditions run in server.sandbox's worker processes, never in this one.
PYTHON_ALSO_REFUSED = {
    "camunda/ExclusiveGatewayIfElseAndDecision.bpmn": "no DMN decision with id",
    "camunda/invalid/InvalidDecision.bpmn": "no DMN decision with id 'InvalidDecisionId'",
    "spiff/business_rule_task.bpmn": "no DMN decision with id",
    "spiff/service_task.bpmn": "unknown service",
}


@pytest.fixture(scope="module")
def sandbox():
    from server import sandbox as module

    yield module
    module.shutdown()


@pytest.mark.parametrize("name", sorted(PYTHON))
def test_python_models_deploy_where_python_is_allowed(name):
    files = {name: (CORPUS / name).read_bytes()}
    if name in PYTHON_ALSO_REFUSED:
        with pytest.raises(ModelError) as refused:
            compile_model(bpmn=files, services=ServiceRegistry(), python_scripts=True)
        assert PYTHON_ALSO_REFUSED[name] in str(refused.value)
    else:
        assert compile_model(bpmn=files, services=ServiceRegistry(), python_scripts=True).process_id


@pytest.mark.parametrize("name, data, expected", [
    ("bpmn/boundary_timer_on_task.bpmn", {}, {"timer_called": False}),  # a script task
    ("spiff/spiff_multiinstance.bpmn", {"input_data": [1, 2, 3]}, {"input_data": [2, 3, 4]}),  # a pre-script
])
def test_python_scripts_of_the_corpus_run_in_the_sandbox(sandbox, name, data, expected):
    from server.engine import WorkflowRun

    model = compile_model(bpmn={name: (CORPUS / name).read_bytes()}, services=ServiceRegistry(), python_scripts=True)
    run = WorkflowRun.start(model, data)
    assert run.advance() is None
    assert {key: run.data.get(key) for key in expected} == expected


def test_a_python_condition_of_the_corpus_routes_in_the_sandbox(sandbox):
    from server.engine import WorkflowRun

    name = "bpmn/inclusive_gateway.bpmn"
    model = compile_model(bpmn={name: (CORPUS / name).read_bytes()}, services=ServiceRegistry(), python_scripts=True)
    run = WorkflowRun.start(model, {})
    assert run.advance() is None
    (task,) = run.ready_user_tasks()
    run.complete_user_task(task.task_id, {"v": 0, "u": 1, "w": 1})
    assert run.advance() is None
    assert run.is_completed  # u > 0 and w > 0 took both branches; v == 0 then ended it
    assert (run.data["u"], run.data["w"], run.data["v"]) == (1, 1, 0)


def test_python_left_in_a_model_is_not_run_once_the_setting_is_off():
    """A model compiled while Python was on, run where it is off (no host: the model's flag decides)."""
    from server.engine import WorkflowRun

    name = "bpmn/boundary_timer_on_task.bpmn"
    model = compile_model(bpmn={name: (CORPUS / name).read_bytes()}, services=ServiceRegistry(), python_scripts=True)
    import dataclasses

    off = dataclasses.replace(model, python_scripts=False)
    run = WorkflowRun.start(off, {})
    failure = run.advance()
    assert failure is not None and failure.element_id == "Activity_0dzjjk3"
    assert "python_scripts" in failure.message and "timer_called" not in run.data
