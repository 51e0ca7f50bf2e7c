"""Saved task list filters through /api/v1/task-filters (SQLite and PostgreSQL): a user saves one with a
count of what their list shows, shares it with their group, a colleague sees and counts it but cannot
change it, strangers see nothing, bad input is a precise 422; every change is audited with the edge."""
from __future__ import annotations

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.actor import Actor
from server.errors import Forbidden
from server.operations import task_filters
from tests.http.tasks.support import Api


def _saved(api: Api, who: str) -> list[dict]:
    response = api.get(who, "/api/v1/task-filters")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def test_a_saved_filter_is_counted_shared_with_the_group_and_changed_only_by_its_owner(api: Api) -> None:
    for _ in range(2):
        api.world.start("routed", {"route_group": "creditors"})
    api.world.start("routed", {"route_group": "purchasing"})
    open_count = len(api.task_ids("ann", "?process=routed"))
    assert open_count == 2

    created = api.post("ann", "/api/v1/task-filters",
                       {"name": "Routed work", "filters": {"process": "routed"}, "group": "creditors"})
    assert created.status_code == 201, created.get_json()
    saved = created.get_json()
    assert saved["count"] == open_count and saved["filters"] == {"process": "routed"}
    assert saved["group"] == "creditors" and saved["mine"] is True and saved["owner"] == "ann"
    api.post("ann", "/api/v1/task-filters", {"name": "Mine only", "filters": {"mine": "1"}})

    # bob (creditors) sees the shared one, not ann's private one, counted for him; cem (purchasing) sees none.
    bobs = _saved(api, "bob")
    assert [(f["name"], f["mine"], f["count"]) for f in bobs] == [("Routed work", False, open_count)]
    assert _saved(api, "cem") == []
    assert [f["name"] for f in _saved(api, "ann")] == ["Mine only", "Routed work"]

    # Only the owner renames or deletes; a stranger's id is simply not there.
    path = f"/api/v1/task-filters/{saved['id']}"
    assert api.call("bob", "DELETE", path).status_code == 403
    assert api.call("bob", "PATCH", path, {"name": "Mine now"}).status_code == 403
    assert api.call("cem", "DELETE", path).status_code == 404
    assert api.call("sam", "DELETE", path).status_code == 404
    renamed = api.call("ann", "PATCH", path, {"name": "Routed invoices"})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Routed invoices"
    assert api.call("ann", "DELETE", path).status_code == 204
    assert _saved(api, "bob") == []

    with api.world.host.db.unit_of_work() as session:
        entries = session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("task_filter."))
                                  .order_by(AuditEvent.seq)).all()
        assert [(e.action, e.actor, (e.after or {}).get("edge")) for e in entries] == [
            ("task_filter.saved", "ann", "api"), ("task_filter.saved", "ann", "api"),
            ("task_filter.renamed", "ann", "api"), ("task_filter.deleted", "ann", "api")]


def test_bad_saved_filters_are_refused_field_by_field(api: Api) -> None:
    def refused(body: object) -> dict:
        response = api.post("ann", "/api/v1/task-filters", body)
        assert response.status_code == 422, response.get_json()
        return response.get_json()["error"]

    assert refused({"name": " "})["code"] == "filter_name_required"
    assert refused({"name": "x" * 101})["code"] == "filter_name_too_long"
    bad = refused({"name": "Bad", "filters": {"amount_min": "lots", "colour": "red", "state": "later",
                                              "due_before": "tomorrow"}})
    assert bad["code"] == "invalid_filter"
    assert {d["field"] for d in bad["details"]} == {"amount_min", "colour", "state", "due_before"}
    assert refused({"name": "Theirs", "group": "managers"})["code"] == "invalid_group"
    assert refused({"name": "Odd", "filters": ["process"]})["code"] == "invalid_filter"
    assert api.post("ann", "/api/v1/task-filters", {"name": "Twice"}).status_code == 201
    clash = api.post("ann", "/api/v1/task-filters", {"name": "Twice"})
    assert clash.status_code == 409 and clash.get_json()["error"]["code"] == "filter_name_taken"
    assert api.get(None, "/api/v1/task-filters").status_code == 401
    assert api.post("audrey", "/api/v1/task-filters", {"name": "Auditors read only"}).status_code == 403


def test_the_page_and_the_api_call_the_same_verb(api: Api) -> None:
    """The page's save goes through the same verb: the API lists it with the edge `web` in the audit entry."""
    world = api.world
    with world.host.db.unit_of_work() as session:
        task_filters.save_filter(session, actor=world.actors["ann"], name="From the page",
                                 filters={"state": "done"}, group=None, edge="web")
    assert [(f["name"], f["filters"]) for f in _saved(api, "ann")] == [("From the page", {"state": "done"})]
    system = Actor.system(world.env_id)
    with world.host.db.unit_of_work() as session:
        try:
            task_filters.save_filter(session, actor=system, name="x", filters={}, edge="cli")
        except Forbidden:
            pass
        else:
            raise AssertionError("the system saved a filter")
