"""Known CPython sandbox escapes end as ScriptRefused (at deploy) or ScriptFailed (at run), and the
canary file each payload tries to write never appears."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from server.sandbox import (
    SandboxError,
    ScriptFailed,
    ScriptRefused,
    check_python,
    evaluate_python,
    run_python_script,
)

pytestmark = pytest.mark.usefixtures("sandbox")

SYSTEM = "('os').system('touch CANARY')"
SCRIPTS = {
    # issue 17: passed the old AST checker and ran a shell command in the server
    "generator-frame-builtins": "g = (g.gi_frame.f_back.f_back.f_builtins for _ in [1])\n"
                                f"out = str(list(g)[0]['__import__']{SYSTEM})\ndel g",
    "generator-frame-via-getattr": "g = (x for x in [1])\n"
                                   "f = getattr(getattr(g, 'gi_' + 'frame'), 'f_' + 'globals')",
    "traceback-frame": "try:\n    1 / 0\nexcept Exception as e:\n    f = e.__traceback__.tb_frame.f_back",
    "traceback-frame-via-getattr": "try:\n    1 / 0\nexcept Exception as e:\n"
                                   "    f = getattr(getattr(e, 'with_traceback')(None), 'tb_frame')",
    "subclasses-walk": "for c in ().__class__.__base__.__subclasses__():\n"
                       "    if c.__name__ == 'catch_warnings':\n"
                       f"        c()._module.__builtins__['__import__']{SYSTEM}",
    "subclasses-via-mro": "o = datetime.mro()[-1]\nsubs = getattr(o, '__subclasses__')()",
    "format-attribute-walk": "x = '{0.__class__.__base__.__subclasses__}'.format(())",
    "format-via-str-type": "x = str.format('{0.__class__}', 1)",
    "format-map-walk": "x = '{a.__class__.__mro__}'.format_map({'a': 1})",
    "format-via-getattr": "x = getattr('{0.__globals__}', 'format')(lambda: 1)",
    "computed-getattr": "t = getattr((), '__cl' + 'ass__')",
    "computed-getattr-default": "t = getattr((), '_' * 2 + 'class' + '_' * 2, None)\nok = t is None",
    "builtins-name": f"b = __builtins__['__import__']{SYSTEM}",
    "builtins-through-data": "f = open('CANARY', 'w')",
    "open": "open('CANARY', 'w').write('x')",
    "import": "import os\nos.system('touch CANARY')",
    "dunder-import": f"__import__{SYSTEM}",
    "eval-exec-compile": "exec(\"open('CANARY', 'w')\")",
    "type-vars-dir": "t = type(())\nv = vars()\nd = dir()",
    "getattribute": "x = (1).__getattribute__('__class__')",
    "lambda-hides-attribute": "f = lambda o: o.__class__\nx = f(1)",
    "decorator-hides-attribute": "def walk(fn):\n    return fn.__globals__\n@walk\ndef g():\n    pass",
    "operator-attrgetter": "x = operator.attrgetter('__class__')(1)",
    "class-statement": "class A:\n    pass\nx = A.__subclasses__()",
    "module-internals": "loader = getattr(math, '__loader__')",
    "mutate-shared-module": "setattr(math, 'floor', len)",
    "pickle-marshal": "x = pickle.loads(b'cos\\nsystem\\n(S\"touch CANARY\"\\ntR.')",
    "async-coroutine-frame": "async def c():\n    pass\nf = c().cr_frame",
    "async-generator-frame": "async def a():\n    yield 1\nf = a().ag_frame",
    "string-formatter": "f = string.Formatter().get_field('0.__class__', [1], {})",
    "print-to-file": "print('x', file=open('CANARY', 'w'))",
}
EXPRESSIONS = {
    "generator-frame": "[x for x in (y.gi_frame for y in [1])]",
    "format-walk": "'{0.__class__}'.format(amount)",
    "computed-getattr": "getattr(amount, '__cl' + 'ass__')",
    "builtins": "__builtins__",
    "lambda": "(lambda: 1).__globals__",
    "dunder-import": f"__import__{SYSTEM}",
}


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    return tmp_path / "canary"


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_a_script_escape_is_refused_or_fails_and_writes_nothing(name: str, canary: Path) -> None:
    source = SCRIPTS[name].replace("CANARY", str(canary))
    with pytest.raises((ScriptRefused, ScriptFailed)) as stopped:
        result = run_python_script(source, {"amount": 1, "__builtins__": {"open": "x"}, "_getattr_": "x"})
        assert result.get("ok") is not True, result  # a run that did not raise reached no attribute
    assert not canary.exists()
    assert isinstance(stopped.value, SandboxError)
    assert run_python_script("n = 1", {}) == {"n": 1}  # and the worker is sound afterwards


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_an_expression_escape_is_refused_or_fails_and_writes_nothing(name: str, canary: Path) -> None:
    source = EXPRESSIONS[name].replace("CANARY", str(canary))
    with pytest.raises((ScriptRefused, ScriptFailed)):
        evaluate_python(source, {"amount": 1})
    assert not canary.exists()


@pytest.mark.parametrize("name", ["generator-frame-builtins", "subclasses-walk", "traceback-frame", "import",
                                  "builtins-name", "lambda-hides-attribute", "decorator-hides-attribute",
                                  "class-statement", "async-coroutine-frame", "getattribute"])
def test_the_deploy_check_already_refuses_the_escapes_visible_in_the_text(name: str) -> None:
    with pytest.raises(ScriptRefused, match=r"^Line \d+: "):
        check_python(SCRIPTS[name], mode="exec")


def test_a_module_a_script_changed_would_reach_the_next_script_so_none_can_be_changed() -> None:
    with pytest.raises(ScriptFailed):
        run_python_script("setattr(math, 'pi', 3)", {})
    assert evaluate_python("math.pi > 3.14", {}) is True


def test_the_issue_payload_does_write_the_canary_when_run_as_plain_python(canary: Path) -> None:
    """The control: without RestrictedPython (as main's AST checker let it through), the canary appears."""
    source = SCRIPTS["generator-frame-builtins"].replace("CANARY", str(canary))
    subprocess.run([sys.executable, "-I", "-c", "import sys; exec(sys.argv[1], {})", source], check=True,
                   timeout=60, cwd=canary.parent)
    assert canary.exists()


@pytest.mark.parametrize("source", ["setattr(math, 'stash', secret)", "math.stash = secret",
                                    "Decimal.stash = secret", "ValueError.stash = secret",
                                    "datetime.stash = secret", "setattr(sorted, 'stash', secret)"])
def test_one_script_cannot_leave_data_behind_for_the_next_one(source: str) -> None:
    """Workers serve scripts of every environment in turn; nothing a script touches outlives it."""
    with pytest.raises(ScriptFailed):
        run_python_script(source, {"secret": "iban NL91ABNA0417164300"})
    for reader in ("math.stash", "Decimal.stash", "ValueError.stash", "datetime.stash", "sorted.stash"):
        with pytest.raises(ScriptFailed, match="^AttributeError"):
            evaluate_python(reader, {})


@pytest.mark.parametrize("source", ["x = " + "-" * 60000 + "1", "x = " + "[" * 60000,
                                    "x = " + "1+" * 30000 + "1", "x = " + "not " * 16000 + "1",
                                    "def f():\n" + "".join(" " * (i + 1) + "if x:\n" for i in range(100))])
def test_pathological_text_is_refused_at_deploy_without_harm(source: str) -> None:
    with pytest.raises(ScriptRefused):
        check_python(source, mode="exec")
    check_python("x = 1", mode="exec")
