"""The `stroom` command as a user runs it: a real process against a real SQLite file."""
import json
import os
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data" / "bpmn"


def stroom(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "STROOM_INSTANCE_DIR": str(tmp_path / "instance"), "STROOM_LOG_LEVEL": "WARNING"}
    env.pop("STROOM_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "server", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)


def test_upgrade_deploy_and_start_print_json(tmp_path):
    assert stroom(tmp_path, "db", "upgrade").returncode == 0
    deployed = stroom(tmp_path, "deploy", str(DATA / "two_approvals.bpmn"), "--environment", "acme")
    assert deployed.returncode == 0, deployed.stderr
    assert json.loads(deployed.stdout) | {"checksum": "x"} == {
        "key": "two_approvals", "version": 1, "process_id": "two_approvals", "checksum": "x"}
    started = stroom(tmp_path, "start", "two_approvals", "--environment", "acme", "--data", '{"route_group": "g"}')
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout) == {"id": 1, "status": "running", "model": "two_approvals"}


def test_errors_print_one_line_and_exit_non_zero(tmp_path):
    stroom(tmp_path, "db", "upgrade")
    missing = stroom(tmp_path, "start", "nothing-deployed")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: no model 'nothing-deployed' is deployed"
    bad = stroom(tmp_path, "deploy", str(tmp_path / "absent.bpmn"))
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1


def test_users_create_reads_the_password_from_stdin(tmp_path):
    stroom(tmp_path, "db", "upgrade")
    created = stroom(tmp_path, "users", "create", "carla", "--role", "user", "--group", "creditors",
                     "--password-stdin", stdin="s3cret\n")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["groups"] == ["creditors"]
    again = stroom(tmp_path, "users", "create", "carla")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_ingest_keeps_a_file_over_the_limit_as_head_digest_and_size_and_refuses_it(tmp_path, monkeypatch):
    import hashlib
    import sqlite3

    stroom(tmp_path, "db", "upgrade")
    big = tmp_path / "big.xml"
    big.write_bytes(b"<Invoice>" + b" " * 100_000 + b"</Invoice>")
    monkeypatch.setenv("STROOM_MAX_DOCUMENT_BYTES", "4096")
    refused = stroom(tmp_path, "ingest", str(big))
    assert refused.returncode == 1, refused.stderr
    line = json.loads(refused.stdout)
    assert line["status"] == "rejected" and line["reasons"][0]["rule"] == "too_large"
    with sqlite3.connect(tmp_path / "instance" / "stroom.db") as db:
        size, digest, content = db.execute("SELECT size, sha256, content FROM received_documents").fetchone()
    assert (size, digest) == (big.stat().st_size, hashlib.sha256(big.read_bytes()).hexdigest())
    assert len(content) <= 4096 and big.read_bytes().startswith(content)
