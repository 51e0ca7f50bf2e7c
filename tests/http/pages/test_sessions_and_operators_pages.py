"""The pages' side of issue 17: logout and an admin's role change or deactivation end every session of
the user (a stolen cookie too); environments are an operator's; known roles only; a locked account's
login page looks like an unknown login's."""
from __future__ import annotations

import json
import re

from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from server.auth import service as auth
from server.auth.actor import Actor
from server.auth.models import Environment, User
from server.cli import build
from tests.e2e.site import PASSWORD, Site, csrf


def add_user(site: Site, login: str, roles: tuple[str, ...] = ("user",)) -> None:
    with site.host.db.unit_of_work() as session:
        env = auth.get_environment(session, auth.DEFAULT_ENVIRONMENT)
        auth.create_user(session, env.id, login, actor=Actor.system(env.id), password=PASSWORD, roles=roles)


def steal(client: FlaskClient) -> FlaskClient:
    name = client.application.config["SESSION_COOKIE_NAME"]
    thief = client.application.test_client()
    thief.set_cookie(name, client.get_cookie(name).value)
    return thief


def sent_to_login(client: FlaskClient) -> bool:
    response = client.get("/tasks")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def stroom(site: Site, *args: str):
    env = {"STROOM_DATABASE_URL": site.settings.database_url,
           "STROOM_INSTANCE_DIR": str(site.settings.instance_dir), "STROOM_SECRET_KEY": "web-tests",
           "STROOM_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(build(), list(args), env=env, catch_exceptions=False)


def test_logging_out_on_the_page_ends_every_session_of_the_user_and_a_stolen_cookie(site: Site) -> None:
    add_user(site, "paula")
    victim, elsewhere, colleague = site.client("paula"), site.client("paula"), site.client("carla")
    thief = steal(victim)
    assert thief.get("/tasks").status_code == 200
    assert victim.post("/logout", data={"csrf_token": csrf(victim.get("/tasks").text)}).status_code == 302
    assert sent_to_login(thief) and sent_to_login(elsewhere) and sent_to_login(victim)
    assert thief.get("/api/v1/session").status_code == 401
    assert colleague.get("/tasks").status_code == 200


def admin_saves(site: Site, login: str, form: dict[str, str]) -> None:
    admin = site.client("admin")
    token = csrf(admin.get("/admin/users").text)
    response = admin.post(f"/admin/users/{login}", data={**form, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"


def test_an_admins_role_change_or_deactivation_on_the_page_ends_the_users_sessions(site: Site) -> None:
    for login, form in (("rolf", {"roles": "user,designer", "groups": "", "active": "on"}),
                        ("dora", {"roles": "user", "groups": "", "active": ""})):
        add_user(site, login)
        victim = site.client(login)
        thief = steal(victim)
        admin_saves(site, login, form)
        assert sent_to_login(thief) and sent_to_login(victim), login


def test_an_operator_change_on_the_command_line_ends_the_users_sessions(site: Site) -> None:
    add_user(site, "otto")
    thief = steal(site.client("otto"))
    granted = stroom(site, "operators", "grant", "otto")
    assert granted.exit_code == 0, granted.output
    assert sent_to_login(thief)
    operator = site.client("otto")
    assert operator.get("/api/v1/session").get_json()["roles"] == ["operator", "user"]


def test_environments_page_lists_and_creates_for_operators_only(site: Site) -> None:
    with site.host.db.unit_of_work() as session:
        auth.ensure_environment(session, "rival")
    admin = site.client("admin")
    page = admin.get("/admin/environments")
    assert page.status_code == 200 and "rival" not in page.text and "e-name" not in page.text
    refused = admin.post("/admin/environments", data={"name": "sneaky", "csrf_token": csrf(page.text)})
    assert refused.status_code == 403
    add_user(site, "olaf", roles=("user",))
    assert json.loads(stroom(site, "operators", "grant", "olaf").stdout)["operator"] is True
    operator = site.client("olaf")
    page = operator.get("/admin/environments")
    assert page.status_code == 200 and "rival" in page.text and "e-name" in page.text
    created = operator.post("/admin/environments",
                            data={"name": "branch-office", "csrf_token": csrf(page.text)})
    assert created.status_code == 302
    assert operator.get("/admin/users").status_code == 403  # an operator is no environment admin
    with site.host.db.unit_of_work() as session:
        names = set(session.scalars(select(Environment.name)))
    assert "branch-office" in names and "sneaky" not in names


def test_the_admin_page_gives_only_known_roles(site: Site) -> None:
    admin = site.client("admin")
    token = csrf(admin.get("/admin/users").text)
    response = admin.post("/admin/users", data={"login": "ghost", "password": PASSWORD, "roles": "user,root",
                                                "csrf_token": token}, headers={"Referer": "/admin/users"})
    assert response.status_code == 302
    assert "unknown role &#39;root&#39;" in admin.get("/admin/users").text
    add_user(site, "rita")
    saved = admin.post("/admin/users/rita", data={"roles": "user,superuser", "groups": "", "active": "on",
                                                  "csrf_token": token}, headers={"Referer": "/admin/users"})
    assert saved.headers["Location"] == "/admin/users"
    assert "unknown role &#39;superuser&#39;" in admin.get("/admin/users").text
    with site.host.db.unit_of_work() as session:
        assert session.scalars(select(User).where(User.login == "ghost")).first() is None
    assert "superuser" not in site.client("rita").get("/api/v1/session").get_json()["roles"]


def error_of(html: str) -> str:
    found = re.search(r'<p class="flash error" role="alert">([^<]*)</p>', html)
    return found.group(1) if found else ""


def test_the_login_page_answers_a_locked_account_like_an_unknown_login(site: Site) -> None:
    add_user(site, "lotte")
    client = site.client()

    def attempt(login: str, password: str):
        return client.post("/login", data={"login": login, "password": password,
                                           "csrf_token": csrf(client.get("/login").text)})

    for n in range(5):
        assert attempt("lotte", f"guess {n}").status_code == 401
    locked, unknown = attempt("lotte", PASSWORD), attempt("no-such-user", PASSWORD)
    assert locked.status_code == unknown.status_code == 401
    assert error_of(locked.text) == error_of(unknown.text) == "Unknown user or wrong password."
    assert client.get("/tasks").status_code == 302  # still locked, even with the right password


def test_a_short_password_is_refused_on_the_page_in_the_readers_language(site: Site) -> None:
    admin = site.client("admin")
    token = csrf(admin.get("/admin/users").text)
    response = admin.post("/admin/users", data={"login": "kort", "password": "123456789", "roles": "user",
                                                "csrf_token": token}, headers={"Referer": "/admin/users"})
    assert response.status_code == 302
    assert "A password needs at least 10 characters." in admin.get("/admin/users").text
    with site.host.db.unit_of_work() as session:
        assert session.scalars(select(User).where(User.login == "kort")).first() is None
