"""The architecture rules hold on server/: layering (Import Linter), ruff and mypy, each run as a developer would.

How to run one by hand (from the repository root, in the venv):
    .venv/bin/lint-imports          # contracts in pyproject.toml [tool.importlinter]
    .venv/bin/ruff check server     # rules in [tool.ruff]
    .venv/bin/mypy                  # settings and checked files in [tool.mypy]
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*command: str) -> tuple[int, str, float]:
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    return done.returncode, (done.stdout + done.stderr).strip(), time.monotonic() - started


@pytest.mark.parametrize("command", [
    pytest.param((str(BIN / "lint-imports"), "--no-cache"), id="import-linter"),
    pytest.param((sys.executable, "-m", "ruff", "check", "--no-cache", "server"), id="ruff"),
    pytest.param((sys.executable, "-m", "mypy"), id="mypy"),
])
def test_server_code_keeps_the_architecture_rules(command: tuple[str, ...]) -> None:
    code, output, seconds = _run(*command)
    assert code == 0, f"`{' '.join(Path(command[0]).name if i == 0 else c for i, c in enumerate(command))}` " \
                      f"failed after {seconds:.1f}s:\n{output}"


def test_spiffworkflow_classes_are_not_patched_by_importing_the_engine() -> None:
    """STYLE.md rule 4: Stroom extends the parser through registered subclasses, never by assignment."""
    from SpiffWorkflow.bpmn.parser.node_parser import NodeParser

    import server.engine.parser  # noqa: F401 - importing it is what must leave the library alone

    assert NodeParser._resolve_data_object_ref.__module__ == NodeParser.__module__
