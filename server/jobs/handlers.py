"""The shipped job kinds (timer, service_retry, reminder, mail, masterdata_import, batch) and the chores
every worker runs by itself (recovering documents left unprocessed). Built per worker, never mutated
globally."""
from __future__ import annotations

import datetime as dt

from server.audit import service as audit
from server.engine import TaskNotReady
from server.instances import service as instances
from server.instances import wording
from server.instances.models import Incident, ProcessInstance
from server.invoices import recovery, refusals
from server.invoices.models import ReceivedDocument
from server.jobs.types import Chore, Handler, JobContext, Reschedule
from server.mail import delivery, notifications
from server.masterdata import bulk as masterdata_bulk
from server.operations import batches

# A suspended instance's timers are looked at again this often; resuming makes them fire then.
SUSPENDED_RECHECK = dt.timedelta(seconds=60)
ENDED = ("completed", "terminated")


def default_handlers() -> dict[str, Handler]:
    """A fresh kind -> handler mapping; workers (and tests) may extend their own copy."""
    return {"timer": run_timer, "service_retry": retry_service_step, "mail": delivery.deliver_job,
            "reminder": send_reminder, "failed_for_good": start_conversion_task,
            "masterdata_import": run_masterdata_import, batches.JOB_KIND: run_batch}


def default_chores() -> tuple[Chore, ...]:
    """What every worker does every so often: process the documents left `received` past the grace period
    (each claimed by one runner: server.invoices.unprocessed)."""
    return (Chore("recover_received", recovery.RUN_EVERY, lambda host, now: recovery.recover_due(host, now=now)),)


def send_reminder(ctx: JobContext) -> None:
    """The `reminder` job, with the task's model words (process name, catalogues) for its mail."""
    notifications.send_reminder(ctx, words=wording.mail_words(ctx.session, ctx.host, ctx.job.instance_id))


def _live_instance(ctx: JobContext, instance_id: int | None) -> ProcessInstance | Reschedule | None:
    """The instance to act on, a Reschedule while it is suspended, or None once it has ended."""
    instance = ctx.session.get(ProcessInstance, instance_id) if instance_id is not None else None
    if instance is None or instance.status in ENDED:
        return None
    if instance.status == "suspended":
        return Reschedule(ctx.now + SUSPENDED_RECHECK, "instance is suspended")
    return instance


def run_timer(ctx: JobContext) -> Reschedule | None:
    """Fire a BPMN timer and advance its instance; a timer that no longer waits is simply done."""
    instance = _live_instance(ctx, ctx.job.instance_id)
    if not isinstance(instance, ProcessInstance):
        return instance
    task_id = str(ctx.job.payload["task_id"])
    run = instances.load_run(ctx.session, ctx.host, instance, actor=ctx.actor)
    if not run.fire_timer(task_id):
        return None
    audit.record(ctx.session, actor=ctx.actor, action="timer.fired", target_type="element",
                 target_id=ctx.job.payload.get("element_id", ""), instance_id=instance.id,
                 after={"job": ctx.job.id, "due_at": ctx.job.due_at.isoformat()})
    instances.advance_and_save(ctx.session, ctx.host, instance=instance, run=run, actor=ctx.actor)
    again = next((t for t in run.pending_timers() if t.task_id == task_id), None)
    return Reschedule(again.due_at, "timer cycle") if again is not None else None


def retry_service_step(ctx: JobContext) -> Reschedule | None:
    """Run a failed service step again; the incident is resolved (a new one opens if it fails again)."""
    incident = ctx.session.get(Incident, int(ctx.job.payload["incident_id"]))
    if incident is None or incident.status != "open":
        return None
    instance = _live_instance(ctx, incident.instance_id)
    if not isinstance(instance, ProcessInstance):
        return instance
    run = instances.load_run(ctx.session, ctx.host, instance, actor=ctx.actor)
    try:
        run.retry(incident.task_id)
    except TaskNotReady:
        pass  # the step was moved or retried by someone else; only the incident is left to close
    else:
        if instance.status == "failed":
            instance.status = "running"
        instances.advance_and_save(ctx.session, ctx.host, instance=instance, run=run, actor=ctx.actor)
        if run.has_failed_step:
            return None  # failed again: persistence counted the incident down and planned what comes next
    incident.status, incident.resolved_at = "resolved", ctx.now
    audit.record(ctx.session, actor=ctx.actor, action="incident.retried", target_type="incident",
                 target_id=incident.id, instance_id=instance.id,
                 after={"element": incident.element_id, "instance_status": instance.status})
    return None


def start_conversion_task(ctx: JobContext) -> None:
    """A service step that failed for good: the conversion task tells the document's sender (when the
    environment knows the address; else creditors follow up) that it failed, never the error's text."""
    incident = ctx.session.get(Incident, int(ctx.job.payload["incident_id"]))
    if incident is None or incident.status != "open":
        return
    instance = ctx.session.get(ProcessInstance, incident.instance_id)
    if instance is None or instance.model_key == "conversion_task":
        return  # never loop: the conversion task's own failures stay incidents for admins
    if not instances.claim_follow_up(ctx.session, incident.id):
        return  # a racing retry failed for good too: its follow-up is the one
    data = instances.load_run(ctx.session, ctx.host, instance, actor=ctx.actor).data
    document = ctx.session.get(ReceivedDocument, data.get("document_id") or 0)
    started = refusals.follow_up_failed_step(ctx.session, ctx.host, actor=ctx.actor, incident_id=incident.id,
                                             instance_id=instance.id, document=document)
    if started is None:
        return
    audit.record(ctx.session, actor=ctx.actor, action="incident.exhausted", target_type="incident",
                 target_id=incident.id, instance_id=instance.id, after={"conversion_instance_id": started.id})
    return


def run_masterdata_import(ctx: JobContext) -> None:
    """Run a queued master-data import in its own short transactions; the job's unit of work stays
    untouched until the import ended (on SQLite, touching it would hold the writer lock throughout)."""
    masterdata_bulk.run(ctx.host.db, int(ctx.job.payload["import_id"]))


def run_batch(ctx: JobContext) -> None:
    """Run a batch, one instance per transaction (as an import runs: the job's own unit of work stays
    untouched); a cancelled batch stops after the instance in progress."""
    batches.run_batch(ctx.host, batch_id=int(ctx.job.payload["batch_id"]))

