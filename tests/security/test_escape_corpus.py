"""Issue 17 point 3: every escape in the corpus, through every vector, against a real server process.

Each (payload, vector) must end as a deploy-time 422 or an incident on the instance (a resource attack
that is valid FEEL may also run on, quickly: its value harms nothing); no canary file
may appear, the secret key must appear in no answer, instance or database row, and after every
resource attack /healthz must answer and the server must go idle again. With Python scripts off,
a Python script task is refused at deploy naming the element and the setting.

All cases run once against one server (the fixture); each test then judges one case, so a failure
names the payload and the vector. Cases run four at a time; resource attacks are replayed one at a time
(naming the culprit) only when one of them hung, killed or kept busy the server.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.security.escape_harness import SURFACE_VECTORS, VECTORS, Outcome, Server, run_case
from tests.security.escapes import BY_NAME, PAYLOADS, Payload

# the other places a model carries an expression get a few payloads of each kind
SURFACE = ("issue17_gi_frame_f_back_f_back", "genexpr_gi_frame_walk", "subclasses_wrap_close_globals",
           "format_map_over_frame_locals", "ten_to_ten_to_ten", "feel_matches_backtracking")
CASES = ([(payload, vector) for payload in PAYLOADS for vector in VECTORS]
         + [(BY_NAME[name], vector) for name in SURFACE for vector in SURFACE_VECTORS])
IDLE_CPU = 0.15  # CPU seconds in a 0.4 s window: more means something still runs in the server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("escapes"))
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def outcomes(server: Server, request: pytest.FixtureRequest) -> dict[tuple[str, str], Outcome]:
    selected = {(item.callspec.params["payload"].name, item.callspec.params["vector"])
                for item in request.session.items if item.originalname == "test_the_escape_ends_as_a_refusal_or_an_incident"}
    numbered = [(n, case) for n, case in enumerate(CASES) if (case[0].name, case[1]) in selected]
    quiet = [(n, p, v) for n, (p, v) in numbered if not p.resource]
    loud = [(n, p, v) for n, (p, v) in numbered if p.resource]
    results: dict[tuple[str, str], Outcome] = {}
    for outcome in _in_parallel(server, quiet):
        results[(outcome.payload, outcome.vector)] = outcome
    # Resource attacks four at a time too, each followed by /healthz; a runaway does not stop by itself, so
    # one look at the server's CPU afterwards catches any. Only when something hung, died or keeps running
    # are they replayed one at a time to name the culprit (with a restart after each one that breaks it).
    loud_outcomes = _in_parallel(server, loud, health=True)
    if any(o.health for o in loud_outcomes) or _burning(server):
        server.restart()
        loud_outcomes = [_alone(server, n, payload, vector) for n, payload, vector in loud]
    for outcome in loud_outcomes:
        results[(outcome.payload, outcome.vector)] = outcome
    summary = os.environ.get("STROOM_ESCAPE_SUMMARY")
    if summary:  # a JSON list of every outcome, for reading the matrix at a glance
        Path(summary).write_text(json.dumps([dataclasses.asdict(o) for o in results.values()], indent=1))
    return results


def _in_parallel(server: Server, cases: list[tuple[int, Payload, str]], *, health: bool = False) -> list[Outcome]:
    def one(case: tuple[int, Payload, str]) -> Outcome:
        outcome = run_case(server, case[1], case[2], case[0])
        if health:
            outcome.health = server.health()
        return outcome

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, cases))


def _burning(server: Server) -> str:
    busy = server.busy_seconds()
    return f"the server kept burning CPU after the request ({busy:.2f} s in 0.4 s)" if busy > IDLE_CPU else ""


def _alone(server: Server, n: int, payload: Payload, vector: str) -> Outcome:
    outcome = run_case(server, payload, vector, n)
    outcome.health = server.health() or ("" if outcome.kind == "refused" else _burning(server))
    if outcome.health:
        server.restart()
    return outcome


def allowed_ends(payload: Payload, vector: str) -> tuple[str, ...]:
    """A refusal or an incident; valid FEEL may also just run (its value harms nothing)."""
    python_runs = vector == "script-on" and payload.language == "python"
    if payload.language == "feel" or (payload.resource and not python_runs and vector != "script-off"):
        return ("refused", "incident", "ran")
    return ("refused", "incident")


def known_gap(payload: Payload, vector: str) -> str:
    """Why a case fails today (reported in /work/wt/findings-escapes.md); '' when it must pass.

    Strict: once the gap is closed the case passes, the xfail turns into a failure, and the entry goes.
    """
    return ""


PARAMS = [pytest.param(p, v, id=f"{p.name}-{v}", marks=[pytest.mark.xfail(strict=True, reason=known_gap(p, v))]
                       if known_gap(p, v) else []) for p, v in CASES]


@pytest.mark.parametrize("payload, vector", PARAMS)
def test_the_escape_ends_as_a_refusal_or_an_incident(outcomes: dict[tuple[str, str], Outcome], server: Server,
                                                     payload: Payload, vector: str) -> None:
    outcome = outcomes[(payload.name, vector)]
    assert not outcome.escaped, outcome.describe()
    assert not outcome.health, outcome.describe()
    assert outcome.kind in allowed_ends(payload, vector), outcome.describe()
    if outcome.kind == "incident":  # the incident names the element that carries the text
        assert set(outcome.incident_elements) == {"attack"}, outcome.describe()
    if outcome.kind == "incident" and payload.resource and vector == "script-on":  # ... and the limit
        assert any(word in outcome.detail for word in ("cpu_time", "wall_time", "memory", "output",
                                                        "RecursionError")), outcome.describe()
    if vector == "script-off" and payload.language == "python":
        refusal = json.loads(outcome.detail)["error"]
        assert "attack" in json.dumps(refusal) and "python_scripts" in refusal["message"], outcome.describe()


def test_no_canary_and_no_secret_anywhere_after_the_whole_corpus(outcomes: dict[tuple[str, str], Outcome],
                                                                 server: Server) -> None:
    assert sorted(p.name for p in server.canaries.iterdir()) == []
    for path in server.folder.glob("stroom.db*"):  # the database and its write-ahead log, byte for byte
        assert server.secret.encode() not in path.read_bytes(), path.name
    assert server.health() == ""


def test_python_scripts_are_turned_on_in_the_scripted_environment(server: Server) -> None:
    assert server.settings_note == "", server.settings_note


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if p.teeth != "none"], ids=lambda p: p.name)
def test_the_escape_gets_out_of_a_naive_sandbox(payload: Payload, tmp_path: Path) -> None:
    """The corpus has teeth: under trimmed builtins alone (or full ones, for imports) each escape works."""
    secret = tmp_path / "secret_key"
    secret.write_text("naive-secret")
    cases, canaries = [], []
    for mode, text in (("exec", payload.script), ("eval", payload.expression)):
        if text is not None:
            canary = tmp_path / f"canary-{mode}"
            canaries.append(canary)
            cases.append({"text": payload.render(text, canary=str(canary), secret=str(secret)), "mode": mode,
                          "full": payload.teeth == "full"})
    child = subprocess.run([sys.executable, str(Path(__file__).with_name("naive_sandbox.py")), json.dumps(cases)],
                           capture_output=True, text=True, timeout=30, check=False)
    results = json.loads(child.stdout)
    for canary, result in zip(canaries, results):
        assert canary.exists() and canary.read_text() == "naive-secret", (canary.name, result)
