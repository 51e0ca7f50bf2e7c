"""Moving a live workflow onto another version of its model, without a database: the waiting step keeps
its data, the target's boundary timers arm (an unchanged one keeps its due time), removed ones go,
a multi-instance step keeps its shares, and a step the target lacks blocks the move with a reason."""
from pathlib import Path

from server.engine import ServiceRegistry, WorkflowRun, compile_model

DATA = Path(__file__).resolve().parents[2] / "data" / "bpmn"
TIMER = (DATA / "bare_timer.bpmn").read_text()
BOUNDARY = TIMER[TIMER.index("    <bpmn:boundaryEvent"):TIMER.index("    <bpmn:endEvent")]
WITHOUT_TIMER = (TIMER.replace(BOUNDARY, '    <bpmn:userTask id="escalated" name="Escalated"><bpmn:incoming>f9'
                               '</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>\n')
                 .replace('<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalated" />', "")
                 .replace("<bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>",
                          "<bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>"))


def model(text: str):
    return compile_model(bpmn={"m.bpmn": text.encode()}, services=ServiceRegistry())


def waiting(text: str, data: dict | None = None) -> WorkflowRun:
    run = WorkflowRun.start(model(text), data or {"amount": 10})
    assert run.advance() is None
    return run


def test_an_unchanged_timer_keeps_its_due_time_and_a_changed_one_is_armed_anew():
    run = waiting(TIMER)
    [before] = run.pending_timers()
    moved, kept = run.migrated_to(model(TIMER.replace('name="Approve"', 'name="Approve it"')), {})
    [after] = moved.pending_timers()
    assert after.due_at == before.due_at and after.element_id == "late"
    assert len(kept) == 1  # the user task was grafted afresh: its new engine id is reported
    assert moved.ready_user_tasks()[0].name == "Approve it" and moved.data == {"amount": 10}
    longer, _ = waiting(TIMER).migrated_to(model(TIMER.replace("PT1H", "PT5H")), {})
    [rearmed] = longer.pending_timers()
    assert (rearmed.due_at - before.due_at).total_seconds() > 3 * 3600


def test_a_boundary_timer_the_target_adds_is_armed_and_one_it_drops_is_gone():
    run = waiting(WITHOUT_TIMER)
    assert run.pending_timers() == []
    [old_task] = [t.task_id for t in run.ready_user_tasks()]
    moved, kept = run.migrated_to(model(TIMER), {})
    assert [t.element_id for t in moved.pending_timers()] == ["late"]
    assert kept == {old_task: moved.ready_user_tasks()[0].task_id}
    back, _ = moved.migrated_to(model(WITHOUT_TIMER), {})
    assert back.pending_timers() == [] and back.open_elements() == ["approve"]
    back.complete_user_task(back.ready_user_tasks()[0].task_id, {})
    assert back.advance() is None and back.is_completed


def test_a_step_without_counterpart_blocks_unless_mapped_and_a_mapped_one_runs_on():
    run = waiting(TIMER)
    renamed = model(TIMER.replace('"approve"', '"check"'))
    [blocker] = run.migration_blockers(renamed, {}, target_label="version 3")
    assert blocker.reason == "the instance waits at 'Approve' which has no counterpart in version 3"
    assert run.migration_blockers(renamed, {"approve": "check"}) == []
    moved, _ = run.migrated_to(renamed, {"approve": "check"})
    assert moved.open_elements() == ["check"] and [t.element_id for t in moved.pending_timers()] == ["late"]
    moved.complete_user_task(moved.ready_user_tasks()[0].task_id, {})
    assert moved.advance() is None and moved.is_completed


def test_a_multi_instance_step_keeps_its_shares_and_their_data():
    text = (DATA / "tasks" / "mi_all.bpmn").read_text()
    run = waiting(text, {"approvers": ["ann", "bob"]})
    first = run.ready_user_tasks()[0]
    run.complete_user_task(first.task_id, {"ok": True})
    assert run.advance() is None
    left = [t.task_id for t in run.ready_user_tasks()]
    moved, kept = run.migrated_to(model(text.replace('name="Approve invoice"', 'name="Approve"')), {})
    assert kept == {} and [t.task_id for t in moved.ready_user_tasks()] == left
    moved.complete_user_task(left[0], {"ok": True})
    assert moved.advance() is None and moved.is_completed


def test_a_multi_instance_step_loaded_by_a_fresh_process_still_completes_after_its_last_share():
    text = (DATA / "tasks" / "mi_all.bpmn").read_text()
    run = waiting(text, {"approvers": ["ann", "bob"]})
    run.complete_user_task(run.ready_user_tasks()[0].task_id, {"ok": True})
    assert run.advance() is None
    loaded = WorkflowRun.load(model(text), run.dumps())  # a model compiled afresh, as after a restart
    loaded.complete_user_task(loaded.ready_user_tasks()[0].task_id, {"ok": True})
    assert loaded.advance() is None and loaded.is_completed
