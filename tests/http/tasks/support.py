"""An HTTP client over the task world: every person calls with their own bearer token."""
from __future__ import annotations

import dataclasses
from typing import Any

from flask.testing import FlaskClient

from server.app import create_app
from server.auth import tokens
from server.auth.models import User
from tests.integration.tasks.factories import World, build_world


@dataclasses.dataclass
class Api:
    world: World
    client: FlaskClient
    tokens: dict[str, str]

    def call(self, who: str | None, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.open(path, method=method, json=body, headers=headers, **kwargs)

    def get(self, who: str | None, path: str, **kwargs: Any) -> Any:
        return self.call(who, "GET", path, **kwargs)

    def post(self, who: str | None, path: str, body: Any = None) -> Any:
        return self.call(who, "POST", path, body)

    def task_ids(self, who: str, query: str = "") -> list[int]:
        response = self.get(who, f"/api/v1/tasks{query}")
        assert response.status_code == 200, response.get_json()
        return [t["id"] for t in response.get_json()["tasks"]]


def build_api(host: Any) -> Api:
    world = build_world(host)
    plain: dict[str, str] = {}
    with host.db.unit_of_work() as session:
        for login, actor in world.actors.items():
            user = session.get(User, actor.user_id)
            plain[login] = tokens.create_token(session, user, actor=actor, name="tests")[1]
    return Api(world, create_app(host=host).test_client(), plain)
