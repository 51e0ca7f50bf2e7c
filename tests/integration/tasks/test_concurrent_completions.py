"""200 completions of 100 tasks from 4 OS processes against PostgreSQL: 100 win, 100 get a conflict."""
from __future__ import annotations

import multiprocessing
from pathlib import Path

from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.auth import service as auth
from server.auth.actor import Actor
from server.errors import Conflict
from server.host import open_host
from server.instances import service as instances
from server.tasks import service as tasks
from server.tasks.models import HumanTask
from tests.conftest import make_settings
from tests.integration.tasks.factories import DATA
from tests.support import databases

TASKS = 100
PROCESSES = 4


def _complete_all(url: str, instance_dir: str, actor: Actor, task_ids: list[int], barrier) -> dict[str, object]:
    """One OS process with its own engine and sessions: try to complete every task it was given."""
    host = open_host(make_settings(Path(instance_dir), url, log_level="WARNING"))
    outcome: dict[str, object] = {"ok": [], "conflict": 0, "errors": []}
    barrier.wait(60)
    for task_id in task_ids:
        try:
            with host.db.unit_of_work() as session:
                tasks.complete(session, host, actor=actor, task_id=task_id, data={"by": actor.name})
            outcome["ok"].append(task_id)
        except Conflict:
            outcome["conflict"] += 1
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the test
            outcome["errors"].append(f"{type(exc).__name__}: {exc}")
    host.db.dispose()
    return outcome


def _setup(url: str, tmp_path: Path) -> tuple[list[int], dict[str, Actor]]:
    host = open_host(make_settings(tmp_path, url, log_level="WARNING"))
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, "acme")
        actors = {}
        for login in ("ann", "bob"):
            user = auth.create_user(session, env.id, login, actor=Actor.system(env.id), groups=("creditors",))
            actors[login] = auth.actor_for(session, user)
        instances.deploy(session, host, actor=Actor.system(env.id), key="single",
                         bpmn={"single.bpmn": (DATA / "single.bpmn").read_bytes()})
        for _ in range(TASKS):
            instances.start(session, host, actor=Actor.system(env.id), key="single")
    with host.db.unit_of_work() as session:
        ids = list(session.scalars(select(HumanTask.id).order_by(HumanTask.id)))
    host.db.dispose()
    return ids, actors


def test_each_task_is_completed_exactly_once(postgres_url, tmp_path):
    databases.truncate_all(postgres_url)
    ids, actors = _setup(postgres_url, tmp_path)
    assert len(ids) == TASKS
    halves = [ids[: TASKS // 2], ids[TASKS // 2:]]
    # processes 0 and 1 race for the first half, 2 and 3 for the second, in the same order
    work = [(actors["ann"], halves[0]), (actors["bob"], halves[0]), (actors["ann"], halves[1]),
            (actors["bob"], halves[1])]
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(PROCESSES)
    with context.Pool(PROCESSES) as pool:
        results = pool.starmap(_complete_all, [(postgres_url, str(tmp_path / f"p{i}"), actor, task_ids, barrier)
                                               for i, (actor, task_ids) in enumerate(work)])
    assert [e for r in results for e in r["errors"]] == []
    winners = [task_id for r in results for task_id in r["ok"]]
    assert len(winners) == TASKS and sorted(winners) == ids
    assert sum(r["conflict"] for r in results) == TASKS
    host = open_host(make_settings(tmp_path, postgres_url, log_level="WARNING"))
    with host.db.unit_of_work() as session:
        rows = session.execute(select(HumanTask.status, func.count()).group_by(HumanTask.status)).all()
        completions = session.scalar(select(func.count()).select_from(AuditEvent)
                                     .where(AuditEvent.action == "task.completed"))
    host.db.dispose()
    assert dict(rows) == {"completed": TASKS}
    assert completions == TASKS
