"""Administrators import master data over HTTP; everyone with access reads it."""
import pytest

from server.app import create_app
from tests.support.factories import bearer, make_user


@pytest.fixture
def client(host):
    _, admin = make_user(host, "ada", roles=("admin",))
    _, user = make_user(host, "uma", roles=("user",))
    return create_app(host=host).test_client(), bearer(admin), bearer(user)


def test_an_admin_imports_suppliers_from_csv_and_users_can_list_them(client):
    http, admin, user = client
    csv_body = "code;name;city;kvk\nS1;Acme B.V.;Utrecht;12345678\nS2;Beta;Delft;\n".encode()
    response = http.post("/api/v1/masterdata/suppliers/import", data=csv_body, headers=admin,
                         content_type="text/csv")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"kind": "suppliers", "created": 2, "updated": 0, "unchanged": 0}
    listed = http.get("/api/v1/masterdata/suppliers", headers=user).get_json()["items"]
    assert [(s["code"], s["name"], s["city"]) for s in listed] == [("S1", "Acme B.V.", "Utrecht"),
                                                                   ("S2", "Beta", "Delft")]


def test_json_rows_go_through_the_same_checks_and_bad_rows_name_line_and_field(client):
    http, admin, _ = client
    response = http.post("/api/v1/masterdata/suppliers/import", headers=admin,
                         json={"rows": [{"code": "S1", "name": "Acme"}, {"code": "", "name": "No code"}]})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "import_failed"
    assert error["details"][0]["line"] == 3 and error["details"][0]["field"] == "code"
    assert http.get("/api/v1/masterdata/suppliers", headers=admin).get_json()["items"] == []


def test_only_admins_may_import(client):
    http, _, user = client
    response = http.post("/api/v1/masterdata/suppliers/import", data=b"code,name\nS,N\n", headers=user)
    assert response.status_code == 403


def test_an_unknown_kind_is_a_clear_error(client):
    http, admin, _ = client
    assert http.get("/api/v1/masterdata/planets", headers=admin).status_code == 404
    response = http.post("/api/v1/masterdata/planets/import", data=b"a\n1\n", headers=admin)
    assert response.status_code == 422
