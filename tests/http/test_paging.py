"""A script pages through any /api/v1 list the same way: `limit`, then `cursor=<next_cursor>` until
next_cursor is null; every row comes exactly once. A mistyped or old parameter is a 422 naming it."""
from __future__ import annotations

import pytest

from tests.support.admin_scenario import Purchase

LISTS = {  # path -> key of the rows in the answer
    "/api/v1/tasks?status=all": "tasks",
    "/api/v1/process-instances": "items",
    "/api/v1/audit": "items",
    "/api/v1/process-instances/{first}/history": "items",
    "/api/v1/users": "users",
    "/api/v1/groups": "groups",
    "/api/v1/tokens": "tokens",
    "/api/v1/models": "items",
    "/api/v1/documents": "items",
    "/api/v1/incidents?status=all": "items",
    "/api/v1/partnerships": "partnerships",
    "/api/v1/masterdata/suppliers": "items",
}
# The refusals below are decided before the list is queried (parameter names, cursor and limit are checked
# first): the backend plays no part, so they run on SQLite; the walks through every list run on both.
BEFORE_ANY_QUERY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _get(client, purchase: Purchase, url: str):
    return client.get(url, headers={"Authorization": f"Bearer {purchase.tokens['ada']}"})


def _walk(client, purchase: Purchase, url: str, key: str, limit: int) -> tuple[list, int]:
    rows, pages, cursor = [], 0, None
    joiner = "&" if "?" in url else "?"
    while True:
        page = _get(client, purchase, f"{url}{joiner}limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status_code == 200, (url, page.get_json())
        body = page.get_json()
        assert "next_cursor" in body, url
        rows += [r.get("id", r.get("login", r.get("name", r.get("seq")))) for r in body[key]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return rows, pages
        assert pages < 100, url


@pytest.mark.parametrize("path", sorted(LISTS))
def test_every_list_pages_with_limit_and_cursor_and_each_row_comes_once(purchase: Purchase, client, path):
    first = purchase.start("INV-A")
    purchase.start("INV-B")
    purchase.start("INV-C")
    url = path.format(first=first)
    everything, _ = _walk(client, purchase, url, LISTS[path], limit=200)
    one_by_one, pages = _walk(client, purchase, url, LISTS[path], limit=1)
    assert one_by_one == everything
    assert pages >= len(everything)
    assert len(set(map(str, everything))) == len(everything)


@BEFORE_ANY_QUERY
@pytest.mark.parametrize(("url", "name"), [
    ("/api/v1/tasks?per_page=5", "per_page"), ("/api/v1/tasks?page=2", "page"),
    ("/api/v1/process-instances?after=3", "after"), ("/api/v1/documents?page=2", "page"),
    ("/api/v1/masterdata/suppliers?offset=10", "offset"), ("/api/v1/audit?acter=ada", "acter"),
    ("/api/v1/users?limit=5&sort=login", "sort"), ("/api/v1/process-instances/1?verbose=1", "verbose"),
])
def test_an_unknown_query_parameter_is_a_422_naming_it(purchase: Purchase, client, url, name):
    response = _get(client, purchase, url)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "unknown_parameter" and [d["field"] for d in error["details"]] == [name]


@BEFORE_ANY_QUERY
def test_without_credentials_an_unknown_parameter_is_still_a_401(client):
    assert client.get("/api/v1/tasks?per_page=5").status_code == 401


@BEFORE_ANY_QUERY
@pytest.mark.parametrize("cursor", ["abc", "12", "cC0x", "%00"])
def test_a_cursor_the_server_did_not_give_out_is_a_422(purchase: Purchase, client, cursor):
    response = _get(client, purchase, f"/api/v1/tasks?cursor={cursor}")
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "cursor"


@BEFORE_ANY_QUERY
def test_a_limit_out_of_range_is_a_422_naming_limit(purchase: Purchase, client):
    for limit in ("0", "201", "x"):
        response = _get(client, purchase, f"/api/v1/process-instances?limit={limit}")
        assert response.status_code == 422
        assert response.get_json()["error"]["details"][0]["field"] == "limit"
