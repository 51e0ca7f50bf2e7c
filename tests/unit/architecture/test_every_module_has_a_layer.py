"""Every module of server/ sits in a layer of the Import Linter contract, so none escapes the rules.

A package the contract splits module by module (server.jobs: the queue below instances, the worker's
wiring above them) would let a new module there escape every layer unnoticed; this test names it.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _layer_modules() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["id"] == "layers"]
    return {name for layer in layers["layers"] for name in re.split(r"[|:]", layer) if name.strip()
            for name in [name.strip()]}


def _server_modules() -> list[str]:
    modules = []
    for path in (ROOT / "server").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules.append(".".join(parts))
    return sorted(modules)


def test_every_server_module_is_in_a_layer() -> None:
    layered = _layer_modules()
    # A package's own __init__ may be left out when its modules are layered one by one.
    split = {name.rsplit(".", 1)[0] for name in layered}
    outside = [m for m in _server_modules() if m != "server" and m not in split
               and not any(m == name or m.startswith(name + ".") for name in layered)]
    assert outside == []
