"""An operator stops `stroom run` or `stroom worker` with SIGTERM (systemd, docker stop) or Ctrl-C: no
process it started lives on (validator pool ~250 MB each, multiprocessing's resource tracker, sandbox
workers). The real command runs as a subprocess; its descendants are counted from /proc."""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.host import open_host
from server.migrate import upgrade
from tests.conftest import make_settings
from tests.support.factories import make_user
from tests.support.paths import CORPUS, REPO

BIN = Path(sys.executable).parent
VALID = CORPUS / "ubl" / "valid" / "base-example.xml"


def descendants(pid: int) -> dict[int, str]:
    """Every live process below `pid`, as {pid: start time} (a reused pid has another start time)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = {}, list(children.get(pid, []))
    while todo:
        child = todo.pop()
        started = _started(child)
        if started:
            found[child] = started
        todo.extend(children.get(child, []))
    return found


def _started(pid: int) -> str | None:
    """The start time of a running process; None once it ended (a zombie has ended too)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


def survivors(seen: dict[int, str], *, within: float) -> dict[int, str]:
    deadline = time.monotonic() + within
    left = dict(seen)
    while left and time.monotonic() < deadline:
        left = {pid: started for pid, started in left.items() if _started(pid) == started}
        time.sleep(0.1)
    return {pid: Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")[:200] for pid in left
            if _started(pid) == left[pid]}


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    url = f"sqlite:///{tmp_path / 'stroom.db'}"
    host = open_host(make_settings(tmp_path, url))
    upgrade(host.db.engine)
    _, token = make_user(host, "sender", roles=("user",))
    host.db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STROOM_")}
    env.update(STROOM_DATABASE_URL=url, STROOM_INSTANCE_DIR=str(tmp_path / "instance"), STROOM_SECRET_KEY="sig",
               STROOM_LOG_LEVEL="WARNING", PYTHONPATH=str(REPO))
    yield env, token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(port: int, method: str, path: str, body: bytes | None = None, token: str | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/xml"} | ({"Authorization": f"Bearer {token}"} if token else {})
    conn.request(method, path, body=body, headers=headers)
    status = conn.getresponse().status
    conn.close()
    return status


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes], sig: signal.Signals, log: Path) -> None:
    process.send_signal(sig)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"{sig.name} did not stop the command:\n{log.read_text()[-3000:]}") from None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_stopping_stroom_run_ends_the_validator_pool_and_the_resource_tracker(deployment, tmp_path, sig):
    env, token = deployment
    port, log = _free_port(), tmp_path / "run.log"
    process = _start([str(BIN / "stroom"), "run", "--port", str(port)], env, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                if _call(port, "GET", "/healthz") == 200:
                    break
            except OSError:
                time.sleep(0.2)
        # The first invoice starts the validator pool (spawned processes and their resource tracker).
        assert _call(port, "POST", "/api/v1/invoices", VALID.read_bytes(), token) == 201
        children = descendants(process.pid)
        assert len(children) >= 2, children  # at least one validator and the resource tracker
        _stop(process, sig, log)
        assert survivors(children, within=15) == {}
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_stopping_stroom_worker_leaves_no_process_behind(deployment, tmp_path, sig):
    env, _ = deployment
    log = tmp_path / "worker.log"
    # At INFO the worker says "started" once its signal handlers are in place and it polls for jobs; the test
    # waits for that line (a fixed sleep sent the signal mid-start-up on a busy machine).
    process = _start([str(BIN / "stroom"), "worker"], {**env, "STROOM_LOG_LEVEL": "INFO"}, log)
    try:
        deadline = time.monotonic() + 60
        while not re.search(r"worker \S+ started", log.read_text()):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)
        children = descendants(process.pid)
        _stop(process, sig, log)
        assert process.returncode in (0, -sig, 128 + sig), (process.returncode, log.read_text()[-3000:])
        assert survivors(children, within=15) == {}
        assert descendants(process.pid) == {}
    finally:
        if process.poll() is None:
            process.kill()
