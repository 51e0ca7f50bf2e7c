"""Login, logout, the language switch, CSRF and the security headers of the HTML pages."""
from __future__ import annotations

from tests.e2e.site import PASSWORD, Site, csrf


def test_anonymous_visitor_is_sent_to_login_with_the_page_to_return_to(site: Site) -> None:
    response = site.client().get("/tasks?state=done")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_goes_to_next_but_never_to_another_site(site: Site) -> None:
    client = site.client()
    token = csrf(client.get("/login").text)
    for target, expected in (("/inbox", "/inbox"), ("https://evil.example/", "/"), ("//evil.example", "/"),
                             ("/\\evil.example", "/")):
        response = client.post("/login", data={"login": "carla", "password": PASSWORD, "csrf_token": token,
                                               "next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == expected
        client.post("/logout", data={"csrf_token": csrf(client.get("/tasks").text)})
        token = csrf(client.get("/login").text)


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(site: Site) -> None:
    client = site.client()
    response = client.post("/login", data={"login": "carla", "password": "nope",
                                           "csrf_token": csrf(client.get("/login").text)})
    assert response.status_code == 401
    assert "Unknown user or wrong password" in response.text
    assert client.get("/tasks").status_code == 302


def test_a_form_without_the_csrf_token_is_refused(site: Site) -> None:
    client = site.client()
    response = client.post("/login", data={"login": "carla", "password": PASSWORD})
    assert response.status_code == 400
    logged_in = site.client("carla")
    assert logged_in.post("/logout").status_code == 400
    assert logged_in.get("/tasks").status_code == 200


def test_header_shows_the_environment_and_the_user(site: Site) -> None:
    html = site.client("carla").get("/tasks").text
    assert 'data-testid="environment">default<' in html
    assert "carla" in html


def test_language_switch_shows_dutch_and_is_remembered_on_the_account(site: Site) -> None:
    client = site.client("piet")
    token = csrf(client.get("/tasks").text)
    response = client.post("/language", data={"lang": "nl", "next": "/tasks", "csrf_token": token})
    assert response.headers["Location"] == "/tasks"
    html = client.get("/tasks").text
    assert '<html lang="nl">' in html and "Taken" in html and "Afmelden" in html
    again = site.client("piet").get("/tasks").text  # a new session picks the stored language
    assert '<html lang="nl">' in again
    client.post("/language", data={"lang": "en", "next": "/tasks", "csrf_token": token})


def test_pages_carry_a_strict_content_security_policy(site: Site) -> None:
    response = site.client("carla").get("/tasks")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert "<script>" not in response.text  # no inline scripts anywhere


def test_logout_ends_the_session(site: Site) -> None:
    client = site.client("carla")
    token = csrf(client.get("/tasks").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/tasks").status_code == 302
