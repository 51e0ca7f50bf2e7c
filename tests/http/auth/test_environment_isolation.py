"""A user of one environment can read nothing of another by id, on any endpoint (404, never 403)."""
from __future__ import annotations

from sqlalchemy import select

from server.auth.models import ApiToken, Partnership, User
from tests.http.auth.test_permission_matrix import TASK_ACTIONS


def test_an_admin_of_another_environment_gets_404_for_everything_of_acme(api):
    instance = api.world.start("routed", {"route_group": "creditors"})
    (task,) = api.world.tasks(instance)
    with api.world.host.db.unit_of_work() as session:
        token_id = session.scalars(select(ApiToken.id).join(User, User.id == ApiToken.user_id)
                                   .where(User.login == "ann")).one()
        partnership_id = session.scalars(select(Partnership.id)).one()
    calls = [("GET", f"/api/v1/tasks/{task.id}", None),
             *[("POST", f"/api/v1/tasks/{task.id}/{action}", {"to": "ann", "text": "x", "reason": "x"})
               for action in TASK_ACTIONS],
             ("GET", "/api/v1/users/ann", None), ("PATCH", "/api/v1/users/ann", {"display_name": "x"}),
             ("POST", "/api/v1/groups/managers/members", {"login": "dirk"}),
             ("DELETE", "/api/v1/groups/managers/members/dirk", None),
             ("DELETE", f"/api/v1/tokens/{token_id}", None),
             ("POST", f"/api/v1/partnerships/{partnership_id}/accept", None),
             ("DELETE", f"/api/v1/partnerships/{partnership_id}", None)]
    answers = {(m, p): api.call("boss", m, p, b).status_code for m, p, b in calls}
    assert set(answers.values()) == {404}, answers
    assert api.task_ids("boss", "?status=all") == []
    assert [u["login"] for u in api.get("boss", "/api/v1/users").get_json()["users"]] == ["boss", "sam"]
    # nothing changed on the acme side
    assert api.world.tasks(instance)[0].status == "open"
    assert api.get("ann", "/api/v1/tokens").status_code == 200


def test_a_partner_user_reaches_only_what_was_delegated_to_them(api):
    instance = api.world.start("routed", {"route_group": "creditors"})
    (task,) = api.world.tasks(instance)
    assert api.get("pia", f"/api/v1/tasks/{task.id}").status_code == 404
    assert api.post("pia", f"/api/v1/tasks/{task.id}/claim").status_code == 404
    assert api.task_ids("pia", "?status=all") == []
