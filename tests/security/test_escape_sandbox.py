"""The escape corpus straight into server.sandbox (RestrictedPython in worker processes), both forms.

The server-level corpus (test_escape_corpus.py) needs the engine wired to the sandbox; this one
judges the sandbox on its own: every Python payload, as a script and as an expression, must be
refused at compile time (ScriptRefused) or fail in its worker (ScriptFailed, LimitExceeded); the
canary never appears, the secret never comes back, and the next script still runs.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.escapes import PAYLOADS, Payload

sandbox = pytest.importorskip("server.sandbox", reason="server/sandbox is not on this branch yet")

PYTHON = [p for p in PAYLOADS if p.language == "python"]
FORMS = [(p, form) for p in PYTHON for form in ("script", "expression") if form == "script" or p.expression]


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("sandbox-escapes")
    path = folder / "secret_key"
    path.write_text("sandbox-corpus-secret")
    # the limits' smallest useful values keep the resource attacks quick; the mechanism is the same
    from server.sandbox import limits, pool

    pool.configure(limits.Limits(cpu_seconds=1, wall_seconds=2.0))
    yield folder, "sandbox-corpus-secret"
    sandbox.shutdown()
    pool.configure(limits.from_environ())
    sandbox.shutdown()


@pytest.mark.parametrize("payload, form", FORMS, ids=[f"{p.name}-{f}" for p, f in FORMS])
def test_the_sandbox_refuses_or_fails_every_escape(payload: Payload, form: str, secret: tuple[Path, str]) -> None:
    folder, key = secret
    canary = folder / f"{payload.name}--{form}"
    text = payload.render(payload.text(expression=form == "expression"), canary=str(canary),
                          secret=str(folder / "secret_key"))
    data = {"x": 1, "box": []}
    try:
        if form == "script":
            result = sandbox.run_python_script(text, data)
        else:
            result = sandbox.evaluate_python(text, data)
        outcome = f"ran and returned {json.dumps(result)[:300]}"
    except sandbox.SandboxError as exc:
        outcome = f"{type(exc).__name__}: {exc}"
        result = None
    assert not canary.exists(), f"ESCAPED: {outcome}; the canary holds {canary.read_text()[:60]!r}"
    assert key not in json.dumps(result) and key not in outcome, f"ESCAPED (secret leaked): {outcome}"
    assert result is None, f"the escape ran to the end instead of being refused or failing: {outcome}"
    assert sandbox.evaluate_python("x + 1", {"x": 1}) == 2  # the pool carries on
