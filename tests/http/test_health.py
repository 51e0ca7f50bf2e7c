"""/healthz tells whether the database is reachable."""
from server.app import create_app
from server.host import open_host
from tests.conftest import make_settings
from tests.support.factories import bearer, make_user


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


def test_unknown_urls_answer_404_as_html_off_the_api_and_json_on_it_or_when_asked(host):
    client = create_app(host=host).test_client()
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    for response in (client.get("/api/v1/no/such/thing"),
                     client.get("/no/such/page", headers={"Accept": "application/json"})):
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_metrics_report_work_in_the_prometheus_text_format(host):
    admin, token = make_user(host, "ada", roles=("admin",))
    client = create_app(host=host).test_client()
    response = client.get("/metrics", headers=bearer(token))
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert "stroom_database_up 1" in body
    assert f'stroom_open_tasks{{environment_id="{admin.environment_id}"}} 0' in body


def test_public_metrics_count_requests_per_endpoint(tmp_path, database_url):
    host = open_host(make_settings(tmp_path, database_url, metrics_public=True))
    try:
        client = create_app(host=host).test_client()
        client.get("/healthz")
        body = client.get("/metrics").get_data(as_text=True)
    finally:
        host.db.dispose()
    assert 'stroom_http_requests_total{endpoint="health.healthz",method="GET",status="200"}' in body
