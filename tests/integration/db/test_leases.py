"""The lease of a background run, on SQLite and PostgreSQL, for both kinds of run (a batch of instances
and a master-data import): the first claimer takes a queued run, nobody else while its heartbeat is
fresh, the next claimer once it has gone quiet for STALE_AFTER; of runners claiming at once exactly
one wins, also when they all find the same stale run."""
from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest

from server import leases
from server.auth import service as auth
from server.batches.models import Batch
from server.db import Database, utcnow
from server.masterdata.models import MasterDataImport

KINDS = (Batch, MasterDataImport)
RUNNERS = 4


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    db = Database(database_url, pool_size=RUNNERS + 1)
    yield db
    db.dispose()


def queued(db: Database, model: type[leases.LeasedRun]) -> int:
    """A new queued run of `model`'s kind, as its start verb leaves it."""
    owner = {"kind": "suppliers", "edge": "cli", "actor_type": "system", "actor": "tests", "status": "queued"}
    with db.unit_of_work() as session:
        env = auth.ensure_environment(session, "main")
        run = (Batch(environment_id=env.id, reason="tests", filter={}, options={}, **owner) if model is Batch
               else MasterDataImport(environment_id=env.id, data=b"code;name\n", **owner))
        session.add(run)
        session.flush()
        return run.id


def claim(db: Database, model: type[leases.LeasedRun], run_id: int, now: dt.datetime) -> bool:
    with db.unit_of_work() as session:
        return leases.claim(session, model, run_id, now=now) is not None


def lease(db: Database, model: type[leases.LeasedRun], run_id: int) -> tuple[str, dt.datetime | None, dt.datetime | None]:
    with db.reading() as session:
        run = session.get(model, run_id)
        assert run is not None
        return run.status, run.started_at, run.heartbeat_at


@pytest.mark.parametrize("model", KINDS, ids=lambda m: m.__tablename__)
def test_a_quiet_runner_loses_its_run_to_the_next_claimer_and_a_beating_one_keeps_it(
        db: Database, model: type[leases.LeasedRun]) -> None:
    run_id, start = queued(db, model), utcnow()
    assert claim(db, model, run_id, start)
    assert lease(db, model, run_id) == ("running", start, start)
    almost = start + leases.STALE_AFTER - dt.timedelta(seconds=1)
    assert not claim(db, model, run_id, almost)  # its runner is still alive

    with db.unit_of_work() as session:  # the runner commits a step, and with it a heartbeat
        assert leases.heartbeat(session, model, run_id, now=almost, values={model.total: 10})
    later = almost + leases.STALE_AFTER - dt.timedelta(seconds=1)
    assert not claim(db, model, run_id, later)

    quiet = almost + leases.STALE_AFTER + dt.timedelta(seconds=1)
    assert claim(db, model, run_id, quiet)  # taken over: the lease is the new runner's, the start stays
    assert lease(db, model, run_id) == ("running", start, quiet)

    with db.unit_of_work() as session:
        assert not leases.heartbeat(session, model, run_id, now=quiet, values={model.total: 11},
                                    only_if=(model.status == "queued",))  # changes nothing
        run = session.get(model, run_id)
        assert run is not None and run.total == 10
        run.status, run.finished_at = model.ENDED_STATUSES[0], quiet
    assert not claim(db, model, run_id, quiet + 10 * leases.STALE_AFTER)  # an ended run stays ended


def test_a_cancelling_batch_taken_over_stays_cancelling(db: Database) -> None:
    run_id, start = queued(db, Batch), utcnow()
    assert claim(db, Batch, run_id, start)
    with db.unit_of_work() as session:
        session.get_one(Batch, run_id).status = "cancelling"
    assert claim(db, Batch, run_id, start + leases.STALE_AFTER)
    assert lease(db, Batch, run_id) == ("cancelling", start, start + leases.STALE_AFTER)


@pytest.mark.parametrize("model", KINDS, ids=lambda m: m.__tablename__)
def test_a_second_claimer_waits_for_the_first_and_then_finds_the_run_taken(
        db: Database, model: type[leases.LeasedRun]) -> None:
    run_id, now = queued(db, model), utcnow()
    taken, commit = threading.Event(), threading.Event()
    second: list[bool] = []

    def first_runner() -> None:
        with db.unit_of_work() as session:
            assert leases.claim(session, model, run_id, now=now) is not None
            taken.set()
            commit.wait(10)  # holds its claim uncommitted while the second runner claims

    first = threading.Thread(target=first_runner)
    first.start()
    assert taken.wait(10)
    other = threading.Thread(target=lambda: second.append(claim(db, model, run_id, now)))
    other.start()
    time.sleep(0.5)
    assert other.is_alive() and second == []  # it waits on the lock, it did not read the run as queued
    commit.set()
    first.join(10)
    other.join(10)
    assert second == [False]


@pytest.mark.parametrize("model", KINDS, ids=lambda m: m.__tablename__)
@pytest.mark.parametrize("stale", [False, True], ids=["queued", "stale"])
def test_of_runners_claiming_at_once_exactly_one_wins(db: Database, model: type[leases.LeasedRun],
                                                      stale: bool) -> None:
    run_id, now = queued(db, model), utcnow()
    if stale:  # its runner died a minute and more ago
        assert claim(db, model, run_id, now - leases.STALE_AFTER - dt.timedelta(seconds=1))
    together = threading.Barrier(RUNNERS)
    won: list[bool] = []

    def runner() -> None:
        together.wait(10)
        won.append(claim(db, model, run_id, now))

    threads = [threading.Thread(target=runner) for _ in range(RUNNERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(won) == [False] * (RUNNERS - 1) + [True]
    assert lease(db, model, run_id)[1:] == ((now - leases.STALE_AFTER - dt.timedelta(seconds=1)) if stale else now, now)
