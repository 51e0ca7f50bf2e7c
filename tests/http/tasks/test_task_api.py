"""The task API, story by story: routing, forms, conflicts, approvals, several people, delegation."""
from __future__ import annotations

APPROVAL = {"cost_center": "100"}


def routed(api, group="creditors", **data):
    instance = api.world.start("routed", {"route_group": group, **data})
    (task,) = api.world.tasks(instance)
    return task.id


def test_a_task_routed_to_creditors_is_listed_and_opened_only_by_creditors(api):
    task_id = routed(api, invoice={"number": "INV-7", "supplier_name": "Acme BV", "payable_amount": "12.50"})
    assert api.task_ids("ann") == [task_id]
    assert api.task_ids("cem") == []
    assert api.get("cem", f"/api/v1/tasks/{task_id}").status_code == 404
    shown = api.get("ann", f"/api/v1/tasks/{task_id}").get_json()
    assert shown["candidate_groups"] == ["creditors"] and shown["may_act"] is True
    assert shown["form"]["schema"]["id"] == "approval"
    assert shown["invoice"] == {"number": "INV-7", "supplier_name": "Acme BV", "payable_amount": "12.50"}
    assert [h["action"] for h in shown["history"]] == ["task.created"]
    listed = api.get("ann", "/api/v1/tasks").get_json()
    assert listed["total"] == 1 and listed["tasks"][0]["amount"] == "12.50"


def test_completing_with_a_bad_form_names_the_field_and_a_second_completion_says_who_won(api):
    task_id = routed(api)
    bad = api.post("ann", f"/api/v1/tasks/{task_id}/complete", {"data": {"cost_center": "7", "gl_account": "x"}})
    assert bad.status_code == 422
    assert {d["field"] for d in bad.get_json()["error"]["details"]} == {"cost_center", "gl_account"}
    done = api.post("ann", f"/api/v1/tasks/{task_id}/complete", {"data": APPROVAL})
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    late = api.post("bob", f"/api/v1/tasks/{task_id}/complete", {"data": APPROVAL})
    assert late.status_code == 409
    assert late.get_json()["error"]["details"] == [{"status": "completed", "completed_by": "ann"}]
    assert api.post("bob", f"/api/v1/tasks/{task_id}/claim").status_code == 409


def test_claiming_a_task_someone_else_holds_is_a_conflict_naming_them(api):
    task_id = routed(api)
    assert api.post("ann", f"/api/v1/tasks/{task_id}/claim").get_json()["assignee"] == "ann"
    taken = api.post("bob", f"/api/v1/tasks/{task_id}/claim")
    assert taken.status_code == 409 and taken.get_json()["error"]["details"][0]["assignee"] == "ann"
    assert api.task_ids("bob") == [task_id]  # still in his group's list, shown as claimed by ann
    assert api.post("bob", f"/api/v1/tasks/{task_id}/complete", {"data": APPROVAL}).status_code == 403
    assert api.post("ann", f"/api/v1/tasks/{task_id}/unclaim").get_json()["assignee"] is None
    assert api.post("bob", f"/api/v1/tasks/{task_id}/claim").status_code == 200


def test_a_task_for_anyone_claimed_by_one_is_a_conflict_for_the_next_not_a_missing_task(api):
    task_id = routed(api, group="")  # no candidates: everyone in the environment may take it
    assert api.post("cem", f"/api/v1/tasks/{task_id}/claim").get_json()["assignee"] == "cem"
    taken = api.post("dirk", f"/api/v1/tasks/{task_id}/claim")
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "task_claimed"
    assert taken.get_json()["error"]["details"][0]["assignee"] == "cem"
    assert api.get("dirk", f"/api/v1/tasks/{task_id}").get_json()["assignee"] == "cem"
    assert task_id in api.task_ids("dirk")  # still listed for him, shown as claimed by cem
    assert api.post("dirk", f"/api/v1/tasks/{task_id}/complete", {"data": APPROVAL}).status_code == 403


def test_approve_disapprove_and_comment(api):
    first, second = routed(api), routed(api)
    commented = api.post("bob", f"/api/v1/tasks/{first}/comment", {"text": "asked the supplier"})
    assert commented.status_code == 200
    assert api.get("ann", f"/api/v1/tasks/{first}").get_json()["comments"][0]["text"] == "asked the supplier"
    assert api.post("ann", f"/api/v1/tasks/{first}/approve", {"comment": "ok"}).status_code == 422  # cost center
    approved = api.post("ann", f"/api/v1/tasks/{first}/approve", {"comment": "ok", "data": APPROVAL})
    assert approved.status_code == 200
    no_reason = api.post("ann", f"/api/v1/tasks/{second}/disapprove", {"data": APPROVAL})
    assert no_reason.status_code == 422 and no_reason.get_json()["error"]["details"][0]["field"] == "reason"
    assert api.post("ann", f"/api/v1/tasks/{second}/disapprove",
                    {"reason": "wrong price", "data": APPROVAL}).status_code == 200
    done = {t["id"]: t for t in api.get("root", "/api/v1/tasks?status=done").get_json()["tasks"]}
    assert set(done) == {first, second}
    outcome = api.get("ann", f"/api/v1/tasks/{second}").get_json()["data"]
    assert outcome == {"cost_center": "100", "approved": False, "decision": "disapprove", "reason": "wrong price"}


def test_all_must_act_with_three_approvers_completes_after_the_third(api):
    instance = api.world.start("mi_all", {"approvers": ["ann", "bob", "cem"]})
    for login in ("ann", "bob", "cem"):
        assert api.world.instance_status(instance) == "running"
        (task_id,) = api.task_ids(login)
        assert api.post(login, f"/api/v1/tasks/{task_id}/approve", {"data": APPROVAL}).status_code == 200
    assert api.world.instance_status(instance) == "completed"


def test_one_is_enough_after_the_first_and_the_others_are_closed(api):
    instance = api.world.start("mi_any", {"approvers": ["ann", "bob", "cem"]})
    (task_id,) = api.task_ids("bob")
    assert api.post("bob", f"/api/v1/tasks/{task_id}/approve", {"data": APPROVAL}).status_code == 200
    assert api.world.instance_status(instance) == "completed"
    assert api.task_ids("ann") == [] and api.task_ids("cem", "?status=all") == []
    assert sorted(t.status for t in api.world.tasks(instance)) == ["completed", "not_needed", "not_needed"]


def test_delegation_to_a_partner_works_and_to_a_stranger_is_refused_without_a_leak(api):
    task_id = routed(api, invoice={"number": "INV-9", "supplier_name": "Acme BV"}, internal_note="not for pia")
    refused = [api.post("ann", f"/api/v1/tasks/{task_id}/delegate", {"to": to, "environment": env})
               for to, env in (("sam", "stranger"), ("ghost", "stranger"), ("sam", "nowhere"))]
    assert {r.status_code for r in refused} == {403}
    assert len({r.get_data() for r in refused}) == 1
    moved = api.post("ann", f"/api/v1/tasks/{task_id}/delegate", {"to": "pia", "environment": "partner"})
    assert moved.status_code == 200 and moved.get_json()["status"] == "delegated"
    assert api.task_ids("pia") == [task_id]
    seen = api.get("pia", f"/api/v1/tasks/{task_id}").get_json()
    assert seen["invoice"]["number"] == "INV-9" and "internal_note" not in seen["data"]
    assert api.post("pia", f"/api/v1/tasks/{task_id}/complete", {"data": APPROVAL}).status_code == 200
    back = api.get("ann", f"/api/v1/tasks/{task_id}").get_json()
    assert (back["status"], back["assignee"], back["delegation_state"]) == ("claimed", "ann", "resolved")
    assert api.task_ids("ann", "?mine=true") == [task_id]


def test_list_filters_are_checked(api):
    bad = api.get("ann", "/api/v1/tasks?status=gone&limit=500&amount_min=lots&due_before=soon")
    assert bad.status_code == 422
    assert {d["field"] for d in bad.get_json()["error"]["details"]} == {"status", "limit", "amount_min",
                                                                       "due_before"}


def test_a_supplier_filter_with_quotes_or_a_nul_byte_is_answered_not_a_server_error(api):
    task_id = routed(api, invoice={"supplier_name": "D'Arcy & Zn", "payable_amount": "1"})
    found = api.get("ann", "/api/v1/tasks?supplier=d%27arcy")
    assert found.status_code == 200 and [t["id"] for t in found.get_json()["tasks"]] == [task_id]
    nul = api.get("ann", "/api/v1/tasks?supplier=d%00&process=x%00")
    assert nul.status_code == 422
    assert {d["field"] for d in nul.get_json()["error"]["details"]} == {"supplier", "process"}
