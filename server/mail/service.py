"""Queue e-mail as `mail` jobs in the caller's transaction; the worker delivers after the commit."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from email.utils import parseaddr
from typing import Any

from sqlalchemy.orm import Session

from server import causes
from server.audit import service as audit
from server.auth.actor import Actor
from server.db import utcnow
from server.engine import ServiceCall, ServiceParam, describe
from server.errors import InvalidInput
from server.jobs import service as jobs
from server.jobs.models import Job
from server.mail import render as templates
from server.mail.context import NO_WORDS, ModelWords, open_task_context
from server.mail.recipients import Recipient, resolve, specs_of, valid_address
from server.wording import Texts

MAIL_ATTEMPTS = 10
RESERVED_PARAMS = ("template", "to", "language")


def queue_mail(session: Session, *, template: str, to: Sequence[str], language: str,
               context: Mapping[str, Any], environment_id: int, instance_id: int | None = None,
               actor: Actor | None = None, due_at: dt.datetime | None = None, element_id: str | None = None,
               timezone: str = "UTC") -> Job:
    """Render now (moments in `timezone`, STROOM_TIMEZONE) and write one `mail` job plus a `mail.queued`
    audit entry in this transaction.

    `element_id`: the step that sent it, so an undeliverable mail's incident points at it on the diagram."""
    addresses = [value.strip() for value in to if value and value.strip()]
    if not addresses:
        raise InvalidInput("a message needs at least one recipient", code="no_recipients")
    for value in addresses:
        if not valid_address(parseaddr(value)[1]) or "\n" in value or "\r" in value:
            raise InvalidInput(f"{value!r} is not a valid e-mail address", code="invalid_address")
    rendered = templates.render(template, language=language, context=context, timezone=timezone)
    job = jobs.enqueue(session, "mail", {
        "template": template, "language": rendered.language, "to": addresses, "subject": rendered.subject,
        "text": rendered.text, "html": rendered.html, "queued_at": utcnow().isoformat(),
        **({"element_id": element_id} if element_id else {}),
    }, due_at=due_at, environment_id=environment_id, instance_id=instance_id, max_attempts=MAIL_ATTEMPTS)
    audit.record(session, actor=actor or Actor.system(environment_id), action="mail.queued",
                 target_type="job", target_id=job.id, instance_id=instance_id, environment_id=environment_id,
                 after={"template": template, "language": rendered.language, "to": addresses,
                        "subject": rendered.subject})
    return job


def notify(session: Session, *, template: str, recipients: Sequence[Recipient], context: Mapping[str, Any],
           environment_id: int, instance_id: int | None = None, actor: Actor | None = None,
           words: ModelWords = NO_WORDS, element_id: str | None = None, timezone: str = "UTC") -> list[Job]:
    """One message per recipient, each in the recipient's own language and addressed by name; `words`
    gives the model's catalogue per language, which translates the task's and process's names and the reasons."""
    return [queue_mail(session, template=template, to=[r.formatted()], language=r.language,
                       context={**_localised(context, words.texts(r.language)),
                                "recipient": {"name": r.name, "address": r.address}},
                       environment_id=environment_id, instance_id=instance_id, actor=actor, element_id=element_id,
                       timezone=timezone)
            for r in recipients]


def _localised(context: Mapping[str, Any], texts: Texts) -> dict[str, Any]:
    """The context with the model's texts a mail quotes (task and process names, reason, reasons) in the
    catalogue's language."""
    result = dict(context)
    if not texts:
        return result
    if isinstance(result.get("task"), Mapping):
        result["task"] = {**result["task"], "name": texts(result["task"].get("name"))}
    for key in ("process", "reason", "reasons"):
        if key in result:
            result[key] = texts.value(result[key])
    return result


@describe("Send mail", description="Mail one of Stroom's templates, in each recipient's language.", params=(
    ServiceParam("template", "Template", kind="choice", required=True, choices=templates.TEMPLATES),
    ServiceParam("to", "To", kind="recipients", required=True,
                 description='FEEL giving specs such as "role:admin", "group:creditors", "user:maria" or "invoice"'
                             " (the supplier contact), comma-separated"),
    ServiceParam("language", "Language", kind="choice", choices=templates.LANGUAGES,
                 description="Only when every recipient should get this language"),
    ServiceParam("reason", "Reason", description="FEEL; shown in the mail (escalation, disapproval)"),
))
def _send_mail(call: ServiceCall) -> dict[str, Any]:
    """BPMN service task `send_mail`: params template, to (spec expression), language, anything else as context."""
    ctx = call.context
    params = dict(call.params)
    template = str(params.get("template") or "")
    specs = specs_of(params.get("to"))
    if not template or not specs:
        raise InvalidInput("send_mail needs the parameters 'template' and 'to'", code="send_mail_params")
    try:
        recipients = resolve(ctx.session, ctx.environment_id, specs, data=call.data,
                             language=params.get("language"), strict=True,
                             default_language=ctx.host.settings.mail_language)
    except InvalidInput as exc:
        raise _recipient_failed(exc, call.data) from exc
    if not recipients:
        raise causes.CausedError(f"send_mail found no e-mail address for {specs}", cause=causes.UNKNOWN_RECIPIENT,
                                 detail=", ".join(specs))
    extra = {key: value for key, value in params.items() if key not in RESERVED_PARAMS}
    # The instance's context (server.instances.service.ServiceContext) knows its model's words.
    words = ctx.words() if callable(getattr(ctx, "words", None)) else NO_WORDS
    context = mail_context(ctx.session, ctx.host.settings.base_url, instance_id=ctx.instance_id,
                           data=call.data, params=extra, process_name=words.process_name)
    notify(ctx.session, template=template, recipients=recipients, context=context,
           environment_id=ctx.environment_id, instance_id=ctx.instance_id, actor=ctx.actor, words=words,
           element_id=call.element_id, timezone=ctx.host.settings.timezone)
    return {}


def _recipient_failed(error: InvalidInput, data: Mapping[str, Any]) -> causes.CausedError:
    """Why a recipient spec named nobody: the invoice's supplier is missing, or the spec is unknown."""
    spec = next((str(d.get("spec")) for d in error.details if isinstance(d, Mapping) and d.get("spec")), "")
    found = data.get("invoice")
    invoice: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    if spec in ("invoice", "invoice:contact") and not (invoice.get("supplier_name") or invoice.get("supplier")):
        return causes.CausedError(error.message, cause=causes.NO_SUPPLIER)
    return causes.CausedError(error.message, cause=causes.UNKNOWN_RECIPIENT, detail=spec)


def mail_context(session: Session, base_url: str, *, instance_id: int | None, data: Mapping[str, Any],
                 params: Mapping[str, Any], process_name: str | None = None) -> dict[str, Any]:
    """A service-task mail's context: process data, the model's params, the open task with its link
    (a `task` param only adds to it, never drops the link) and the instance's link."""
    opened = open_task_context(session, instance_id, base_url, process_name=process_name)
    context = {**opened, **dict(data), **params, "instance_id": instance_id, "base_url": base_url}
    if isinstance(params.get("task"), Mapping) and isinstance(opened.get("task"), Mapping):
        context["task"] = {**opened["task"], **params["task"]}
    if instance_id is not None:
        context["instance_url"] = f"{base_url.rstrip('/')}/instances/{instance_id}"
    return context


def services() -> dict[str, Callable[[ServiceCall], Any]]:
    """The mail service tasks, for the instance service registry."""
    return {"send_mail": _send_mail}
