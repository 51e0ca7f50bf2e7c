"""/metrics tells an environment's business (how much waits, how much fails) only to its admins.

The attack: anyone who reaches the port reads every environment's instance, task, job and incident
counts without credentials; an admin of one environment reads the others' as well.
"""
from __future__ import annotations

import re

import pytest

from server.app import create_app
from server.auth.actor import Actor
from server.host import open_host
from server.instances import service as instances
from tests.support.factories import bearer, deploy_files, make_user
from tests.support.paths import REPO

SINGLE = REPO / "tests" / "data" / "bpmn" / "tasks" / "single.bpmn"


@pytest.fixture
def two_environments(host):
    """`default` with one running instance, `other` with three; an admin, a user and a token each."""
    people = {}
    for environment, count in (("default", 1), ("other", 3)):
        admin, admin_token = make_user(host, f"admin-{environment}", roles=("admin",), environment=environment)
        _, user_token = make_user(host, f"user-{environment}", roles=("user",), environment=environment)
        deploy_files(host, admin, "single", SINGLE)
        with host.db.unit_of_work() as session:
            for _ in range(count):
                instances.start(session, host, actor=Actor.system(admin.environment_id), key="single")
        people[environment] = (admin.environment_id, admin_token, user_token)
    return people


def _gauges(body: str) -> dict[str, str]:
    return dict(re.findall(r"^(stroom_(?:process_instances|open_tasks)\{[^}]*\}) (\d+)$", body, re.M))


def test_metrics_need_an_admin(host, two_environments):
    client = create_app(host=host).test_client()
    assert client.get("/metrics").status_code == 401
    _, _, user_token = two_environments["default"]
    answer = client.get("/metrics", headers=bearer(user_token))
    assert answer.status_code == 403 and "stroom_" not in answer.get_data(as_text=True)


def test_an_admin_sees_only_their_own_environment(host, two_environments):
    client = create_app(host=host).test_client()
    env_id, admin_token, _ = two_environments["default"]
    body = client.get("/metrics", headers=bearer(admin_token)).get_data(as_text=True)
    assert _gauges(body) == {f'stroom_process_instances{{environment_id="{env_id}",status="running"}}': "1",
                             f'stroom_open_tasks{{environment_id="{env_id}"}}': "1"}
    assert "stroom_database_up 1" in body and "stroom_process_uptime_seconds" in body
    assert "stroom_http_requests_total" not in body  # counts every environment's calls
    other_id, other_token, _ = two_environments["other"]
    other = client.get("/metrics", headers=bearer(other_token)).get_data(as_text=True)
    assert _gauges(other)[f'stroom_open_tasks{{environment_id="{other_id}"}}'] == "3"


def test_public_metrics_show_process_figures_and_no_environments_work(host, two_environments):
    public = open_host(host.settings.replace(metrics_public=True))
    try:
        client = create_app(host=public).test_client()
        client.get("/healthz")
        anonymous = client.get("/metrics")
        assert anonymous.status_code == 200
        body = anonymous.get_data(as_text=True)
        assert _gauges(body) == {} and "stroom_open_incidents" not in body and "stroom_jobs" not in body
        assert "stroom_database_up 1" in body
        assert 'stroom_http_requests_total{endpoint="health.healthz",method="GET",status="200"}' in body
        _, _, user_token = two_environments["default"]
        assert _gauges(client.get("/metrics", headers=bearer(user_token)).get_data(as_text=True)) == {}
        env_id, admin_token, _ = two_environments["default"]
        admin_view = client.get("/metrics", headers=bearer(admin_token)).get_data(as_text=True)
        assert set(_gauges(admin_view)) == {f'stroom_process_instances{{environment_id="{env_id}",status="running"}}',
                                            f'stroom_open_tasks{{environment_id="{env_id}"}}'}
    finally:
        public.db.dispose()
