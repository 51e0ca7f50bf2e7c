"""A task verb through every edge that offers it (the API, the task pages, `stroom tasks`): the same state
change, the same audit entry (action, actor, and the edge it came through) and the same answer."""
from __future__ import annotations

from typing import Any

from tests.http.task_verbs.conftest import Edges

VOLATILE = ("id", "instance_id", "invoice_number", "created_at", "due_at", "completed_at")


def answer(json: dict[str, Any]) -> dict[str, Any]:
    """What an edge answered, without what differs from task to task."""
    return {k: v for k, v in json.items() if k not in VOLATILE}


def state(edges: Edges, task_id: int) -> dict[str, Any]:
    task = edges.task(task_id)
    outcome = dict(task.outcome or {})
    return {"status": task.status, "assignee": task.assignee, "owner": task.owner,
            "groups": task.candidate_groups, "users": task.candidate_users, "delegated_to": task.delegated_to,
            "delegation": task.delegation_state, "completed_by": task.completed_by, "outcome": outcome,
            "comments": [(c["by"], c["text"]) for c in task.comments]}


def entry(edges: Edges, action: str, task_id: int) -> tuple[str, str, str, dict[str, Any]]:
    event = edges.audit(action, task_id)
    after = {k: v for k, v in (event.after or {}).items() if k not in ("edge", "task")}
    return event.action, event.actor, (event.after or {}).get("edge"), after


def assert_alike(edges: Edges, done: dict[str, int], action: str, actor: str) -> None:
    """Every edge left the same state and the same audit entry, naming itself as the edge."""
    states = {edge: state(edges, task_id) for edge, task_id in done.items()}
    first = next(iter(states.values()))
    assert all(s == first for s in states.values()), states
    entries = {edge: entry(edges, action, task_id) for edge, task_id in done.items()}
    for edge, (found_action, who, via, _after) in entries.items():
        assert (found_action, who, via) == (action, actor, edge)
    afters = [after for *_rest, after in entries.values()]
    assert all(a == afters[0] for a in afters), afters


def test_claim_through_api_page_and_cli(edges: Edges) -> None:
    api, web, cli = edges.fresh_task(), edges.fresh_task(), edges.fresh_task()
    status, api_answer = edges.api("carla", f"/api/v1/tasks/{api}/claim")
    assert status == 200, api_answer
    status, page = edges.page("carla", f"/tasks/{web}/claim", {})
    assert status == 200 and "You claimed the task." in page
    code, [cli_answer], err = edges.stroom("tasks", "claim", str(cli), "--as", "carla")
    assert code == 0, err
    assert answer(api_answer) == answer(cli_answer)
    assert state(edges, web)["assignee"] == "carla"
    assert_alike(edges, {"api": api, "web": web, "cli": cli}, "task.claimed", "carla")


def test_unclaim_through_api_page_and_cli(edges: Edges) -> None:
    api, web, cli = edges.fresh_task(), edges.fresh_task(), edges.fresh_task()
    for task_id in (api, web, cli):
        assert edges.api("carla", f"/api/v1/tasks/{task_id}/claim")[0] == 200
    status, api_answer = edges.api("carla", f"/api/v1/tasks/{api}/unclaim")
    assert status == 200, api_answer
    status, page = edges.page("carla", f"/tasks/{web}/unclaim", {})
    assert status == 200 and "The task is back with its group." in page
    code, [cli_answer], err = edges.stroom("tasks", "unclaim", str(cli), "--as", "carla")
    assert code == 0, err
    assert answer(api_answer) == answer(cli_answer)
    assert (api_answer["assignee"], api_answer["candidate_groups"]) == (None, ["creditors"])
    assert_alike(edges, {"api": api, "web": web, "cli": cli}, "task.unclaimed", "carla")


def test_approve_through_api_page_and_cli(edges: Edges) -> None:
    api, web, cli = edges.fresh_task(), edges.fresh_task(), edges.fresh_task()
    status, api_answer = edges.api("carla", f"/api/v1/tasks/{api}/approve", {"comment": "Bank account checked."})
    assert status == 200, api_answer
    status, page = edges.page("carla", f"/tasks/{web}/complete",
                              {"decision": "approve", "comment": "Bank account checked."})
    assert status == 200 and "Task completed." in page
    code, [cli_answer], err = edges.stroom("tasks", "approve", str(cli), "--comment", "Bank account checked.",
                                           "--as", "carla")
    assert code == 0, err
    assert answer(api_answer) == answer(cli_answer)
    assert (api_answer["status"], api_answer["completed_by"]) == ("completed", "carla")
    assert state(edges, web)["outcome"] == {"approved": True, "decision": "approve",
                                            "comment": "Bank account checked."}
    assert_alike(edges, {"api": api, "web": web, "cli": cli}, "task.completed", "carla")


def test_disapprove_through_api_page_and_cli(edges: Edges) -> None:
    api, web, cli = edges.fresh_task(), edges.fresh_task(), edges.fresh_task()
    why = "The bank account is not the one we know."
    status, api_answer = edges.api("carla", f"/api/v1/tasks/{api}/disapprove",
                                   {"reason": why, "data": {"comment": why}})
    assert status == 200, api_answer
    # this form has no reason field of its own: its comment is the reason
    status, page = edges.page("carla", f"/tasks/{web}/complete", {"decision": "disapprove", "comment": why})
    assert status == 200 and "Task completed." in page
    code, [cli_answer], err = edges.stroom("tasks", "disapprove", str(cli), "--reason", why,
                                           "--data", f'{{"comment": "{why}"}}', "--as", "carla")
    assert code == 0, err
    assert answer(api_answer) == answer(cli_answer)
    assert state(edges, cli)["outcome"]["reason"] == why
    assert_alike(edges, {"api": api, "web": web, "cli": cli}, "task.completed", "carla")


def test_complete_through_api_and_cli(edges: Edges) -> None:
    api, cli = edges.fresh_task(), edges.fresh_task()
    data = {"decision": "approve", "comment": "Fine."}
    status, api_answer = edges.api("carla", f"/api/v1/tasks/{api}/complete", {"data": data})
    assert status == 200, api_answer
    code, [cli_answer], err = edges.stroom("tasks", "complete", str(cli), "--data",
                                           '{"decision": "approve", "comment": "Fine."}', "--as", "carla")
    assert code == 0, err
    assert answer(api_answer) == answer(cli_answer)
    assert_alike(edges, {"api": api, "cli": cli}, "task.completed", "carla")


def test_comment_through_api_and_cli(edges: Edges) -> None:
    api, cli = edges.fresh_task(), edges.fresh_task()
    status, api_answer = edges.api("carla", f"/api/v1/tasks/{api}/comment", {"text": "Asked the supplier."})
    assert status == 200, api_answer
    code, [cli_answer], err = edges.stroom("tasks", "comment", str(cli), "Asked the supplier.", "--as", "carla")
    assert code == 0, err
    assert answer(api_answer) == answer(cli_answer)
    assert state(edges, api)["comments"] == [("carla", "Asked the supplier.")]
    assert_alike(edges, {"api": api, "cli": cli}, "task.commented", "carla")


def test_delegate_through_api_page_and_cli(edges: Edges) -> None:
    api, web, cli = edges.fresh_task(), edges.fresh_task(), edges.fresh_task()
    status, api_answer = edges.api("carla", f"/api/v1/tasks/{api}/delegate", {"to": "piet"})
    assert status == 200, api_answer
    status, page = edges.page("carla", f"/tasks/{web}/delegate", {"to_user": "piet"})
    assert status == 200 and "Task delegated to piet." in page
    code, [cli_answer], err = edges.stroom("tasks", "delegate", str(cli), "--to", "piet", "--as", "carla")
    assert code == 0, err
    assert answer(api_answer) == answer(cli_answer)
    assert (api_answer["status"], api_answer["delegated_to"], api_answer["owner"]) == ("delegated", "piet", "carla")
    assert_alike(edges, {"api": api, "web": web, "cli": cli}, "task.delegated", "carla")


def test_resolve_through_api_and_cli(edges: Edges) -> None:
    api, cli = edges.fresh_task(), edges.fresh_task()
    for task_id in (api, cli):
        assert edges.api("carla", f"/api/v1/tasks/{task_id}/delegate", {"to": "piet"})[0] == 200
    data = {"decision": "approve", "comment": "The order is ours."}
    status, api_answer = edges.api("piet", f"/api/v1/tasks/{api}/resolve", {"data": data})
    assert status == 200, api_answer
    code, [cli_answer], err = edges.stroom("tasks", "resolve", str(cli), "--data",
                                           '{"decision": "approve", "comment": "The order is ours."}', "--as", "piet")
    assert code == 0, err
    assert answer(api_answer) == answer(cli_answer)
    assert (api_answer["status"], api_answer["assignee"], api_answer["delegation_state"]) == (
        "claimed", "carla", "resolved")
    assert_alike(edges, {"api": api, "cli": cli}, "task.resolved", "piet")


def test_reassign_through_both_api_endpoints_the_instance_page_and_both_commands(edges: Edges) -> None:
    tasks = {edge: edges.fresh_task() for edge in ("api", "api-instance", "web", "cli", "cli-instances")}
    body = {"assignee": "piet", "reason": "Carla is on holiday."}
    status, api_answer = edges.api("admin", f"/api/v1/tasks/{tasks['api']}/reassign", body)
    assert status == 200, api_answer
    task = edges.task(tasks["api-instance"])
    status, shown = edges.api("admin", f"/api/v1/process-instances/{task.instance_id}/tasks/{task.id}/reassign", body)
    assert status == 200, shown
    task = edges.task(tasks["web"])
    status, page = edges.page("admin", f"/instances/{task.instance_id}/admin/reassign",
                              {"task_id": str(task.id), **body})
    assert status == 200 and "Done: reassign." in page
    code, [cli_answer], err = edges.stroom("tasks", "reassign", str(tasks["cli"]), "--assignee", "piet",
                                           "--reason", body["reason"], "--as", "admin")
    assert code == 0, err
    code, _printed, err = edges.stroom("instances", "reassign", str(tasks["cli-instances"]), "--assignee", "piet",
                                       "--reason", body["reason"], "--as", "admin")
    assert code == 0, err
    assert answer(api_answer) == answer(cli_answer)
    assert (api_answer["assignee"], api_answer["status"]) == ("piet", "claimed")
    states = [state(edges, t) for t in tasks.values()]
    assert all(s == states[0] for s in states), states
    for edge, task_id in tasks.items():
        event = edges.audit("admin.reassigned", task_id)
        assert (event.actor, event.after["edge"], event.note) == ("admin", edge.split("-")[0], body["reason"])
        # the new assignee hears of it, by a mail job written in the same transaction
        mails = [m for m in edges.mails(edges.task(task_id).instance_id) if m["template"] == "task_assigned"]
        assert [m["to"] for m in mails] == [["piet <piet@example.com>"]] or [m["to"] for m in mails] == [
            ["piet@example.com"]], mails


def test_list_and_show_answer_alike_through_api_and_cli(edges: Edges) -> None:
    task_id = edges.fresh_task()
    client, _token = edges.browser("carla")
    listed = client.get("/api/v1/tasks?limit=200").get_json()
    code, [cli_listed], err = edges.stroom("tasks", "list", "--limit", "200", "--as", "carla")
    assert code == 0, err
    assert cli_listed == {k: v for k, v in listed.items() if k != "next_cursor"} and task_id in [t["id"] for t in listed["tasks"]]
    shown = client.get(f"/api/v1/tasks/{task_id}").get_json()
    code, [cli_shown], err = edges.stroom("tasks", "show", str(task_id), "--as", "carla")
    assert code == 0, err
    assert cli_shown == shown and shown["may_act"] is True
    # the page lists it too, with its form to act on
    assert f"/tasks/{task_id}" in client.get("/tasks").text
    assert 'id="task-form"' in client.get(f"/tasks/{task_id}").text


def test_a_refusal_reads_the_same_through_api_and_cli(edges: Edges) -> None:
    task_id = edges.fresh_task()
    status, refused = edges.api("admin", f"/api/v1/tasks/{task_id}/reassign", {"assignee": "ghost", "reason": "x"})
    assert status == 422 and "ghost" in refused["error"]["message"]
    code, _printed, err = edges.stroom("tasks", "reassign", str(task_id), "--assignee", "ghost", "--reason", "x",
                                       "--as", "admin")
    assert code == 1 and refused["error"]["message"] in err
    status, page = edges.page("admin", f"/instances/{edges.task(task_id).instance_id}/admin/reassign",
                              {"task_id": str(task_id), "assignee": "ghost", "reason": "x"})
    assert refused["error"]["message"] in page.replace("&#39;", "'")
    assert edges.task(task_id).assignee is None
