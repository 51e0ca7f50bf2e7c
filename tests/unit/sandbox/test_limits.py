"""A script that breaks a limit costs its worker, not the server: LimitExceeded, and the next one runs."""
from __future__ import annotations

import threading

import pytest

from server.sandbox import LimitExceeded, ScriptFailed, evaluate_python, run_python_script
from server.sandbox.limits import Limits
from server.sandbox.pool import Pool

pytestmark = pytest.mark.usefixtures("sandbox")

BURN = "while True:\n    pass"


@pytest.mark.parametrize(("source", "limits"), [
    (BURN, {"cpu_time", "wall_time"}),
    ("x = 'a' * 10**10", {"memory"}),
    ("x = []\nwhile True:\n    x.append('a' * 100000)", {"memory"}),
    ("x = 10**10**10", {"cpu_time", "wall_time", "memory"}),
    ("x = 'a' * 10**6", {"output"}),
    ("x = [[i] * 100 for i in range(10000)]", {"output"}),
], ids=["busy-loop", "huge-string", "growing-list", "huge-power", "big-output", "big-nested-output"])
def test_a_script_over_a_limit_is_stopped_naming_it_and_the_next_script_runs(sandbox, source, limits) -> None:
    with pytest.raises(LimitExceeded) as stopped:
        run_python_script(source, {})
    assert stopped.value.limit in limits
    assert run_python_script("y = x + 1", {"x": 1}) == {"x": 1, "y": 2}


def test_deep_recursion_is_an_ordinary_failure_and_the_worker_carries_on() -> None:
    with pytest.raises(ScriptFailed, match="^RecursionError: maximum recursion depth exceeded"):
        run_python_script("def down(n):\n    return down(n + 1)\ndown(0)", {})
    assert evaluate_python("2 + 2", {}) == 4


def test_an_expression_is_held_to_the_same_limits() -> None:
    with pytest.raises(LimitExceeded) as stopped:
        evaluate_python("len('a' * 10**10)", {})
    assert stopped.value.limit == "memory"


def test_a_killed_worker_is_replaced_by_a_new_process(sandbox) -> None:
    evaluate_python("1", {})
    before = set(sandbox.pids())
    with pytest.raises(LimitExceeded):
        run_python_script("x = 'a' * 10**10", {})
    assert evaluate_python("1", {}) == 1
    assert len(sandbox.pids()) <= sandbox.limits.workers
    assert set(sandbox.pids()) != before


def test_catching_the_memory_error_does_not_keep_a_script_alive(sandbox) -> None:
    source = "while True:\n    try:\n        x = 'a' * 10**10\n    except MemoryError:\n        pass"
    with pytest.raises(LimitExceeded) as stopped:
        run_python_script(source, {})
    assert stopped.value.limit in {"cpu_time", "wall_time"}


def test_the_wall_time_limit_holds_when_cpu_time_is_left() -> None:
    pool = Pool(Limits(cpu_seconds=30, wall_seconds=1.0, workers=1))
    try:
        with pytest.raises(LimitExceeded) as stopped:
            pool.run({"mode": "exec", "source": BURN, "data": {}})
        assert stopped.value.limit == "wall_time"
        assert pool.run({"mode": "eval", "source": "6 * 7", "data": {}}) == 42
    finally:
        pool.shutdown()


def test_other_callers_carry_on_while_one_script_burns_its_limit() -> None:
    stopped: list[BaseException] = []

    def burn() -> None:
        try:
            run_python_script(BURN, {})
        except LimitExceeded as exc:
            stopped.append(exc)

    burner = threading.Thread(target=burn)
    burner.start()
    try:
        answers = [evaluate_python(f"{n} * 2", {}) for n in range(5)]
        assert burner.is_alive()  # the quick ones were answered while the burner still ran
    finally:
        burner.join()
    assert answers == [0, 2, 4, 6, 8]
    assert [type(e) for e in stopped] == [LimitExceeded]


def test_many_callers_at_once_share_the_workers_and_each_gets_its_own_answer(sandbox) -> None:
    answers: dict[int, object] = {}

    def ask(n: int) -> None:
        data = {"values": [n, n + 1], "name": f"caller {n}"}
        answers[n] = run_python_script("doubled = [v * 2 for v in values]\nwho = name", data)

    callers = [threading.Thread(target=ask, args=(n,)) for n in range(12)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert answers == {n: {"values": [n, n + 1], "name": f"caller {n}", "doubled": [2 * n, 2 * n + 2],
                           "who": f"caller {n}"} for n in range(12)}
    assert len(sandbox.pids()) <= sandbox.limits.workers
