"""Documents at and past the size limits cost bounded time and memory, each checked in a capped child."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.hostile import bombs
from tests.support.paths import REPO

# A parser may use several times a document's size while it works; these are hang and runaway
# guards (the child is killed past them), not speed targets: bench/fuzz.py prints the figures.
CAP_MB = 1024
ALARM_SECONDS = 60
MAX_GROWTH_MB = 600
BOMBS = bombs()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("bombs")
    documents = []
    for index, (name, (target, build)) in enumerate(BOMBS.items()):
        path = folder / f"{index:02d}.xml"
        path.write_bytes(build())
        documents.append((name, f"{target}={path}"))
    command = [sys.executable, "-m", "tests.fuzz.bounded", "--cap-mb", str(CAP_MB),
               "--seconds", str(ALARM_SECONDS), *(arg for _, arg in documents)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                          timeout=ALARM_SECONDS * len(documents), check=True)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == len(documents), done.stderr[-2000:]
    return {name: line for (name, _), line in zip(documents, lines)}


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_hostile_document_is_handled_within_memory_and_time_caps(reports, name):
    report = reports[name]
    assert report["outcome"] == "ok" or report["outcome"].startswith("refused: "), report
    assert report["grew_mb"] < MAX_GROWTH_MB, report


def test_the_caps_do_stop_a_runaway(tmp_path):
    # The harness itself must be able to fail: a document read into a Python list of its bytes, many
    # times over, outgrows a 64 MB cap and is reported as a crash, not as "ok".
    path = tmp_path / "big.xml"
    path.write_bytes(b"x" * (8 * 1024 * 1024))
    code = ("import sys; from tests.fuzz import bounded, hostile\n"
            "hostile.targets = lambda: {'hog': hostile.Target('hog', 'ubl', lambda d: [list(d)] * 1, ())}\n"
            "bounded.targets = hostile.targets\n"
            f"sys.exit(bounded.main(['--cap-mb', '64', 'hog={path}']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(REPO), capture_output=True, text=True,
                          timeout=60, check=True)
    assert json.loads(done.stdout)["outcome"].startswith("crash: MemoryError"), done.stdout
