"""Hostile FEEL ends within bounds: an error (or null) instead of a hang, a crash or all the memory.

Each evaluation runs in a thread with a generous guard: a hang fails the test instead of holding the suite.
The assertions are on behaviour (the answer, or the error), never on timing.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import pytest

from server.decisions import DecisionError, parse_dmn, runtime
from server.decisions.errors import FeelLimitError, FeelSyntaxError
from server.decisions.expressions import evaluate_feel
from tests.unit.decisions.builders import literal_xml

GUARD_SECONDS = 60


@pytest.fixture(autouse=True)
def short_time_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """One second per evaluation (5 in production) keeps these tests quick; the bound is the same code."""
    monkeypatch.setattr(runtime, "MAX_SECONDS", 1.0)


def guarded(call: Callable[[], Any]) -> Any:
    """The call's result (or its exception, re-raised); fails when it runs past the guard."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(GUARD_SECONDS)
    assert not thread.is_alive(), "the evaluation hung"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


ATTACK = "a" * 27 + "!"


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a|aa)+$", "^(a|a?)+$", "(\\w+\\s?)*$", "(.*a){12}"])
def test_a_catastrophic_regular_expression_answers(pattern: str) -> None:
    # Python's re backtracks exponentially on these (minutes for 27 characters); RE2 is linear.
    assert guarded(lambda: evaluate_feel(f"matches(text, {pattern!r})".replace("'", '"'), {"text": ATTACK})) in (
        True, False)
    assert guarded(lambda: evaluate_feel(f"replace(text, {pattern!r}, \"x\")".replace("'", '"'),
                                         {"text": ATTACK})) is not False


def test_what_re2_cannot_do_is_null_not_an_error() -> None:
    assert evaluate_feel('matches("abab", "(ab)\\\\1")', {}) is None  # a back-reference
    assert evaluate_feel('matches("ab", "a(?=b)")', {}) is None  # look-ahead
    assert evaluate_feel('split("a1b22c", "\\\\d+")', {}) == ["a", "b", "c"]


@pytest.mark.parametrize("text", [
    "for i in 1..1000000000 return i",
    "count(for i in 1..1000 return for j in 1..1000 return for k in 1..1000 return k)",
    "{f: function(n) if n = 0 then 0 else f(n - 1), r: f(100000)}.r",
    '{d: function(s, n) if n = 0 then s else d(s + s, n - 1), r: string length(d("x", 40))}.r',
    "some i in 1..1000000000 satisfies i < 0",
])
def test_runaway_evaluation_is_an_error_within_bounds(text: str) -> None:
    with pytest.raises(FeelLimitError):
        guarded(lambda: evaluate_feel(text, {}))


def test_a_runaway_decision_fails_that_decision_only() -> None:
    model = parse_dmn(literal_xml({"loop": "for i in 1..1000000000 return i", "fine": '"ok"'}))
    with pytest.raises(DecisionError) as caught:
        guarded(lambda: model.evaluate("loop", {}))
    assert "loop" in str(caught.value) and "items" in str(caught.value)
    assert model.evaluate("fine", {}).value == "ok"


def test_deep_nesting_is_refused_when_compiled() -> None:
    for text in ("(" * 500 + "1" + ")" * 500, "[" * 300 + "]" * 300, "{a:" * 200 + "1" + "}" * 200):
        with pytest.raises(FeelSyntaxError):
            guarded(lambda text=text: evaluate_feel(text, {}))


def test_huge_inputs_are_evaluated_without_copies_per_step() -> None:
    big = "x" * 5_000_000
    assert guarded(lambda: evaluate_feel("string length(s + s)", {"s": big})) == 10_000_000
    with pytest.raises(FeelLimitError):
        guarded(lambda: evaluate_feel("s + s + s", {"s": big}))
    items = list(range(100_000))
    assert guarded(lambda: evaluate_feel("count(l[item > 50000])", {"l": items})) == 49_999
