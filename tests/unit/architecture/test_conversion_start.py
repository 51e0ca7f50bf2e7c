"""The conversion task (the sender is told that a document was refused or failed) starts in one place,
server/invoices/refusals.py, so its data and safeguards cannot drift between three copies."""
from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parents[3] / "server"


def calls_to(name: str) -> list[str]:
    found = []
    for path in SERVER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called == name:
                    found.append(str(path.relative_to(SERVER)))
    return found


def test_only_the_refusals_module_starts_the_conversion_task() -> None:
    assert set(calls_to("start_conversion")) == {"invoices/refusals.py"}
