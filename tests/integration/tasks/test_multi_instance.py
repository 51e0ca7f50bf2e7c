"""Several people on one task: 'all must act' and 'one is enough', in parallel and in turn."""
from __future__ import annotations

import pytest

from server.errors import NotFound
from server.tasks import listing
from server.tasks import service as tasks

APPROVAL = {"cost_center": "100"}


def listed(world, login, **filters):
    page = world.run(listing.list_tasks, world.actors[login], listing.TaskQuery(**filters))
    return [(t.id, t.assignee) for t in page.tasks]


def complete(world, login, task_id, **data):
    return world.run(lambda s: tasks.complete(s, world.host, actor=world.actors[login], task_id=task_id,
                                              data={**APPROVAL, **data}))


def test_all_must_act_completes_only_after_the_third_approver(world):
    instance = world.start("mi_all", {"approvers": ["ann", "bob", "cem"]})
    open_tasks = {t.assignee: t.id for t in world.tasks(instance, status="open")}
    assert sorted(open_tasks) == ["ann", "bob", "cem"]
    assert listed(world, "bob") == [(open_tasks["bob"], "bob")]  # each approver sees their own share
    complete(world, "ann", open_tasks["ann"], approved=True)
    complete(world, "bob", open_tasks["bob"], approved=True)
    assert world.instance_status(instance) == "running"
    complete(world, "cem", open_tasks["cem"], approved=True)
    assert world.instance_status(instance) == "completed"
    assert sorted(t.completed_by for t in world.tasks(instance)) == ["ann", "bob", "cem"]


def test_one_is_enough_closes_the_others_as_not_needed_and_they_leave_every_list(world):
    instance = world.start("mi_any", {"approvers": ["ann", "bob", "cem"]})
    open_tasks = {t.assignee: t.id for t in world.tasks(instance, status="open")}
    complete(world, "bob", open_tasks["bob"], approved=True)
    assert world.instance_status(instance) == "completed"
    statuses = {t.assignee: t.status for t in world.tasks(instance)}
    assert statuses == {"ann": "not_needed", "bob": "completed", "cem": "not_needed"}
    for login in ("ann", "cem", "root"):
        for status in ("open", "done", "all"):
            ids = [i for i, _ in listed(world, login, status=status)]
            assert open_tasks["ann"] not in ids and open_tasks["cem"] not in ids
    with pytest.raises(Exception) as late:
        complete(world, "ann", open_tasks["ann"], approved=True)
    assert late.value.code == "task_not_open"


def test_one_is_enough_goes_on_while_nobody_has_approved(world):
    instance = world.start("mi_any", {"approvers": ["ann", "bob"]})
    open_tasks = {t.assignee: t.id for t in world.tasks(instance, status="open")}
    complete(world, "ann", open_tasks["ann"], approved=False)
    assert world.instance_status(instance) == "running"
    assert [t.assignee for t in world.tasks(instance, status="open")] == ["bob"]


def test_sequential_approvers_act_one_after_another_in_list_order(world):
    instance = world.start("mi_sequential", {"approvers": ["cem", "ann", "bob"]})
    order = []
    for _ in range(3):
        (task,) = world.tasks(instance, status="open")
        order.append(task.assignee)
        complete(world, task.assignee, task.id, approved=True)
    assert order == ["cem", "ann", "bob"]
    assert world.instance_status(instance) == "completed"


def test_sequential_one_is_enough_stops_at_the_first_approval(world):
    instance = world.start("mi_sequential_any", {"approvers": ["ann", "bob", "cem"]})
    (first,) = world.tasks(instance, status="open")
    complete(world, "ann", first.id, approved=False)
    (second,) = world.tasks(instance, status="open")
    assert second.assignee == "bob"
    complete(world, "bob", second.id, approved=True)
    assert world.instance_status(instance) == "completed"
    assert [t.assignee for t in world.tasks(instance)] == ["ann", "bob"]


def test_an_approver_cannot_act_on_a_colleagues_share(world):
    instance = world.start("mi_all", {"approvers": ["ann", "bob"]})
    bobs = next(t for t in world.tasks(instance) if t.assignee == "bob")
    with pytest.raises(NotFound):  # she may not act on it, so for her it does not exist
        complete(world, "ann", bobs.id, approved=True)
