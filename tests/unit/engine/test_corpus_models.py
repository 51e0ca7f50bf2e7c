"""Every BPMN model of the engine's own test corpus deploys, or is refused naming why."""
import pytest

from server.engine import ModelError, ServiceRegistry, compile_model

from tests.support.paths import CORPUS as SHARED_CORPUS

CORPUS = SHARED_CORPUS / "bpmn" / "spiff"

# Models refused on purpose, with the reason the refusal must name.
REFUSED = {
    "bpmn/Invalid-Workflows/non-executable-process.bpmn": "no executable process",
    "bpmn/parallel_multiinstance_invalid.bpmn": "exactly one of cardinality or loop input",
    "camunda/invalid/InvalidDecision.bpmn": "no DMN decision with id 'InvalidDecisionId'",
    # Business rule tasks whose DMN tables are written in Python, not FEEL; deployed without them
    # the decision is unknown.
    "camunda/ExclusiveGatewayIfElseAndDecision.bpmn": "no DMN decision with id",
    "spiff/business_rule_task.bpmn": "no DMN decision with id",
    # They call process 'Level2b', which no file defines (call_activity_level_2b.bpmn declares 'Level2').
    "bpmn/call_activity_nested/call_activity_nested.bpmn": "The process 'Level2b' was not found",
    "bpmn/call_activity_nested/call_activity_level_2.bpmn": "The process 'Level2b' was not found",
    # Service operators that Stroom does not ship.
    "spiff/service_task.bpmn": "unknown service",
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
    if name in REFUSED:
        with pytest.raises(ModelError) as refused:
            compile_model(bpmn=files, services=ServiceRegistry())
        assert REFUSED[name] in str(refused.value)
    else:
        model = compile_model(bpmn=files, services=ServiceRegistry())
        assert model.process_id
