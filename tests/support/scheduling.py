"""How `make test` hands tests to its xdist workers: whole modules (or classes), the slowest first.

xdist's loadscope gives a worker a module (or a test class) at a time, so a module-scoped fixture (a demo
site, a server process, the escape-corpus run) is built once rather than once per worker that gets one of
its tests. It starts with the modules that hold the most tests; the modules below take long for the few
tests they hold and would otherwise come last and leave one worker running alone at the end.
"""
from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling
from xdist.workermanage import WorkerController

SLOW_FEW = ("tests/scale/test_scale_out.py", "tests/unit/test_code_quality.py",
            "tests/e2e/test_accessibility.py")


class SlowModulesFirst(LoadScopeScheduling):
    """loadscope, with the SLOW_FEW modules handed out before the others (then the most tests first)."""

    _ordered = False

    def _assign_work_unit(self, node: WorkerController) -> None:
        if not self._ordered:
            self._ordered = True
            def first(scope: str) -> tuple[bool, int]:
                return not scope.startswith(SLOW_FEW), -len(self.workqueue[scope])

            for scope in sorted(self.workqueue, key=first):
                self.workqueue.move_to_end(scope)
        super()._assign_work_unit(node)
