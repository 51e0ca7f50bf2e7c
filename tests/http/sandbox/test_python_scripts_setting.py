"""An admin turns Python scripts on or off per environment, through the API, the page or the CLI.

All three edges call one verb, so each gives the same state change and the same audit entry; other
roles are refused and another environment's admin cannot reach this environment's setting.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth import service as auth
from server.auth import tokens
from server.auth.actor import Actor
from server.auth.models import User
from server.errors import Forbidden, InvalidInput, NotFound
from server.auth import script_policy as policy
from tests.e2e.site import Site, build_site, csrf

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    built = build_site(Path(tmp_path_factory.mktemp("settings-site")))
    yield built
    built.host.db.dispose()


@pytest.fixture(scope="module")
def bearer(site: Site) -> Callable[[str], dict[str, str]]:
    """Authorization headers for a demo login (tokens made once per login)."""
    made: dict[str, str] = {}

    def headers(login: str) -> dict[str, str]:
        if login not in made:
            with site.host.db.unit_of_work() as session:
                user = session.scalars(select(User).where(User.login == login)).one()
                actor = auth.actor_for(session, user)
                made[login] = tokens.create_token(session, user, actor=actor, name="t")[1]
        return {"Authorization": f"Bearer {made[login]}"}
    return headers


def default_env_id(site: Site) -> int:
    with site.host.db.unit_of_work() as session:
        return auth.get_environment(session, "default").id


def allowed(site: Site) -> bool:
    with site.host.db.unit_of_work() as session:
        return policy.python_scripts_allowed(session, environment_id=default_env_id(site))


def last_settings_entry(site: Site) -> dict[str, Any]:
    with site.host.db.unit_of_work() as session:
        row = session.scalars(select(AuditEvent).where(AuditEvent.action == "environment.settings_changed")
                              .order_by(AuditEvent.id.desc())).first()
        assert row is not None
        return {"action": row.action, "target": (row.target_type, row.target_id), "before": row.before,
                "after": row.after, "environment_id": row.environment_id, "actor": row.actor}


def via_api(site: Site, bearer: Callable[[str], dict[str, str]], on: bool) -> None:
    response = site.app.test_client().put("/api/v1/environment/settings", json={"python_scripts": on},
                                          headers=bearer("admin"))
    assert response.status_code == 200, response.text
    assert response.get_json() == {"environment": "default", "python_scripts": on}


def via_page(site: Site, bearer: Callable[[str], dict[str, str]], on: bool) -> None:
    client = site.client("admin")
    page = client.get("/admin/settings")
    assert page.status_code == 200
    assert ('name="python_scripts" value="on" checked' in page.text) is (not on)
    form = {"csrf_token": csrf(page.text), **({"python_scripts": "on"} if on else {})}
    response = client.post("/admin/settings", data=form)
    assert response.status_code == 302, response.text


def via_cli(site: Site, bearer: Callable[[str], dict[str, str]], on: bool) -> None:
    env = {**os.environ, "STROOM_DATABASE_URL": site.settings.database_url,
           "STROOM_INSTANCE_DIR": str(site.settings.instance_dir), "STROOM_LOG_LEVEL": "WARNING"}
    switch = "on" if on else "off"
    done = subprocess.run([sys.executable, "-m", "server", "settings", "set", "python_scripts", switch,
                           "--environment", "default"], capture_output=True, text=True, env=env, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"environment": "default", "python_scripts": on}


@pytest.mark.parametrize("edge", [via_api, via_page, via_cli], ids=["api", "page", "cli"])
def test_an_admin_turns_python_scripts_on_and_off_and_each_change_is_audited(site, bearer, edge) -> None:
    assert allowed(site) is False  # off by default, and every edge leaves it off again
    env_id = default_env_id(site)
    edge(site, bearer, True)
    assert allowed(site) is True
    entry = last_settings_entry(site)
    assert {k: v for k, v in entry.items() if k != "actor"} == {
        "action": "environment.settings_changed", "target": ("environment", str(env_id)),
        "before": {"python_scripts": False}, "after": {"python_scripts": True}, "environment_id": env_id}
    assert entry["actor"] == ("cli" if edge is via_cli else "admin")
    edge(site, bearer, False)
    assert allowed(site) is False
    assert last_settings_entry(site)["after"] == {"python_scripts": False}


def test_the_setting_can_be_read_by_admins_and_auditors_only(site, bearer) -> None:
    client = site.app.test_client()
    for login, status in (("admin", 200), ("audrey", 200), ("designer", 403), ("carla", 403)):
        got = client.get("/api/v1/environment/settings", headers=bearer(login))
        assert got.status_code == status, login
    assert client.get("/api/v1/environment/settings").status_code == 401


def test_other_roles_cannot_change_it_through_the_api_or_the_page(site, bearer) -> None:
    client = site.app.test_client()
    for login in ("designer", "carla", "audrey"):
        got = client.put("/api/v1/environment/settings", json={"python_scripts": True}, headers=bearer(login))
        assert got.status_code == 403, login
        page_client = site.client(login)
        form = {"csrf_token": csrf(page_client.get("/tasks").text), "python_scripts": "on"}
        assert page_client.post("/admin/settings", data=form).status_code == 403, login
    assert allowed(site) is False


@pytest.mark.parametrize("body", [{"python_scripts": "on"}, {"python_scripts": None}, {}, {"other": True},
                                  {"python_scripts": True, "sql": 1}, [True], "on"])
def test_a_bad_body_is_a_422_naming_the_field(site, bearer, body) -> None:
    got = site.app.test_client().put("/api/v1/environment/settings", json=body, headers=bearer("admin"))
    assert got.status_code == 422
    assert got.get_json()["error"]["code"] == "invalid_setting"
    assert allowed(site) is False


def test_another_environments_admin_cannot_change_this_one(site) -> None:
    env_id = default_env_id(site)
    with site.host.db.unit_of_work() as session:
        other = auth.ensure_environment(session, "elsewhere")
        boss = auth.create_user(session, other.id, "boss", actor=Actor.system(other.id), roles=("admin",))
        actor = auth.actor_for(session, boss)
        with pytest.raises(NotFound):
            policy.change_settings(session, actor=actor, environment_id=env_id,
                                   changes={"python_scripts": True})
        with pytest.raises(NotFound):
            policy.get_settings(session, actor=actor, environment_id=env_id)
        # their own environment is theirs to change, and only theirs
        assert policy.change_settings(session, actor=actor, environment_id=other.id,
                                      changes={"python_scripts": True}).python_scripts is True
        assert policy.python_scripts_allowed(session, environment_id=env_id) is False
        designer = Actor(kind="user", name="d", environment_id=other.id, roles=frozenset({"designer"}))
        with pytest.raises(Forbidden):
            policy.change_settings(session, actor=designer, environment_id=other.id,
                                   changes={"python_scripts": False})


def test_the_cli_refuses_a_value_that_is_not_on_or_off(site) -> None:
    env = {**os.environ, "STROOM_DATABASE_URL": site.settings.database_url,
           "STROOM_INSTANCE_DIR": str(site.settings.instance_dir)}
    done = subprocess.run([sys.executable, "-m", "server", "settings", "set", "python_scripts", "maybe"],
                          capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: python_scripts is on or off"
    shown = subprocess.run([sys.executable, "-m", "server", "settings", "show"], capture_output=True,
                           text=True, env=env, timeout=120, cwd=ROOT)
    assert json.loads(shown.stdout) == {"environment": "default", "python_scripts": False}


def test_deploy_asks_the_setting_and_a_refusal_names_the_element_and_the_setting(site) -> None:
    env_id = default_env_id(site)
    with site.host.db.unit_of_work() as session:
        with pytest.raises(InvalidInput) as refused:
            policy.require_python_scripts(session, environment_id=env_id, element_id="compute_total")
    assert refused.value.code == "python_scripts_off"
    assert refused.value.details == [{"element": "compute_total", "setting": "python_scripts"}]
    assert "'compute_total'" in refused.value.message and "python_scripts" in refused.value.message
    for on in (True, False):
        with site.host.db.unit_of_work() as session:
            policy.change_settings(session, actor=Actor.system(env_id, "tests"), environment_id=env_id,
                                   changes={"python_scripts": on})
        if on:
            with site.host.db.unit_of_work() as session:
                policy.require_python_scripts(session, environment_id=env_id, element_id="compute_total")


def test_an_auditor_sees_the_setting_on_the_page_but_no_way_to_change_it(site) -> None:
    page = site.client("audrey").get("/admin/settings")
    assert page.status_code == 200
    assert 'name="python_scripts" value="on" disabled' in page.text and "<button" not in page.text.split(
        'id="python_scripts"')[1].split("</form>")[0]
    assert site.client("designer").get("/admin/settings").status_code == 403
