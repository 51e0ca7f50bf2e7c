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
    "bpmn/call_activity_nested/call_activity_nested.bpmn": "The process 'Level2b' was not found",
    "bpmn/call_activity_nested/call_activity_level_2.bpmn": "The process 'Level2b' was not found",
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
