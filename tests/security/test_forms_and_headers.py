"""CSRF on every form and cookie-authenticated API write, the session cookie's flags, a strict CSP."""
from __future__ import annotations

import re

import pytest

from tests.e2e.site import csrf
from tests.security.conftest import Hostile

FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.DOTALL | re.IGNORECASE)
PAGES = ("/tasks", "/inbox", "/instances", "/designer", "/audit", "/admin/users", "/admin/groups",
         "/admin/masterdata", "/admin/environments", "/instances/incidents")


def post_routes(app) -> list[str]:
    """Every HTML route that accepts POST, with ids and names filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/api/"):
            url = re.sub(r"<int:[a-z_]+>", "1", rule.rule)
            routes.append(re.sub(r"<(?:path:)?[a-z_]+>", "x", url))
    return sorted(routes)


def test_every_html_post_route_refuses_a_request_without_the_csrf_token(hostile: Hostile):
    client = hostile.site.client("admin")
    routes = post_routes(hostile.site.app)
    assert len(routes) >= 15
    for url in routes:
        response = client.post(url, data={"reason": "x", "login": "admin"})
        assert response.status_code == 400, (url, response.status_code)
        assert "CSRF" in response.text or "csrf" in response.text.lower(), url


def test_every_rendered_post_form_carries_the_csrf_token(hostile: Hostile):
    client = hostile.site.client("admin")
    pages = [*PAGES, f"/instances/{hostile.instance_id}", "/designer/purchase_invoice"]
    forms = 0
    for url in pages:
        html = client.get(url).text
        for form in FORM.findall(html):
            if re.search(r'method="post"', form, re.IGNORECASE):
                forms += 1
                assert 'name="csrf_token"' in form, (url, form[:200])
    assert forms >= 10


def test_a_session_cookie_api_write_needs_the_csrf_header(hostile: Hostile):
    client = hostile.site.client("admin")
    bare = client.post("/api/v1/tokens", json={"name": "cross-site"})
    assert bare.status_code == 403 and bare.get_json()["error"]["code"] == "csrf_required"
    forged = client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403 and forged.get_json()["error"]["code"] == "csrf_invalid"
    token = csrf(client.get("/tasks").text)
    assert client.post("/api/v1/tokens", json={"name": "own page"}, headers={"X-CSRF-Token": token}).status_code == 201


@pytest.mark.parametrize("base_url, secure", [("https://stroom.example", True), ("http://127.0.0.1:5000", False)])
def test_the_session_cookie_is_httponly_samesite_and_secure_behind_https(tmp_path, base_url, secure):
    from tests.e2e.site import PASSWORD, build_site

    site = build_site(tmp_path, base_url=base_url)
    try:
        client = site.client()
        token = csrf(client.get("/login").text)
        response = client.post("/login", data={"login": "carla", "password": PASSWORD, "csrf_token": token})
        cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
        assert cookies, response.headers
        flags = {part.strip().lower() for part in cookies[-1].split(";")[1:]}
        assert "httponly" in flags and "samesite=lax" in flags
        assert ("secure" in flags) is secure
    finally:
        site.host.db.dispose()


def test_every_page_has_a_strict_content_security_policy(hostile: Hostile):
    client = hostile.site.client("admin")
    for url in (*PAGES, "/login", "/tasks", f"/instances/{hostile.instance_id}"):
        response = client.get(url)
        policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
        assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'", url
        assert policy["object-src"] == "'none'" and policy["base-uri"] == "'self'", url
        assert policy["frame-ancestors"] == "'self'" and policy["form-action"] == "'self'", url
        assert "unsafe" not in policy["script-src"] and "*" not in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_editor_pages_load_only_same_origin_scripts_so_they_work_under_the_policy(hostile: Hostile):
    # The CSP forbids inline scripts and event handlers; the bpmn.io editors must not need them.
    client = hostile.site.client("admin")
    model = client.get("/designer/purchase_invoice").text
    editors = sorted(set(re.findall(r'href="(/designer/purchase_invoice/edit/[^"]+)"', model)))
    assert any("/bpmn/" in e for e in editors) and any("/dmn/" in e for e in editors), editors
    for url in editors:
        html = client.get(url.replace("&amp;", "&")).text
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL | re.IGNORECASE)
        assert scripts, url
        for attributes, body in scripts:
            src = re.search(r'src="([^"]+)"', attributes)
            assert src and src.group(1).startswith("/") and not src.group(1).startswith("//"), (url, attributes)
            assert not body.strip() or 'type="application/json"' in attributes, (url, body[:100])
        assert not re.search(r"\son[a-z]+=", html, re.IGNORECASE), url  # no inline event handlers
        assert "javascript:" not in html.lower(), url
