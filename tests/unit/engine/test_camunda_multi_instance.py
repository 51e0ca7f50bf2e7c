"""Multi-instance user tasks as the Camunda modeler writes them: camunda:collection / elementVariable."""
from pathlib import Path

from server.engine import ServiceRegistry, WorkflowRun, compile_model

STANDARD = Path(__file__).resolve().parents[2] / "data" / "bpmn" / "tasks" / "mi_any.bpmn"


def camunda_style() -> bytes:
    xml = STANDARD.read_text()
    xml = xml.replace("""      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:loopDataInputRef>approvers</bpmn:loopDataInputRef>
        <bpmn:inputDataItem id="approver" name="approver" />
        <bpmn:completionCondition xsi:type="bpmn:tFormalExpression">approved = true</bpmn:completionCondition>""",
                      """      <bpmn:multiInstanceLoopCharacteristics camunda:collection="${approvers}" camunda:elementVariable="approver">
        <bpmn:completionCondition xsi:type="bpmn:tFormalExpression">${approved == true}</bpmn:completionCondition>""")
    assert "camunda:collection" in xml
    return xml.encode()


def test_each_person_of_a_camunda_collection_gets_a_task_and_one_approval_is_enough():
    model = compile_model(bpmn={"mi.bpmn": camunda_style()}, services=ServiceRegistry())
    run = WorkflowRun.start(model, {"approvers": ["anna", "bob", "carla"]})
    assert run.advance() is None
    ready = run.ready_user_tasks()
    assert sorted(t.assignment.assignee for t in ready) == ["anna", "bob", "carla"]
    assert sorted(t.multi_instance_item for t in ready) == ["anna", "bob", "carla"]
    bob = next(t for t in ready if t.assignment.assignee == "bob")
    run.complete_user_task(bob.task_id, {"approved": True})
    assert run.advance() is None
    assert run.ready_user_tasks() == [] and run.is_completed
