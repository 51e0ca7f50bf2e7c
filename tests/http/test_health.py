"""/healthz tells whether the database is reachable."""
from server.app import create_app
from tests.conftest import make_settings


def test_healthz_answers_ok_with_a_reachable_database(host):
    client = create_app(host=host).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "reachable"}


def test_healthz_answers_503_when_the_database_cannot_be_reached(tmp_path):
    settings = make_settings(tmp_path, "postgresql+psycopg://postgres@127.0.0.1:1/none")
    client = create_app(settings).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_unknown_urls_answer_json_404(host):
    response = create_app(host=host).test_client().get("/no/such/page")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_metrics_report_work_in_the_prometheus_text_format(host):
    client = create_app(host=host).test_client()
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert "stroom_database_up 1" in body
    assert "stroom_open_tasks 0" in body
    assert 'stroom_http_requests_total{endpoint="health.healthz",method="GET",status="200"}' in body
