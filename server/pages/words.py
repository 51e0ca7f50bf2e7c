"""Texts chosen at run time (statuses, menu labels, operations, audit actions, permissions), marked so
`make translations` finds them, and the filters that put codes and values into words on the pages."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import (
    format_currency,
    format_date,
    format_decimal,
    format_time,
    get_locale,
    get_timezone,
    ngettext,
    to_user_timezone,
)
from flask_babel import gettext as _

from server import web
from server.auth.permissions import OPERATOR
from server.auth.permissions import PERMISSIONS as ROLE_TABLE
from server.wording import calendar_day


def N_(text: str) -> str:
    """Mark a text for extraction; it is translated where it is shown (`_(value)` in a template)."""
    return text


STATUSES = (N_("open"), N_("claimed"), N_("delegated"), N_("completed"), N_("cancelled"), N_("not_needed"),
            N_("running"), N_("suspended"), N_("failed"), N_("terminated"), N_("received"), N_("accepted"),
            N_("rejected"), N_("queued"), N_("cancelling"), N_("pending"), N_("succeeded"), N_("not_attempted"))
OPERATIONS = (N_("suspend"), N_("resume"), N_("terminate"), N_("retry"), N_("migrate"), N_("move"), N_("restart"),
              N_("restart_instance"), N_("reassign"))
DEFAULT_FORM = (N_("Decision"), N_("Approve"), N_("Disapprove"), N_("Comment"))

# Audit actions as a business user reads them (the code stays in the audit log and the API).
ACTIONS = {
    "engine.element_completed": N_("Step completed"), "engine.element_failed": N_("Step failed"),
    "engine.decision": N_("Decision taken"), "engine.service_called": N_("Service called"),
    "decision.evaluated": N_("Decision taken"),
    "instance.started": N_("Process started"), "instance.status_changed": N_("Process status changed"),
    "task.created": N_("Task created"), "task.claimed": N_("Task claimed"), "task.unclaimed": N_("Task released"),
    "task.completed": N_("Task completed"), "task.closed": N_("Task closed"), "task.commented": N_("Comment added"),
    "task.delegated": N_("Task delegated"), "task.resolved": N_("Delegated task handed back"),
    "admin.moved": N_("Moved to another step"), "admin.reassigned": N_("Task reassigned"),
    "admin.restarted": N_("Process restarted"), "admin.resumed": N_("Process resumed"),
    "admin.retried": N_("Failed step retried"), "admin.step_restarted": N_("Step restarted"),
    "admin.terminated": N_("Process stopped"), "admin.suspended": N_("Process suspended"),
    "admin.variables_set": N_("Process data repaired"), "admin.job_fired": N_("Timer fired by hand"),
    "admin.job_rescheduled": N_("Timer due time changed"), "admin.migrated": N_("Moved to another model version"),
    "document.received": N_("Document received"), "document.started": N_("Processing started"),
    "document.accepted": N_("Document accepted"), "document.rejected": N_("Document refused"),
    "invoice.approved": N_("Invoice approved"), "invoice.disapproved": N_("Invoice disapproved"),
    "incident.opened": N_("Problem reported"), "incident.retried": N_("Problem retried"),
    "incident.failed_again": N_("Problem occurred again"), "incident.exhausted": N_("Problem needs attention"),
    "incident.resolved": N_("Problem solved"),
    "mail.queued": N_("E-mail queued"), "mail.sent": N_("E-mail sent"), "mail.failed": N_("E-mail failed"),
    "timer.fired": N_("Deadline reached"), "job.failed": N_("Background job failed"),
    "sales_invoice.sent": N_("Sales invoice sent"), "model.deployed": N_("Process model published"),
    "batch.started": N_("Batch started"), "batch.cancelled": N_("Batch cancelled"), "batch.ended": N_("Batch ended"),
    "environment.created": N_("Environment created"), "environment.settings_changed": N_("Settings changed"),
    "user.created": N_("User created"), "user.updated": N_("User changed"), "role.created": N_("Role created"),
    "group.created": N_("Group created"), "group.member_added": N_("Added to a group"),
    "group.member_removed": N_("Removed from a group"), "login.succeeded": N_("Logged in"),
    "login.failed": N_("Login failed"), "token.created": N_("API token created"),
    "token.revoked": N_("API token revoked"), "partnership.requested": N_("Partnership requested"),
    "partnership.created": N_("Partnership created"), "partnership.accepted": N_("Partnership accepted"),
    "partnership.ended": N_("Partnership ended"), "masterdata.imported": N_("Master data imported"),
    "masterdata.changed": N_("Master data changed"), "trusted_sender.added": N_("Trusted sender added"),
    "task_filter.saved": N_("Task filter saved"), "task_filter.renamed": N_("Task filter renamed"),
    "task_filter.deleted": N_("Task filter deleted"),
}
# Who acted, and through which edge, as the audit page names them.
ACTOR_KINDS = (N_("user"), N_("token"), N_("system"), N_("anonymous"))
EDGES = (N_("api"), N_("web"), N_("page"), N_("cli"))
# Permissions as the refusal names them ("You may not ...").
PERMISSIONS = {
    "tasks.read": N_("see tasks"), "tasks.act": N_("act on tasks"), "invoices.submit": N_("submit invoices"),
    "invoices.read": N_("see invoices"), "instances.read": N_("see processes"),
    "instances.start": N_("start processes"), "instances.admin": N_("intervene in processes"),
    "models.read": N_("see process models"), "models.deploy": N_("publish process models"),
    "decisions.evaluate": N_("test decision tables"), "audit.read": N_("read the audit log"),
    "users.read": N_("see users"), "users.manage": N_("manage users"), "tokens.own": N_("manage your API tokens"),
    "filters.own": N_("save task list filters"),
    "partnerships.read": N_("see partnerships"), "partnerships.manage": N_("manage partnerships"),
    "masterdata.read": N_("see master data"), "masterdata.manage": N_("manage master data"),
    "jobs.read": N_("see background jobs"), "settings.read": N_("see settings"),
    "settings.manage": N_("change settings"), "environments.read": N_("see environments"),
    "environments.manage": N_("manage environments"),
}
# Output columns of the shipped decision tables.
OUTPUTS = {"auto_approve": N_("Auto approve"), "route_type": N_("Route type"), "route_to": N_("Route to"),
           "reason": N_("Reason"), "reasons": N_("Reasons")}


def action_words(code: str) -> str:
    """An audit action in the reader's language; an unknown one as its words ("x.some_thing": "X some thing")."""
    known = ACTIONS.get(code)
    if known:
        return _(known)
    text = code.replace(".", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


# Roles as a refusal names them ("You need the administrator role to ...").
ROLES = {"admin": N_("administrator"), "designer": N_("designer"), "user": N_("user"), "auditor": N_("auditor"),
         "system": N_("system")}


def refusal_words(permission: str | None) -> str:
    """A permission refusal as a sentence naming the role that would allow it (never the permission's code)."""
    what = PERMISSIONS.get(permission or "")
    if what is None:
        return _("You are not allowed to do this.")
    holders = sorted(ROLE_TABLE.get(permission or "", ()))
    if holders == [OPERATOR]:
        return _("Only an operator may %(what)s.", what=_(what))
    if len(holders) == 1 and holders[0] in ROLES:
        return _("You need the %(role)s role to %(what)s.", role=_(ROLES[holders[0]]), what=_(what))
    return _("You are not allowed to %(what)s. Ask an administrator if you need to.", what=_(what))


def cause_words(code: str, detail: str | None = "") -> str:
    """An incident's cause as a sentence in the reader's language (`detail` None: the cause's own sentence)."""
    return web.cause_words(code, detail)


def name_words(name: str) -> str:
    """An output or data name in words: a known one translated, else its underscores as spaces."""
    known = OUTPUTS.get(name)
    if known:
        return _(known)
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def value_words(value: Any) -> str:
    """A value as a sentence shows it: lists joined, yes/no, 'not given' instead of None (never `['x']`)."""
    if value is None or value == "" or value == []:
        return _("not given")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (list, tuple)):
        return ", ".join(value_words(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{name_words(str(k))}: {value_words(v)}" for k, v in value.items())
    return str(value)


def due_words(days_until_due: int) -> str:
    """'due in N days', 'due today' or 'overdue by N days' (never a negative count of days)."""
    if days_until_due < 0:
        return ngettext("overdue by %(num)s day", "overdue by %(num)s days", -days_until_due)
    if days_until_due == 0:
        return _("due today")
    return ngettext("due in %(num)s day", "due in %(num)s days", days_until_due)



def language() -> str:
    """The page's language code (`nl`, `en`): what model catalogues and mail are looked up in."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def money_words(value: Any, currency: str | None = "EUR") -> str:
    """An amount in the reader's locale ("€ 1.234,50", "EUR 1,234.50"); without a currency a plain number."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if currency:
        return spaced(format_currency(amount, currency), currency)
    return format_decimal(amount, format="#,##0.00")


def number_words(value: Any) -> str:
    """A number in the reader's locale (decimal comma in Dutch); anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return "" if value is None else str(value)
    return format_decimal(value)


def date_words(value: Any) -> str:
    """A date (or an ISO date text) in the reader's locale: "5 jan. 2025", "Jan 5, 2025"; a moment's day
    is its day in the deployment's zone (STROOM_TIMEZONE)."""
    value = calendar_day(to_user_timezone(value) if isinstance(value, dt.datetime) else value)
    if isinstance(value, str):
        return value
    return format_date(value, "medium") if isinstance(value, dt.date) else ""


def local_moment(value: dt.datetime) -> dt.datetime:
    """A stored (UTC) moment as the deployment's zone reads it (STROOM_TIMEZONE), for exact times in forms."""
    return to_user_timezone(value)


def moment_in_zone(text: Any) -> Any:
    """A moment typed into a page's form (`datetime-local`: no zone) as ISO 8601 in the deployment's zone;
    anything else (a zone given, not a moment at all) as typed, for the verb to judge."""
    try:
        typed = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return text
    if typed.tzinfo is not None:
        return text
    # By the zone's name: Babel's own zone object (pytz) attached this way would read Amsterdam as its 1880s
    # local mean time, 18 minutes off.
    return typed.replace(tzinfo=ZoneInfo(str(get_timezone()))).isoformat()


def datetime_words(value: Any) -> str:
    """A moment in the reader's locale, date and time to the minute."""
    if not isinstance(value, dt.datetime):
        return ""
    return f"{format_date(value, 'medium')} {format_time(value, 'short')}"


def spaced(text: str, currency: str) -> str:
    """CLDR's spacing Babel leaves out: a currency code written before the digits ("NOK302.50") gets its space."""
    if text.startswith(currency) and text[len(currency):len(currency) + 1].isdigit():
        return f"{currency} {text[len(currency):]}"
    return text
