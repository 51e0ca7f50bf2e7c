"""Timers as bpmn.io writes them (bare ISO 8601) wait for the host, which fires them as jobs."""
import datetime as dt
from pathlib import Path

from server.engine import ServiceRegistry, WorkflowRun, compile_model

MODEL = Path(__file__).resolve().parents[2] / "data" / "bpmn" / "bare_timer.bpmn"


def started():
    model = compile_model(bpmn={MODEL.name: MODEL.read_bytes()}, services=ServiceRegistry())
    run = WorkflowRun.start(model, {})
    assert run.advance() is None
    return model, run


def test_a_bare_duration_timer_reports_its_due_time_and_waits():
    _, run = started()
    [timer] = run.pending_timers()
    assert timer.element_id == "late"
    expected = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    assert abs((timer.due_at - expected).total_seconds()) < 60
    assert [t.element_id for t in run.ready_user_tasks()] == ["approve"]


def test_firing_the_timer_moves_the_token_even_before_its_due_time_and_survives_a_reload():
    model, run = started()
    [timer] = run.pending_timers()
    reloaded = WorkflowRun.load(model, run.dumps())
    assert reloaded.fire_timer(timer.task_id) is True
    assert reloaded.advance() is None
    assert [t.element_id for t in reloaded.ready_user_tasks()] == ["escalated"]
    assert reloaded.pending_timers() == []
    assert reloaded.fire_timer(timer.task_id) is False  # it no longer waits
