"""A worker is a separate, limited process: no inherited descriptors, a bare environment, an empty
working directory, its rlimits set, and it never outlives the server."""
from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server.sandbox import SandboxError, evaluate_python
from server.sandbox.limits import Limits
from server.sandbox.pool import Pool

pytestmark = pytest.mark.usefixtures("sandbox")

ROOT = Path(__file__).resolve().parents[3]


def proc(pid: int, name: str) -> str:
    return Path(f"/proc/{pid}/{name}").read_text()


def test_a_worker_holds_only_its_pipes_even_when_the_server_has_a_database_and_files_open(sandbox, tmp_path):
    database = sqlite3.connect(tmp_path / "server.db")
    database.execute("CREATE TABLE t (x)")
    secret = (tmp_path / "secret_key").open("w")
    fresh = Pool(sandbox.limits)  # its worker starts while the server holds both open
    try:
        assert fresh.run({"mode": "eval", "source": "1", "data": {}}) == 1
        (pid,) = fresh.pids()
        assert sorted(os.listdir(f"/proc/{pid}/fd")) == ["0", "1", "2"]
        assert os.readlink(f"/proc/{pid}/fd/2") == "/dev/null"
        assert all(os.readlink(f"/proc/{pid}/fd/{fd}").startswith("pipe:") for fd in ("0", "1"))
    finally:
        fresh.shutdown()
        database.close()
        secret.close()


def test_a_worker_runs_isolated_in_an_empty_directory_with_a_bare_environment(sandbox):
    evaluate_python("1", {})
    pid = sandbox.pids()[0]
    workdir = os.readlink(f"/proc/{pid}/cwd")
    assert os.listdir(workdir) == []
    assert oct(os.stat(workdir).st_mode & 0o777) == "0o555"
    environ = [v for v in proc(pid, "environ").split("\0") if v]
    assert sorted(environ) == ["LC_ALL=C.UTF-8", "PATH=/usr/bin:/bin"]
    argv = proc(pid, "cmdline").split("\0")
    assert argv[0] == sys.executable and "-I" in argv and "-B" in argv
    assert os.getsid(pid) == pid  # its own session: a terminal's Ctrl-C goes to the server, which reaps it


def test_a_worker_sets_its_own_rlimits(sandbox):
    evaluate_python("1", {})
    pid = sandbox.pids()[0]
    limits = {line[:26].strip(): line[26:].split()[:2] for line in proc(pid, "limits").splitlines()[1:]}
    memory = str(sandbox.limits.memory_bytes)
    assert limits["Max address space"] == [memory, memory]
    assert limits["Max file size"] == ["0", "0"]
    assert limits["Max core file size"] == ["0", "0"]
    assert limits["Max open files"] == ["3", "3"]
    assert limits["Max processes"] == ["0", "0"]  # no fork (unenforced for root: see STROOM_SCRIPT_USER)
    soft_cpu = int(limits["Max cpu time"][0])
    assert sandbox.limits.cpu_seconds <= soft_cpu <= sandbox.limits.cpu_seconds + 2
    assert resource.getrlimit(resource.RLIMIT_AS)[0] != int(memory)  # the server's own limits are untouched


def alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in proc(pid, "status")
    except FileNotFoundError:
        return False


def gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


SERVER = """
import sys, time
from server.sandbox import evaluate_python, pool
from server.sandbox.limits import Limits
pool.configure(Limits(workers=2))
import threading
threads = [threading.Thread(target=evaluate_python, args=("1", {})) for _ in range(2)]
[t.start() for t in threads]; [t.join() for t in threads]
print(*pool.get().pids(), flush=True)
if sys.argv[1] == "wait":
    time.sleep(60)
"""


@pytest.mark.parametrize("stop", ["exits", "sigterm", "sigkill"])
def test_no_worker_outlives_the_server(stop):
    server = subprocess.Popen([sys.executable, "-c", SERVER, "exit" if stop == "exits" else "wait"],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert server.stdout is not None
    pids = [int(p) for p in server.stdout.readline().split()]
    assert len(pids) == 2 and all(alive(p) for p in pids)
    if stop != "exits":
        server.send_signal(signal.SIGTERM if stop == "sigterm" else signal.SIGKILL)
    server.wait(timeout=30)
    assert gone_within(pids, 10), [p for p in pids if alive(p)]


def test_no_worker_starts_until_a_script_runs() -> None:
    """The app, a deploy-time check and the setting itself start no process; the first script does."""
    probe = ("from server.app import create_app\n"
             "from server.sandbox import check_python, evaluate_python, pool\n"
             "check_python('x = 1', mode='exec')\nprint(pool._pool is None)\nevaluate_python('1', {})\n"
             "print(len(pool.get().pids()))")
    env = {**os.environ, "STROOM_INSTANCE_DIR": "/nonexistent-stroom-instance", "STROOM_SECRET_KEY": "k"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=env, check=False)
    assert done.stdout.split() == ["True", "1"], done.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="STROOM_SCRIPT_USER applies when the server runs as root")
def test_an_unknown_script_user_is_a_clear_sandbox_error() -> None:
    broken = Pool(Limits(user="no-such-account-here"))
    with pytest.raises(SandboxError, match="STROOM_SCRIPT_USER='no-such-account-here' is not an account"):
        broken.run({"mode": "eval", "source": "1", "data": {}})
    assert broken.pids() == []
    broken.shutdown()
