"""A Python script sees a JSON copy of the process data and returns the variables it leaves."""
from __future__ import annotations

import pytest

from server.sandbox import ScriptFailed, ScriptRefused, check_python, evaluate_python, run_python_script
from server.sandbox.limits import Limits, from_environ
from server.settings import SettingsError, load_settings

pytestmark = pytest.mark.usefixtures("sandbox")


def test_a_script_returns_the_new_data_and_leaves_the_callers_dict_alone() -> None:
    data = {"amount": 100, "lines": [1, 2], "gone": True, "_internal": {"k": 1}}
    result = run_python_script("total = amount + sum(lines)\nlines.append(3)\ndel gone", data)
    assert result == {"amount": 100, "lines": [1, 2, 3], "total": 103, "_internal": {"k": 1}}
    assert data == {"amount": 100, "lines": [1, 2], "gone": True, "_internal": {"k": 1}}


def test_values_come_back_as_json() -> None:
    script = ("when = date(2026, 12, 3)\nprice = Decimal('12.50') * 2\npair = (1, 2)\nkinds = {'b', 'a'}\n"
              "def helper(x):\n    return x\nstamp = (datetime(2026, 1, 1) + timedelta(days=1)).isoformat()")
    assert run_python_script(script, {}) == {"when": "2026-12-03", "price": "25.00", "pair": [1, 2],
                                             "kinds": ["a", "b"], "stamp": "2026-01-02T00:00:00"}


def test_a_result_that_is_not_json_fails_naming_the_variable() -> None:
    with pytest.raises(ScriptFailed, match=r"^TypeError: .*ratio is inf"):
        run_python_script("ratio = float('inf')", {})
    with pytest.raises(ScriptFailed, match=r"^TypeError: .*'1'|keys are text"):
        run_python_script("m = {1: 'a'}", {})


def test_an_expression_gives_a_json_value() -> None:
    assert evaluate_python("amount > 50 and supplier['country'] == 'NL'",
                           {"amount": 75, "supplier": {"country": "NL"}}) is True
    assert evaluate_python("[x * 2 for x in lines]", {"lines": [1, 2]}) == [2, 4]
    assert evaluate_python("  min(a, b)\n", {"a": 3, "b": 2}) == 2


def test_a_raising_script_fails_with_the_exception_name_and_line() -> None:
    with pytest.raises(ScriptFailed, match=r"^TypeError: unsupported operand .* \(line 2\)$"):
        run_python_script("x = 1\ny = x + 'a'", {})
    with pytest.raises(ScriptFailed, match=r"^NameError: name 'missing' is not defined"):
        evaluate_python("missing + 1", {})


def test_print_is_harmless() -> None:
    assert run_python_script("print('hello')\nx = 1", {}) == {"x": 1}


@pytest.mark.parametrize(("source", "mode", "words"), [
    ("import os", "exec", "Line 1: import is not allowed"),
    ("x = 1\nfrom os import system", "exec", "Line 2: import is not allowed"),
    ("x = a.__class__", "exec", 'Line 1: "__class__" is an invalid attribute name'),
    ("x = __builtins__", "exec", 'Line 1: "__builtins__" is an invalid variable name'),
    ("class A:\n    pass", "exec", "Line 1: class statements are not allowed"),
    ("x = (", "exec", "Line 1: SyntaxError"),
    ("a.gi_frame", "eval", 'Line 1: "gi_frame" is a restricted name'),
    ("x = 1", "eval", "Line 1: SyntaxError"),
])
def test_deploy_check_refuses_with_the_line(source: str, mode: str, words: str) -> None:
    with pytest.raises(ScriptRefused, match=words.replace("(", r"\(")):
        check_python(source, mode=mode)  # type: ignore[arg-type]


def test_deploy_check_accepts_an_ordinary_script() -> None:
    check_python("total = sum(line['amount'] for line in lines)\napproved = total < 1000", mode="exec")
    check_python("amount > 100", mode="eval")


def test_an_overlong_script_is_refused() -> None:
    with pytest.raises(ScriptRefused, match="at most"):
        check_python("x = 1\n" * 20000, mode="exec")


def test_data_that_is_not_json_is_refused_before_anything_runs() -> None:
    with pytest.raises(ScriptFailed, match=r"^TypeError: .*holds a object"):
        run_python_script("x = 1", {"thing": object()})


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("STROOM_SCRIPT_CPU_SECONDS", "two", "STROOM_SCRIPT_CPU_SECONDS='two' is not a number"),
    ("STROOM_SCRIPT_MEMORY_MB", "16", "STROOM_SCRIPT_MEMORY_MB must be at least 64"),
    ("STROOM_SCRIPT_WALL_SECONDS", "0", "STROOM_SCRIPT_WALL_SECONDS must be at least 0.1"),
])
def test_a_bad_limit_stops_the_server_at_start_naming_the_variable(tmp_path, variable, value, words) -> None:
    with pytest.raises(SettingsError, match=words.replace("(", r"\(")):
        load_settings({"STROOM_INSTANCE_DIR": str(tmp_path), "STROOM_SECRET_KEY": "k", variable: value})


def test_limits_come_from_the_environment_with_defaults() -> None:
    assert from_environ({}) == Limits(cpu_seconds=2, wall_seconds=5.0, memory_mb=256)
    assert from_environ({"STROOM_SCRIPT_CPU_SECONDS": "3", "STROOM_SCRIPT_WALL_SECONDS": "7.5",
                         "STROOM_SCRIPT_MEMORY_MB": "512", "STROOM_SCRIPT_OUTPUT_KB": "64"}) == Limits(
        cpu_seconds=3, wall_seconds=7.5, memory_mb=512, output_kb=64)
