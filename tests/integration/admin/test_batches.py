"""Batches on SQLite and PostgreSQL: an administrator suspends, retries and terminates many purchase
instances chosen by a filter; the job worker runs them one instance at a time, an instance that cannot
be changed is reported with a plain reason while the others go on, and a cancel stops after the
instance in progress."""
from __future__ import annotations

from typing import Any

import pytest

from server import leases
from server.batches.models import Batch
from server.errors import Conflict, Forbidden, InvalidInput
from server.jobs.worker import Worker
from server.operations import batches
from server.operations import instances as operations
from tests.support.admin_scenario import Purchase

REASON = "supplier under investigation"


def as_admin(purchase: Purchase, verb: Any, **kwargs: Any) -> Any:
    with purchase.host.db.unit_of_work() as session:
        return verb(session, actor=purchase.admin, **kwargs)


def results(purchase: Purchase, batch_id: int) -> dict[int, tuple[str, str | None]]:
    detail = as_admin(purchase, batches.show_batch, batch_id=batch_id, limit=200)
    return {item["instance_id"]: (item["result"], item["reason"]) for item in detail.items}


def test_a_batch_suspends_the_matching_instances_reports_the_one_it_cannot_change_and_retries_by_message(
        purchase: Purchase) -> None:
    waiting = [purchase.start(business_key=f"INV-{n}") for n in range(3)]
    purchase.book_fails = True
    stuck = purchase.start(business_key="INV-stuck")
    purchase.complete(stuck, "approve", approved=True)  # the ledger is down: an incident at `book`
    finished = purchase.start(business_key="INV-done")
    purchase.complete(finished, "approve", approved=False)
    assert [purchase.instance(i).status for i in (stuck, finished)] == ["failed", "completed"]

    by_element = {"model": "purchase_admin", "element": "approve"}
    assert as_admin(purchase, batches.count_batch, kind="suspend", filter=by_element).count == 3
    assert as_admin(purchase, batches.count_batch, kind="suspend", filter={"model": "purchase_admin"}).count == 4
    started = as_admin(purchase, batches.start_batch, edge="api", kind="suspend", filter=by_element, reason=REASON)
    assert (started.status, started.total) == ("queued", 3)
    # Someone ends one of them by hand before the worker gets to the batch.
    with purchase.host.db.unit_of_work() as session:
        operations.terminate(session, purchase.host, actor=purchase.admin, instance_id=waiting[1], reason="dup")

    assert Worker(purchase.host).run_once() == 1  # the batch is one background job
    ended = as_admin(purchase, batches.show_batch, batch_id=started.id).batch
    assert (ended.status, ended.succeeded, ended.failed, ended.not_attempted) == ("completed", 2, 1, 0)
    assert [purchase.instance(i).status for i in waiting] == ["suspended", "terminated", "suspended"]
    assert [purchase.instance(i).status for i in (stuck, finished)] == ["failed", "completed"]
    assert results(purchase, started.id) == {
        waiting[0]: ("succeeded", None), waiting[2]: ("succeeded", None),
        waiting[1]: ("failed", f"instance {waiting[1]} is terminated; this needs running or failed")}
    for instance_id in (waiting[0], waiting[2]):
        (entry,) = purchase.audit(instance_id, "admin.")
        assert (entry.action, entry.actor, entry.note) == ("admin.suspended", "ada", REASON)
        assert (entry.before, entry.after) == ({"status": "running"}, {"status": "suspended", "batch_id": started.id})

    purchase.book_fails = False
    retry = as_admin(purchase, batches.start_batch, edge="cli", kind="retry", reason="ledger is back",
                     filter={"model": "purchase_admin", "incident_message": "LEDGER unreach"})
    assert retry.total == 1
    batches.run_batch(purchase.host, batch_id=retry.id)
    assert purchase.instance(stuck).status == "completed"
    assert purchase.audit(stuck, "admin.retried")[0].after["batch_id"] == retry.id
    listed, _ = as_admin(purchase, batches.list_batches, limit=10)
    assert [(b.id, b.kind, b.status) for b in listed] == [(retry.id, "retry", "completed"),
                                                          (started.id, "suspend", "completed")]


def test_a_cancel_stops_after_the_instance_in_progress(purchase: Purchase) -> None:
    ids = [purchase.start(business_key=f"INV-{n}") for n in range(3)]
    batch = as_admin(purchase, batches.start_batch, edge="page", kind="terminate", reason=REASON,
                     filter={"model": "purchase_admin"})

    def cancel_after_the_first(processed: int, total: int) -> None:
        if processed == 1:
            as_admin(purchase, batches.cancel_batch, batch_id=batch.id, edge="cli")

    batches.run_batch(purchase.host, batch_id=batch.id, progress=cancel_after_the_first)
    ended = as_admin(purchase, batches.show_batch, batch_id=batch.id).batch
    assert (ended.status, ended.succeeded, ended.failed, ended.not_attempted) == ("cancelled", 1, 0, 2)
    assert [purchase.instance(i).status for i in ids] == ["terminated", "running", "running"]
    assert set(results(purchase, batch.id).values()) == {("succeeded", None), ("not_attempted", None)}
    with pytest.raises(Conflict, match="is cancelled"):
        as_admin(purchase, batches.cancel_batch, batch_id=batch.id, edge="api")

    queued = as_admin(purchase, batches.start_batch, edge="api", kind="suspend", reason=REASON,
                      filter={"model": "purchase_admin"})
    assert as_admin(purchase, batches.cancel_batch, batch_id=queued.id, edge="api").status == "cancelled"
    Worker(purchase.host).run_once()  # its job finds it ended and does nothing
    assert [purchase.instance(i).status for i in ids[1:]] == ["running", "running"]
    assert as_admin(purchase, batches.show_batch, batch_id=queued.id).batch.not_attempted == 2


def test_only_administrators_start_batches_and_bad_filters_are_named(purchase: Purchase) -> None:
    purchase.start()
    with purchase.host.db.unit_of_work() as session, pytest.raises(Forbidden):
        batches.count_batch(session, actor=purchase.clerk, kind="suspend", filter={"model": "purchase_admin"})
    for kind, flt, named in [("suspend", {}, "at least one filter"),
                             ("suspend", {"version": 1}, "version: needs the model key"),
                             ("suspend", {"model": "purchase_admin", "started_before": "yesterday"}, "ISO 8601"),
                             ("suspend", {"modle": "purchase_admin"}, "modle: is not a filter field"),
                             ("explode", {"model": "purchase_admin"}, "unknown batch kind"),
                             ("resume", {"model": "purchase_admin"}, "no instance matches")]:
        with pytest.raises(InvalidInput, match=named):
            as_admin(purchase, batches.start_batch, edge="api", kind=kind, filter=flt, reason=REASON)


class RunnerDied(Exception):
    """What the test throws into a runner to stand for its process being killed."""


def test_a_batch_whose_runner_died_is_taken_over_once_its_heartbeat_is_stale(purchase: Purchase) -> None:
    ids = [purchase.start(business_key=f"INV-{n}") for n in range(3)]
    batch = as_admin(purchase, batches.start_batch, edge="api", kind="suspend", reason=REASON,
                     filter={"model": "purchase_admin"})

    def die_after_the_first(processed: int, total: int) -> None:
        raise RunnerDied()

    with pytest.raises(RunnerDied):
        batches.run_batch(purchase.host, batch_id=batch.id, progress=die_after_the_first)
    batches.run_batch(purchase.host, batch_id=batch.id)  # a second runner: the first still looks alive
    assert as_admin(purchase, batches.show_batch, batch_id=batch.id).batch.processed == 1

    with purchase.host.db.unit_of_work() as session:  # a minute passes without a heartbeat
        row = session.get_one(Batch, batch.id)
        assert row.heartbeat_at is not None
        row.heartbeat_at -= leases.STALE_AFTER
    batches.run_batch(purchase.host, batch_id=batch.id)
    ended = as_admin(purchase, batches.show_batch, batch_id=batch.id).batch
    assert (ended.status, ended.succeeded, ended.failed) == ("completed", 3, 0)
    assert [purchase.instance(i).status for i in ids] == ["suspended"] * 3
