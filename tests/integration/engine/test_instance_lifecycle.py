"""A model with two user tasks, run through the services on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth import service as auth
from server.auth.actor import Actor
from server.errors import Conflict, InvalidInput
from server.instances import service as instances
from server.instances.models import ProcessInstance
from server.tasks import service as tasks
from server.tasks.models import HumanTask

DATA = Path(__file__).resolve().parents[2] / "data" / "bpmn"


@pytest.fixture
def env_actor(host):
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, "default")
        user = auth.create_user(session, env.id, "anna", actor=Actor.system(env.id), groups=("creditors", "purchasing"))
        actor = auth.actor_for(session, user)
        instances.deploy(session, host, actor=actor, key="two_approvals",
                         bpmn={"two_approvals.bpmn": (DATA / "two_approvals.bpmn").read_bytes()})
    return actor


def open_task(host, actor, element_id):
    with host.db.unit_of_work() as session:
        return session.scalars(select(HumanTask).where(HumanTask.element_id == element_id,
                                                       HumanTask.status == "open")).one()


def test_two_user_tasks_complete_in_order_and_the_audit_trail_holds_every_step(host, env_actor):
    with host.db.unit_of_work() as session:
        instance_id = instances.start(session, host, actor=env_actor, key="two_approvals",
                                      data={"route_group": "purchasing"}).id
    first = open_task(host, env_actor, "first_approval")
    assert first.candidate_groups == ["creditors"]
    with host.db.unit_of_work() as session:
        tasks.complete(session, host, actor=env_actor, task_id=first.id, data={"approved": True})
    second = open_task(host, env_actor, "second_approval")
    assert second.candidate_groups == ["purchasing"]  # evaluated from process data
    with host.db.unit_of_work() as session:
        tasks.complete(session, host, actor=env_actor, task_id=second.id, data={"comment": "ok"})
    with host.db.unit_of_work() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance.status == "completed" and instance.ended_at is not None
        actions = [(e.action, e.target_id) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.seq))]
    assert actions == [
        ("instance.started", str(instance_id)),
        ("engine.element_completed", "start"),
        ("task.created", str(first.id)),
        ("task.completed", str(first.id)),
        ("engine.element_completed", "first_approval"),
        ("task.created", str(second.id)),
        ("task.completed", str(second.id)),
        ("engine.element_completed", "second_approval"),
        ("engine.element_completed", "end"),
        ("instance.status_changed", str(instance_id)),
    ]


def test_instances_keep_their_version_when_a_new_one_is_deployed(host, env_actor):
    with host.db.unit_of_work() as session:
        old = instances.start(session, host, actor=env_actor, key="two_approvals", data={"route_group": "x"})
        changed = (DATA / "two_approvals.bpmn").read_bytes().replace(b'name="Second approval"', b'name="Check"')
        v2 = instances.deploy(session, host, actor=env_actor, key="two_approvals",
                              bpmn={"two_approvals.bpmn": changed})
        assert v2.version == 2 and old.model_version_id != v2.id
    task = open_task(host, env_actor, "first_approval")
    with host.db.unit_of_work() as session:
        tasks.complete(session, host, actor=env_actor, task_id=task.id, data={})
    assert open_task(host, env_actor, "second_approval").name == "Second approval"


def test_a_broken_model_is_refused_with_file_and_element(host, env_actor):
    broken = (DATA / "two_approvals.bpmn").read_bytes().replace(b'targetRef="second_approval"', b'targetRef="nowhere"')
    with host.db.unit_of_work() as session, pytest.raises(InvalidInput) as refused:
        instances.deploy(session, host, actor=env_actor, key="broken", bpmn={"broken.bpmn": broken})
    assert refused.value.details[0]["file"] == "broken.bpmn"
    assert "nowhere" in str(refused.value)


def test_two_concurrent_completions_of_one_task_one_wins_one_conflicts(host, env_actor):
    with host.db.unit_of_work() as session:
        instances.start(session, host, actor=env_actor, key="two_approvals", data={"route_group": "g"})
    task = open_task(host, env_actor, "first_approval")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def complete(comment: str) -> None:
        barrier.wait()
        try:
            with host.db.unit_of_work() as session:
                tasks.complete(session, host, actor=env_actor, task_id=task.id, data={"comment": comment})
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=complete, args=(c,)) for c in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["conflict", "ok"]
    with host.db.unit_of_work() as session:
        completed = session.scalars(select(HumanTask).where(HumanTask.element_id == "first_approval")).all()
        assert [t.status for t in completed] == ["completed"]
        assert len(session.scalars(select(HumanTask).where(HumanTask.element_id == "second_approval")).all()) == 1


def test_a_stale_instance_writer_gets_a_conflict_not_a_silent_overwrite(host, env_actor):
    with host.db.unit_of_work() as session:
        instance_id = instances.start(session, host, actor=env_actor, key="two_approvals", data={}).id
    stale = host.db.sessions()
    stale_instance = stale.get(ProcessInstance, instance_id)
    stale.commit()  # ends the read transaction; expire_on_commit=False keeps the old version counter
    stale.expunge(stale_instance)
    with host.db.unit_of_work() as session:
        session.get(ProcessInstance, instance_id).business_key = "fresh"
    with pytest.raises(Conflict), host.db.unit_of_work() as session:
        merged = session.merge(stale_instance, load=False)
        merged.business_key = "stale"
    stale.close()
    with host.db.unit_of_work() as session:
        assert session.get(ProcessInstance, instance_id).business_key == "fresh"


def test_a_reader_neither_waits_for_nor_blocks_a_writer(host, env_actor):
    """Token and session lookups read through db.reading(): on SQLite they don't take the write lock."""
    from server.auth.models import User

    writer = host.db.sessions()
    writer.get(User, env_actor.user_id).display_name = "renamed"
    writer.flush()  # the writer holds SQLite's write lock (or PostgreSQL's row lock) from here
    try:
        with host.db.reading() as session:
            assert session.get(User, env_actor.user_id).display_name == "anna"  # the committed value
        writer.commit()
    finally:
        writer.close()
    with host.db.reading() as session:
        assert session.get(User, env_actor.user_id).display_name == "renamed"


def test_a_model_file_that_is_not_utf8_is_refused(host, env_actor):
    latin1 = (DATA / "two_approvals.bpmn").read_text().replace("Two approvals", "Twee goedkeuringen é").encode("latin-1")
    with host.db.unit_of_work() as session, pytest.raises(InvalidInput) as refused:
        instances.deploy(session, host, actor=env_actor, key="latin", bpmn={"latin.bpmn": latin1})
    assert refused.value.code == "invalid_model" and "UTF-8" in str(refused.value)
