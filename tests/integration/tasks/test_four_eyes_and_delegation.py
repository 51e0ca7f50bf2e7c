"""Four eyes, and delegation that follows owner / assignee (within the environment and to partners)."""
from __future__ import annotations

import pytest

from server.errors import Conflict, Forbidden, NotFound
from server.operations import task_detail as detail
from server.tasks import listing
from server.tasks import service as tasks


def act(world, login, fn, task_id, **kwargs):
    def call(session):
        if fn in (tasks.complete, tasks.approve, tasks.disapprove):
            return fn(session, world.host, actor=world.actors[login], task_id=task_id, **kwargs)
        return fn(session, actor=world.actors[login], task_id=task_id, **kwargs)
    return world.run(call)


def only_open(world, instance):
    (task,) = world.tasks(instance, status="open") + world.tasks(instance, status="claimed") + world.tasks(
        instance, status="delegated")
    return task


def test_the_claimant_cannot_approve_their_own_expense_claim(world):
    instance = world.start("expense", {"claimant": "dirk", "amount": 120})
    task = only_open(world, instance)
    with pytest.raises(Forbidden) as refused:
        act(world, "dirk", tasks.claim, task.id)
    assert refused.value.code == "four_eyes"
    with pytest.raises(Forbidden):
        act(world, "dirk", tasks.complete, task.id, data={})
    act(world, "erik", tasks.complete, task.id, data={})
    assert world.tasks(instance, status="completed")[0].completed_by == "erik"


def test_the_first_approver_cannot_also_give_the_second_approval(world):
    instance = world.start("expense", {"claimant": "fay"})
    act(world, "erik", tasks.complete, only_open(world, instance).id, data={})
    second = only_open(world, instance)
    assert second.element_id == "finance_approval"
    with pytest.raises(Forbidden) as refused:
        act(world, "erik", tasks.complete, second.id, data={})
    assert refused.value.details[0]["who"] == "erik"
    with pytest.raises(Forbidden):  # nor can it be handed to him
        act(world, "dirk", tasks.delegate, second.id, to="erik")
    act(world, "dirk", tasks.complete, second.id, data={})
    assert world.instance_status(instance) == "completed"


def test_a_delegated_task_comes_back_to_its_owner_as_resolved(world):
    instance = world.start("delegation", {})
    task = only_open(world, instance)
    act(world, "ann", tasks.claim, task.id)
    act(world, "ann", tasks.delegate, task.id, to="cem")  # cem is not a creditor, but he was asked
    delegated = only_open(world, instance)
    assert (delegated.status, delegated.owner, delegated.assignee) == ("delegated", "ann", "cem")
    with pytest.raises(Conflict):
        act(world, "bob", tasks.claim, task.id)  # out of the creditors' hands while delegated
    act(world, "cem", tasks.complete, task.id, data={"remark": "prices match the order"})
    back = only_open(world, instance)
    assert (back.status, back.assignee, back.delegation_state) == ("claimed", "ann", "resolved")
    assert back.outcome == {"delegate": "cem", "data": {"remark": "prices match the order"}}
    assert world.instance_status(instance) == "running" and back.element_id == "check"
    act(world, "ann", tasks.complete, task.id, data={"checked": True})
    assert only_open(world, instance).element_id == "decide"


def test_when_the_model_lets_the_delegate_decide_their_completion_moves_the_case(world):
    instance = world.start("delegation", {})
    act(world, "ann", tasks.complete, only_open(world, instance).id, data={})
    decide = only_open(world, instance)
    act(world, "bob", tasks.delegate, decide.id, to="cem")
    act(world, "cem", tasks.complete, decide.id, data={"ok": True})
    assert world.instance_status(instance) == "completed"
    seen = world.run(lambda s: detail.task_detail(s, world.host, actor=world.actors["bob"], task_id=decide.id))
    assert (seen.task.completed_by, seen.data) == ("cem", {"ok": True})  # the owner sees the outcome


def test_delegation_to_a_partner_environment_shows_the_delegate_only_that_task(world):
    instance = world.start("delegation", {"invoice": {"number": "F-1", "supplier_name": "Acme BV",
                                                      "payable_amount": "10.00", "iban": "NL91ABNA0417164300"},
                                          "secret_margin": 42})
    task = only_open(world, instance)
    other = world.start("delegation", {})
    act(world, "ann", tasks.delegate, task.id, to="pia", environment="partner")
    page = world.run(listing.list_tasks, world.actors["pia"], listing.TaskQuery())
    assert [t.id for t in page.tasks] == [task.id]
    seen = world.run(lambda s: detail.task_detail(s, world.host, actor=world.actors["pia"], task_id=task.id))
    assert seen.invoice["number"] == "F-1" and "secret_margin" not in seen.data
    with pytest.raises(NotFound):
        act(world, "pia", tasks.claim, only_open(world, other).id)
    act(world, "pia", tasks.complete, task.id, data={"remark": "fine"})
    back = only_open(world, instance)
    assert (back.assignee, back.outcome["delegate"]) == ("ann", "pia@partner")


def test_delegation_to_a_non_partner_is_refused_the_same_way_whether_or_not_it_exists(world):
    instance = world.start("delegation", {})
    task = only_open(world, instance)
    answers = []
    for env, login in (("stranger", "sam"), ("stranger", "nobody"), ("no-such-env", "sam")):
        with pytest.raises(Forbidden) as refused:
            act(world, "ann", tasks.delegate, task.id, to=login, environment=env)
        answers.append((refused.value.code, refused.value.message))
    assert len(set(answers)) == 1
    assert only_open(world, instance).status == "open"


def test_ending_the_partnership_takes_the_task_out_of_the_partners_reach(world):
    from server.auth import partnerships

    instance = world.start("delegation", {})
    task = only_open(world, instance)
    act(world, "ann", tasks.delegate, task.id, to="pia", environment="partner")
    (found, _name), = world.run(partnerships.list_for, world.env_id)
    world.run(lambda s: partnerships.end(s, actor=world.actors["root"], partnership_id=found.id))
    with pytest.raises(NotFound):
        act(world, "pia", tasks.complete, task.id, data={})


def test_a_delegated_task_cannot_be_delegated_again_or_claimed_by_others(world):
    instance = world.start("delegation", {})
    task = only_open(world, instance)
    act(world, "ann", tasks.delegate, task.id, to="bob")
    with pytest.raises(Conflict):
        act(world, "root", tasks.delegate, task.id, to="cem")
    with pytest.raises(Conflict) as taken:
        act(world, "root", tasks.claim, task.id)
    assert taken.value.details[0]["delegated_to"] == "bob"


def test_two_people_claiming_at_once_one_wins_and_the_other_is_told_who(world):
    import threading

    instance = world.start("delegation", {})
    task = only_open(world, instance)
    barrier, outcomes = threading.Barrier(2), {}

    def claim(login):
        barrier.wait()
        try:
            act(world, login, tasks.claim, task.id)
            outcomes[login] = "won"
        except Conflict as exc:
            outcomes[login] = exc.details[0].get("assignee")

    threads = [threading.Thread(target=claim, args=(login,)) for login in ("ann", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    winner = next(login for login, result in outcomes.items() if result == "won")
    loser = ({"ann", "bob"} - {winner}).pop()
    assert outcomes[loser] == winner
