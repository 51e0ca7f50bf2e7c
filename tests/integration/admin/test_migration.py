"""Migrating running purchase instances to version 2 of their model (Camunda 7's instance migration),
through the one operation every edge calls, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest

from server.db import utcnow
from server.errors import Forbidden, InvalidInput, NotFound
from server.instances import service as instances
from server.operations import migration as operations
from server.tasks import service as tasks
from server.tasks.models import HumanTask
from tests.support.admin_scenario import MODEL, Purchase

SOURCE = MODEL.read_text()


def deploy(purchase: Purchase, text: str) -> int:
    with purchase.host.db.unit_of_work() as session:
        return instances.deploy(session, purchase.host, actor=purchase.admin, key="purchase_admin",
                                bpmn={"purchase_admin.bpmn": text.encode()}).version


def version(purchase: Purchase, instance_id: int) -> int:
    with purchase.host.db.unit_of_work() as session:
        return instances.version_of(session, instances.get_instance(session, purchase.admin.environment_id,
                                                                    instance_id)).version


def plan(mapping: dict[str, str] | None = None) -> operations.PlanRequest:
    return operations.PlanRequest("purchase_admin", 1, 2, mapping or {})


def dry_run(purchase: Purchase, request: operations.PlanRequest,
            selection: operations.Selection | None = None) -> operations.MigrationReport:
    with purchase.host.db.unit_of_work() as session:
        return operations.validate_migration(session, purchase.host, actor=purchase.admin, request=request,
                                             selection=selection or operations.Selection())


def execute(purchase: Purchase, request: operations.PlanRequest, *ids: int) -> operations.MigrationReport:
    return operations.execute_migration(purchase.host, actor=purchase.admin, request=request,
                                        selection=operations.Selection(ids), edge="cli", reason="fixed the timer")


def test_a_claimed_approval_moves_to_version_2_keeping_its_claim_and_due_date_with_the_new_timer(purchase):
    iid = purchase.start()
    task = purchase.open_task(iid, "approve")
    due = (utcnow() + dt.timedelta(days=9)).replace(microsecond=0)
    with purchase.host.db.unit_of_work() as session:
        tasks.claim(session, actor=purchase.clerk, task_id=task.id)
        session.get(HumanTask, task.id).due_at = due
    (old_timer,) = purchase.timer_jobs(iid)
    # Version 2: the escalation waits 5 days instead of 3; the registration step got another id.
    deploy(purchase, SOURCE.replace('"P3D"', '"P5D"').replace('id="register"', 'id="register_invoice"')
           .replace('Ref="register"', 'Ref="register_invoice"').replace('Element="register"', 'Element="register_invoice"'))

    with purchase.host.db.unit_of_work() as session:
        generated = operations.generate_plan(session, purchase.host, actor=purchase.admin, request=plan())
    assert ("approve", "approve") in generated.instructions and ("approve_timeout", "approve_timeout") in \
        generated.instructions
    assert [a.id for a in generated.unmapped] == ["register"]
    (checked,) = dry_run(purchase, plan()).instances
    assert (checked.instance_id, checked.can_move, checked.waiting) == (iid, True, ("approve",))

    report = execute(purchase, plan(), iid)
    (result,) = report.instances
    assert result.migrated and result.before == {"version": 1, "waiting": ["approve"]}
    assert result.after == {"version": 2, "waiting": ["approve"]}
    assert version(purchase, iid) == 2
    kept = purchase.open_task(iid, "approve")
    assert (kept.id, kept.status, kept.assignee, kept.due_at) == (task.id, "claimed", "carl", due)
    cancelled, armed = purchase.timer_jobs(iid)
    assert (cancelled.id, cancelled.status) == (old_timer.id, "cancelled")
    assert armed.status == "pending" and armed.due_at > utcnow() + dt.timedelta(days=4, hours=23)
    (entry,) = purchase.audit(iid, "admin.")
    assert (entry.action, entry.actor, entry.note) == ("admin.migrated", "ada", "fixed the timer")
    assert entry.before == {"version": 1, "waiting": ["approve"]}
    assert entry.after["version"] == 2 and entry.after["waiting"] == ["approve"] and entry.after["edge"] == "cli"
    after_migration = [e.action for e in purchase.audit(iid)][-1]
    assert after_migration == "admin.migrated"  # the task was kept: no task closed or created

    purchase.complete(iid, "approve", actor=purchase.clerk, approved=True)
    assert purchase.instance(iid).status == "completed"
    assert purchase.calls == ["register", "notify", "book"]


def test_an_instance_waiting_at_a_step_the_target_lacks_cannot_move_unless_mapped_by_hand(purchase):
    iid = purchase.start()
    deploy(purchase, SOURCE.replace('"approve"', '"approve_invoice"').replace('name="Approve invoice"',
                                                                             'name="Check the invoice"'))
    (checked,) = dry_run(purchase, plan()).instances
    assert not checked.can_move
    assert checked.why_not == "the instance waits at 'Approve invoice' which has no counterpart in version 2"
    (result,) = execute(purchase, plan(), iid).instances
    assert not result.migrated and result.reasons[0].code == "no_counterpart"
    assert purchase.audit(iid, "admin.") == [] and version(purchase, iid) == 1

    by_hand = plan({"approve": "approve_invoice"})
    waiting_there = operations.Selection(waiting_at="approve")
    assert [r.can_move for r in dry_run(purchase, by_hand, waiting_there).instances] == [True]
    (result,) = execute(purchase, by_hand, iid).instances
    assert result.migrated and result.after == {"version": 2, "waiting": ["approve_invoice"]}
    task = purchase.open_task(iid, "approve_invoice")
    assert task.name == "Check the invoice"
    purchase.complete(iid, "approve_invoice", approved=False)
    assert purchase.instance(iid).status == "completed"


def test_a_failing_instance_is_left_as_it_was_and_the_others_move(purchase):
    # Version 2's timer reads its duration from the data: one instance holds a value that is no duration.
    deploy_text = SOURCE.replace('"P3D"', "wait")
    good, bad = purchase.start(wait="P2D"), purchase.start(wait="soon")
    deploy(purchase, deploy_text)
    report = execute(purchase, plan(), good, bad)
    by_id = {r.instance_id: r for r in report.instances}
    assert by_id[good].migrated and not by_id[bad].migrated
    assert by_id[bad].reasons[0].code == "migration_failed" and "left as it was" in by_id[bad].why_not
    assert report.to_json()["migrated"] == 1 and report.to_json()["failed"] == 1
    assert version(purchase, bad) == 1 and purchase.audit(bad, "admin.") == []
    assert [j.status for j in purchase.timer_jobs(bad)] == ["pending"]


def test_a_plan_must_name_known_elements_of_two_versions_of_one_model_and_be_an_admins(purchase):
    purchase.start()
    deploy(purchase, SOURCE.replace('"P3D"', '"P5D"'))
    with pytest.raises(InvalidInput, match="nowhere \\(version 1\\), elsewhere \\(version 2\\)") as unknown:
        dry_run(purchase, plan({"nowhere": "elsewhere"}))
    assert unknown.value.code == "unknown_activity"
    with pytest.raises(InvalidInput) as same:
        dry_run(purchase, operations.PlanRequest("purchase_admin", 2, 2))
    assert same.value.code == "same_version"
    with pytest.raises(InvalidInput) as other_model:
        operations.request_from_json({"sourceProcessDefinitionId": "purchase_admin:1",
                                      "targetProcessDefinitionId": "expense:2"})
    assert other_model.value.code == "other_model"
    with pytest.raises(NotFound):
        dry_run(purchase, operations.PlanRequest("purchase_admin", 1, 7))
    with pytest.raises(Forbidden), purchase.host.db.unit_of_work() as session:
        operations.validate_migration(session, purchase.host, actor=purchase.clerk, request=plan(),
                                      selection=operations.Selection())


def test_a_migrate_batch_moves_the_matching_instances_and_reports_the_one_that_cannot_move(purchase):
    """The batch kind `migrate`: each instance from its own version to the target, one audit entry each
    naming the batch; an instance at a step the target lacks fails with the same plain reason."""
    from server.operations import batches

    moving = [purchase.start(business_key=f"INV-{n}") for n in range(2)]
    deploy(purchase, SOURCE.replace('"P3D"', '"P5D"'))
    deploy(purchase, SOURCE.replace('"approve"', '"approve_invoice"'))
    with purchase.host.db.unit_of_work() as session:
        with pytest.raises(InvalidInput):
            batches.start_batch(session, actor=purchase.admin, edge="api", kind="migrate", reason="r",
                                filter={"model": "purchase_admin"}, options={"to_version": "two"})
        batch = batches.start_batch(session, actor=purchase.admin, edge="api", kind="migrate", reason="P5D",
                                    filter={"model": "purchase_admin", "version": 1}, options={"to_version": 2})
    batches.run_batch(purchase.host, batch_id=batch.id)
    assert [version(purchase, i) for i in moving] == [2, 2]
    (entry,) = purchase.audit(moving[0], "admin.migrated")
    assert entry.after["batch_id"] == batch.id and entry.before["version"] == 1

    with purchase.host.db.unit_of_work() as session:
        to_three = batches.start_batch(session, actor=purchase.admin, edge="cli", kind="migrate", reason="rename",
                                       filter={"model": "purchase_admin"}, options={"to_version": 3})
    batches.run_batch(purchase.host, batch_id=to_three.id)
    with purchase.host.db.unit_of_work() as session:
        detail = batches.show_batch(session, actor=purchase.admin, batch_id=to_three.id, limit=10)
    assert {item["result"] for item in detail.items} == {"failed"}
    assert all("no counterpart in version 3" in item["reason"] for item in detail.items)
    assert [version(purchase, i) for i in moving] == [2, 2]
