"""Many failed logins from one address are refused for a while, whichever accounts they try."""
from __future__ import annotations

from server.app import create_app
from server.auth.ratelimit import LoginThrottle
from tests.e2e.site import csrf
from tests.support.factories import make_user


def test_a_throttle_counts_failures_per_address_in_a_sliding_window():
    now = [1000.0]
    throttle = LoginThrottle(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after("10.0.0.1") is None
        throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 61
    assert throttle.retry_after("10.0.0.2") is None  # other clients are not affected
    now[0] += 61
    assert throttle.retry_after("10.0.0.1") is None


def test_twenty_failed_logins_from_one_address_lock_that_address_out_even_with_the_right_password(host):
    make_user(host, "victim")
    client = create_app(host=host).test_client()
    for number in range(20):  # guesses spread over many accounts: no single account is locked
        answer = client.post("/api/v1/session", json={"login": f"user{number}", "password": "guess"})
        assert answer.status_code == 401
    refused = client.post("/api/v1/session", json={"login": "victim", "password": "pw-victim-long-enough"})
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_logins"
    other = create_app(host=host).test_client()
    elsewhere = other.post("/api/v1/session", json={"login": "victim", "password": "pw-victim-long-enough"},
                           environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert elsewhere.status_code == 200


def test_the_login_page_is_throttled_too(host):
    make_user(host, "victim")
    client = create_app(host=host).test_client()
    token = csrf(client.get("/login").text)
    for _ in range(20):
        host.login_throttle.failed("127.0.0.1")
    page = client.post("/login", data={"login": "victim", "password": "pw-victim-long-enough", "environment": "default",
                                       "csrf_token": token})
    assert page.status_code == 429
    assert "Too many failed logins" in page.text
