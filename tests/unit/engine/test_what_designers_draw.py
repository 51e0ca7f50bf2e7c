"""What designers draw, runs (issue 19, point 6).

Documentation-only elements deploy and are ignored at run time; several flows leaving a task split
as BPMN 2.0 §13 says (unconditioned flows always, conditional ones when true, the default when no
condition is); every refusal over the shared corpus is one plain line naming where, never a repr.
"""
from __future__ import annotations

import pytest

from server.engine import ModelError, ServiceRegistry, WorkflowRun, compile_model
from tests.support.paths import CORPUS
from tests.unit.engine.test_feel_expressions import process

ALL_CORPUS_MODELS = sorted(str(p.relative_to(CORPUS / "bpmn")) for p in (CORPUS / "bpmn").rglob("*.bpmn"))


def started(body: str, data: dict[str, object] | None = None) -> WorkflowRun:
    model = compile_model(bpmn=process(body), services=ServiceRegistry())
    run = WorkflowRun.start(model, data or {})
    assert run.advance() is None
    return run


def waiting_at(run: WorkflowRun) -> list[str]:
    return sorted(task.element_id for task in run.ready_user_tasks())


def finish(run: WorkflowRun, element_id: str) -> None:
    (task,) = [task for task in run.ready_user_tasks() if task.element_id == element_id]
    run.complete_user_task(task.task_id, {})
    assert run.advance() is None


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'
    return (f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"><bpmn:conditionExpression '
            f'xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>')


DOCUMENTED = (
    '<bpmn:startEvent id="start"/><bpmn:userTask id="check" name="Check"><bpmn:dataOutputAssociation id="w">'
    '<bpmn:targetRef>erp</bpmn:targetRef></bpmn:dataOutputAssociation></bpmn:userTask>'
    '<bpmn:dataStoreReference id="erp" name="ERP" dataStoreRef="erpStore"/>'
    '<bpmn:textAnnotation id="note"><bpmn:text>Checked by creditors</bpmn:text></bpmn:textAnnotation>'
    '<bpmn:association id="a" sourceRef="check" targetRef="note"/>'
    '<bpmn:group id="g" categoryValueRef="cv"/><bpmn:endEvent id="end"/>'
    + flow("f1", "start", "check") + flow("f2", "check", "end"))


def test_data_stores_annotations_and_groups_deploy_and_are_ignored_at_run_time():
    definitions = process(DOCUMENTED)["m.bpmn"].replace(
        b"<bpmn:process", b'<bpmn:dataStore id="erpStore" name="ERP system"/><bpmn:category id="c">'
        b'<bpmn:categoryValue id="cv" value="Creditors"/></bpmn:category><bpmn:process', 1)
    model = compile_model(bpmn={"m.bpmn": definitions}, services=ServiceRegistry())
    run = WorkflowRun.start(model, {})
    assert run.advance() is None
    assert waiting_at(run) == ["check"]
    finish(run, "check")
    assert run.is_completed


def test_a_non_executable_pool_beside_the_executable_one_is_ignored():
    definitions = process(DOCUMENTED.replace('<bpmn:dataOutputAssociation id="w"><bpmn:targetRef>erp'
                                             '</bpmn:targetRef></bpmn:dataOutputAssociation>', "")
                          .replace('<bpmn:dataStoreReference id="erp" name="ERP" dataStoreRef="erpStore"/>', ""))
    source = definitions["m.bpmn"].replace(
        b"</bpmn:definitions>", b'<bpmn:process id="supplier" isExecutable="false"><bpmn:task id="send"/>'
        b'</bpmn:process><bpmn:collaboration id="col"><bpmn:participant id="us" processRef="p"/>'
        b'<bpmn:participant id="them" processRef="supplier"/></bpmn:collaboration></bpmn:definitions>')
    model = compile_model(bpmn={"m.bpmn": source}, services=ServiceRegistry())
    assert model.process_id == "p"


SPLIT = ('<bpmn:startEvent id="start"/><bpmn:userTask id="receive"/><bpmn:userTask id="approve"/>'
         '<bpmn:userTask id="archive"/><bpmn:userTask id="escalate"/><bpmn:endEvent id="end1"/>'
         '<bpmn:endEvent id="end2"/><bpmn:endEvent id="end3"/>'
         + flow("f0", "start", "receive") + "{flows}"
         + flow("f4", "approve", "end1") + flow("f5", "archive", "end2") + flow("f6", "escalate", "end3"))


def test_several_unconditioned_flows_leaving_a_task_split_in_parallel():
    run = started(SPLIT.format(flows=flow("f1", "receive", "approve") + flow("f2", "receive", "archive")))
    finish(run, "receive")
    assert waiting_at(run) == ["approve", "archive"]
    finish(run, "approve")
    assert not run.is_completed
    finish(run, "archive")
    assert run.is_completed


@pytest.mark.parametrize("amount, expected", [(50, ["archive"]), (5000, ["approve", "archive"])])
def test_a_conditional_flow_leaving_a_task_is_taken_only_when_true_and_unconditioned_ones_always(amount, expected):
    flows = flow("f1", "receive", "approve", "amount &gt; 1000") + flow("f2", "receive", "archive")
    run = started(SPLIT.format(flows=flows), {"amount": amount})
    finish(run, "receive")
    assert waiting_at(run) == expected


@pytest.mark.parametrize("amount, expected", [(50, ["escalate"]), (5000, ["approve"]), (20000, ["approve", "archive"])])
def test_the_default_flow_of_a_task_is_taken_only_when_no_condition_is_true(amount, expected):
    flows = (flow("f1", "receive", "approve", "amount &gt; 1000") + flow("f2", "receive", "archive", "amount &gt; 10000")
             + flow("f3", "receive", "escalate"))
    run = started(SPLIT.replace('<bpmn:userTask id="receive"/>', '<bpmn:userTask id="receive" default="f3"/>')
                  .format(flows=flows), {"amount": amount})
    finish(run, "receive")
    assert waiting_at(run) == expected


def test_a_single_conditional_flow_leaving_a_task_is_honoured():
    """No condition true and no default: the instance stops with an error there, it does not run on."""
    body = ('<bpmn:startEvent id="start"/><bpmn:userTask id="receive"/><bpmn:userTask id="approve"/>'
            '<bpmn:endEvent id="end"/>' + flow("f0", "start", "receive")
            + flow("f1", "receive", "approve", "amount &gt; 1000") + flow("f2", "approve", "end"))
    run = started(body, {"amount": 5000})
    finish(run, "receive")
    assert waiting_at(run) == ["approve"]
    low = started(body, {"amount": 5})
    (task,) = low.ready_user_tasks()
    low.complete_user_task(task.task_id, {})
    failure = low.advance()
    assert failure is not None and waiting_at(low) == []


@pytest.mark.parametrize("name", ALL_CORPUS_MODELS)
def test_every_refusal_over_the_corpus_is_one_plain_line_naming_where(name):
    path = CORPUS / "bpmn" / name
    try:
        compile_model(bpmn={path.name: path.read_bytes()}, services=ServiceRegistry())
    except ModelError as refused:
        message = str(refused)
        assert " at 0x" not in message and "<Element" not in message, message
        assert "\n" not in message, message
        assert refused.element_id or refused.file, message


def test_a_data_association_to_a_process_input_is_refused_naming_it():
    with pytest.raises(ModelError) as refused:
        compile_model(bpmn={"C.6.0.bpmn": (CORPUS / "bpmn" / "miwg" / "C.6.0.bpmn").read_bytes()},
                      services=ServiceRegistry())
    assert "'Travel Request'" in refused.value.reason and refused.value.element_id


def test_a_call_to_a_process_no_file_defines_names_the_call_activity():
    with pytest.raises(ModelError) as refused:
        compile_model(bpmn={"C.9.2.bpmn": (CORPUS / "bpmn" / "miwg" / "C.9.2.bpmn").read_bytes()},
                      services=ServiceRegistry())
    assert "requestDocument_en" in refused.value.reason and refused.value.element_id
