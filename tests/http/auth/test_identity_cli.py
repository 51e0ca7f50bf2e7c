"""`stroom tokens|groups|partnerships`: a token printed once works as a bearer until it is revoked."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from server.app import create_app
from server.cli import build
from server.host import open_host


@pytest.fixture
def stroom(sqlite_url, tmp_path):
    env = {"STROOM_DATABASE_URL": sqlite_url, "STROOM_INSTANCE_DIR": str(tmp_path / "instance"),
           "STROOM_SECRET_KEY": "cli-test", "STROOM_LOG_LEVEL": "WARNING"}
    runner, cli = CliRunner(), build()

    def run(*args: str) -> list[dict]:
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return run


def test_tokens_groups_and_partnerships_from_the_command_line(stroom, sqlite_url, tmp_path):
    stroom("users", "create", "ann", "--environment", "acme", "--role", "user")
    stroom("users", "create", "pia", "--environment", "partner")
    (token,) = stroom("tokens", "create", "ann", "--environment", "acme", "--name", "erp")
    assert token["token"].startswith("stroom_") and token["login"] == "ann"
    listed = stroom("tokens", "list", "--environment", "acme")
    assert listed == [{"id": token["id"], "login": "ann", "name": "erp", "revoked": False}]
    stroom("groups", "create", "creditors", "--environment", "acme")
    stroom("groups", "add", "creditors", "ann", "--environment", "acme")
    assert stroom("groups", "list", "--environment", "acme") == [{"name": "creditors", "members": ["ann"]}]
    (made,) = stroom("partnerships", "create", "acme", "partner")
    assert made["status"] == "active"
    assert stroom("partnerships", "list", "--environment", "partner")[0]["partner"] == "acme"

    host = open_host(create_settings(sqlite_url, tmp_path))
    client = create_app(host=host).test_client()
    bearer = {"Authorization": f"Bearer {token['token']}"}
    assert client.get("/api/v1/session", headers=bearer).get_json()["groups"] == ["creditors"]
    stroom("tokens", "revoke", str(token["id"]), "--environment", "acme")
    assert client.get("/api/v1/session", headers=bearer).status_code == 401
    host.db.dispose()


def create_settings(url, tmp_path):
    from tests.conftest import make_settings

    return make_settings(tmp_path, url)
