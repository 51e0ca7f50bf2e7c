"""The element templates endpoint: what the designer page and the desktop Camunda Modeler load."""
import pytest

from server.app import create_app
from tests.support.factories import bearer, make_user


@pytest.fixture
def client(host):
    return create_app(host=host).test_client()


def test_a_designer_gets_one_template_per_service(client, host):
    _, token = make_user(host, "dana", roles=("designer",))
    response = client.get("/api/v1/element-templates", headers=bearer(token))
    assert response.status_code == 200
    templates = response.get_json()
    assert {t["id"] for t in templates} == {f"stroom.{name}" for name in host.services.names}
    send_mail = next(t for t in templates if t["name"] == "Send mail")
    assert send_mail["properties"][1]["value"] == "send_mail"


def test_templates_need_a_login(client):
    assert client.get("/api/v1/element-templates").status_code == 401
