"""The `stroom` command as a user runs it: a real process against a real SQLite file (the first test), and
the commands' answers, exit codes and error lines in-process through click's runner against a migrated
SQLite file where it is the command's behaviour under test, not its process (a process start costs
about a second of CPU each)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from server.cli import build

DATA = Path(__file__).resolve().parents[2] / "data" / "bpmn"


def stroom(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "STROOM_INSTANCE_DIR": str(tmp_path / "instance"), "STROOM_LOG_LEVEL": "WARNING"}
    env.pop("STROOM_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "server", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)


def stroom_in_process(tmp_path: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    """The same command through click's runner in this process, answered like `stroom` above."""
    runner = CliRunner(env={"STROOM_INSTANCE_DIR": str(tmp_path / "instance"), "STROOM_LOG_LEVEL": "WARNING",
                            "STROOM_DATABASE_URL": None, **env})
    result = runner.invoke(build(), list(args), input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def migrated(tmp_path: Path, sqlite_template: Path) -> None:
    """The instance directory with a migrated database where `stroom db upgrade` puts it."""
    (tmp_path / "instance").mkdir()
    shutil.copyfile(sqlite_template, tmp_path / "instance" / "stroom.db")


def test_upgrade_deploy_and_start_print_json(tmp_path):
    assert stroom(tmp_path, "db", "upgrade").returncode == 0
    deployed = stroom(tmp_path, "deploy", str(DATA / "two_approvals.bpmn"), "--environment", "acme")
    assert deployed.returncode == 0, deployed.stderr
    assert json.loads(deployed.stdout) | {"checksum": "x"} == {
        "key": "two_approvals", "version": 1, "process_id": "two_approvals", "checksum": "x"}
    started = stroom(tmp_path, "start", "two_approvals", "--environment", "acme", "--data", '{"route_group": "g"}')
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout) == {"id": 1, "status": "running", "model": "two_approvals"}


def test_errors_print_one_line_and_exit_non_zero(tmp_path, sqlite_template):
    migrated(tmp_path, sqlite_template)
    missing = stroom_in_process(tmp_path, "start", "nothing-deployed")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: no model 'nothing-deployed' is deployed"
    bad = stroom_in_process(tmp_path, "deploy", str(tmp_path / "absent.bpmn"))
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1


def test_users_create_reads_the_password_from_stdin(tmp_path, sqlite_template):
    migrated(tmp_path, sqlite_template)
    created = stroom_in_process(tmp_path, "users", "create", "carla", "--role", "user", "--group", "creditors",
                     "--password-stdin", stdin="correct horse\n")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["groups"] == ["creditors"]
    again = stroom_in_process(tmp_path, "users", "create", "carla")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_users_create_refuses_a_short_password_as_the_page_and_the_api_do(tmp_path, sqlite_template):
    migrated(tmp_path, sqlite_template)
    for typed in ("s3cret\n", "\n"):
        short = stroom_in_process(tmp_path, "users", "create", "dirk", "--password-stdin", stdin=typed)
        assert short.returncode == 1
        assert short.stderr.strip() == "error: a password needs at least 10 characters"
    # Nothing was created: the same login with a long enough password is still free.
    made = stroom_in_process(tmp_path, "users", "create", "dirk", "--password-stdin", stdin="0123456789\n")
    assert made.returncode == 0, made.stderr


def test_ingest_keeps_a_file_over_the_limit_as_head_digest_and_size_and_refuses_it(tmp_path, sqlite_template):
    import hashlib
    import sqlite3

    migrated(tmp_path, sqlite_template)
    big = tmp_path / "big.xml"
    big.write_bytes(b"<Invoice>" + b" " * 100_000 + b"</Invoice>")
    refused = stroom_in_process(tmp_path, "ingest", str(big), STROOM_MAX_DOCUMENT_BYTES="4096")
    assert refused.returncode == 1, refused.stderr
    line = json.loads(refused.stdout)
    assert line["status"] == "rejected" and line["reasons"][0]["rule"] == "too_large"
    with sqlite3.connect(tmp_path / "instance" / "stroom.db") as db:
        size, digest, content = db.execute("SELECT size, sha256, content FROM received_documents").fetchone()
    assert (size, digest) == (big.stat().st_size, hashlib.sha256(big.read_bytes()).hexdigest())
    assert len(content) <= 4096 and big.read_bytes().startswith(content)
