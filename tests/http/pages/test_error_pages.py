"""A browser gets HTML error pages (unknown URL, refusal); the API and API clients keep getting JSON."""
from __future__ import annotations

from tests.e2e.site import Site

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browser_on_an_unknown_url_gets_an_html_not_found_page(site: Site) -> None:
    for client in (site.client(), site.client("carla")):
        response = client.get("/no/such/page", headers=BROWSER)
        assert response.status_code == 404
        assert response.mimetype == "text/html"
        assert "Not found" in response.text and "<html" in response.text.lower()


def test_a_browser_refused_a_page_gets_an_html_forbidden_page(site: Site) -> None:
    response = site.client("carla").get("/admin/users", headers=BROWSER)
    assert response.status_code == 403
    assert response.mimetype == "text/html" and "Not allowed" in response.text


def test_a_form_sent_without_its_token_to_a_missing_page_is_an_html_page(site: Site) -> None:
    response = site.client("carla").post("/no/such/form", data={"x": "1"}, headers=BROWSER)
    assert response.status_code in (400, 404) and response.mimetype == "text/html"


def test_the_api_answers_json_even_to_a_browser(site: Site) -> None:
    carla = site.client("carla")
    for url in ("/api/v1/no-such-thing", "/api/v1/users"):
        response = carla.get(url, headers=BROWSER)
        assert response.status_code in (403, 404), url
        assert response.is_json and response.get_json()["error"]["code"], url


def test_an_api_client_asking_for_json_off_the_api_gets_json(site: Site) -> None:
    response = site.client().get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.is_json
    assert response.get_json()["error"]["code"] == "not_found"
