"""The `mail` job: build the MIME message from the rendered payload and hand it to SMTP or the outbox."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from server.audit import service as audit
from server.jobs.types import JobContext
from server.mail import outbox, smtp
from server.settings import Settings


def message_id(job_id: int, environment_id: int | None, sender: str) -> str:
    """The same Message-ID for every delivery attempt of a job, so a repeated delivery is recognisable."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "stroom"
    return f"<stroom.job-{job_id}.env-{environment_id or 0}@{domain}>"


def build_message(payload: Mapping[str, Any], *, job_id: int, environment_id: int | None,
                  sender: str) -> EmailMessage:
    """The MIME message (text with an HTML alternative) for a queued mail job."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(payload["to"])
    message["Subject"] = payload["subject"]
    queued = dt.datetime.fromisoformat(payload["queued_at"])
    message["Date"] = format_datetime(queued)
    message["Message-ID"] = message_id(job_id, environment_id, sender)
    message["X-Stroom-Template"] = payload["template"]
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    message["Content-Language"] = payload["language"]  # after the bodies: set_content drops Content-* headers
    return message


def transport_name(settings: Settings) -> str:
    return "smtp" if settings.smtp_url else "outbox"


def send(settings: Settings, message: EmailMessage, *, recipients: list[str], job_id: int) -> str:
    """Deliver over SMTP when configured, else into the outbox folder; returns where it went."""
    if settings.smtp_url:
        config = smtp.parse_smtp_url(settings.smtp_url)
        smtp.send(config, message, sender=parseaddr(settings.smtp_from)[1], recipients=recipients)
        return f"smtp://{config.host}:{config.port}"
    path = outbox.write(settings.outbox, f"job-{job_id:08d}.eml", bytes(message))
    return str(path)


def deliver_job(ctx: JobContext) -> None:
    """The `mail` job handler: deliver, then record `mail.sent` in the job's unit of work."""
    settings = ctx.host.settings
    message = build_message(ctx.job.payload, job_id=ctx.job.id, environment_id=ctx.job.environment_id,
                            sender=settings.smtp_from)
    recipients = [parseaddr(value)[1] for value in ctx.job.payload["to"]]
    where = send(settings, message, recipients=recipients, job_id=ctx.job.id)
    if ctx.job.environment_id is not None:
        audit.record(ctx.session, actor=ctx.actor, action="mail.sent", target_type="job", target_id=ctx.job.id,
                     instance_id=ctx.job.instance_id,
                     after={"template": ctx.job.payload.get("template"), "to": list(ctx.job.payload["to"]),
                            "message_id": message["Message-ID"], "via": transport_name(settings),
                            "attempt": ctx.job.attempts, "where": where})
