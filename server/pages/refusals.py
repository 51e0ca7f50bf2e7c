"""A refused action in the reader's language: the domain error's code and details put into words.

The API keeps the code, the English message and the details as they are. An English page shows that
same message (a refusal reads the same through API, CLI and page); a page in another language says the
refusal from the code and details, so no English message reaches a Dutch page. A code this module does
not know shows the error's own message."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _

from server import errors
from server.pages import words
from server.pages.words import N_

# A form field's problem (server.tasks.forms.PROBLEMS), said after the field's label.
PROBLEM_WORDS = {
    "required": N_("is required"), "unchecked": N_("must be checked"), "not_boolean": N_("must be yes or no"),
    "not_number": N_("must be a number"), "not_finite": N_("must be a finite number"),
    "too_small": N_("must be at least %(limit)s"), "too_large": N_("must be at most %(limit)s"),
    "too_many_decimals": N_("may have at most %(limit)s decimals"), "not_text": N_("must be text"),
    "too_short": N_("must be at least %(limit)s characters"), "too_long": N_("may be at most %(limit)s characters"),
    "pattern": N_("is not in the expected form"), "not_email": N_("must be an e-mail address"),
    "not_phone": N_("must be a phone number"), "not_date": N_("must be a date"),
    "not_allowed": N_("must be one of the options"), "not_list": N_("must be a list"),
    "not_object": N_("is not a form"), "bad_name": N_("is not a valid field name"),
}


def _detail(exc: errors.DomainError, name: str) -> Any:
    """A value the error's first detail carries ('' when none)."""
    found = [d.get(name) for d in exc.details if isinstance(d, Mapping) and d.get(name) is not None]
    return found[0] if found else ""


def _task_not_open(exc: errors.DomainError) -> str:
    status, who = _detail(exc, "status"), _detail(exc, "completed_by")
    if who:
        return _("This task is already %(status)s by %(who)s.", status=_(str(status)), who=who)
    return _("This task is already %(status)s.", status=_(str(status))) if status \
        else _("This task is no longer open.")


SENTENCES: dict[str, Callable[[errors.DomainError], str]] = {
    "task_not_open": _task_not_open,
    "task_claimed": lambda e: _("%(who)s has claimed this task.", who=_detail(e, "assignee")),
    "task_delegated": lambda e: _("This task is delegated to %(who)s.", who=_detail(e, "delegated_to")),
    "not_a_candidate": lambda e: _("This task is not offered to you."),
    "not_assignee": lambda e: _("Only the person who claimed the task or an administrator can give it back."),
    "four_eyes": lambda e: _("Four eyes: %(who)s already acted in this case and may not act on this task.",
                             who=_detail(e, "who")),
    "instance_suspended": lambda e: _("The process is on hold: nobody can act on its tasks until it is resumed."),
    "action_not_offered": lambda e: _("This task does not offer that choice."),
    "task_not_found": lambda e: _("This task does not exist or is not yours to see."),
    "no_partnership": lambda e: _("Tasks can only be delegated to environments you have a partnership with."),
    "invalid_delegate": lambda e: _("Name a colleague other than yourself to delegate to."),
    "unknown_user": lambda e: _("There is no active user %(who)s here.", who=_detail(e, "login")),
    "not_eligible": lambda e: _("%(who)s may not act on tasks.", who=_detail(e, "login")),
    "no_assignment": lambda e: _("Name an assignee or candidate users, groups or roles."),
}


def problem_words(detail: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """One field's problem: its label (the translated one the form shows) and what is wrong."""
    field = str(detail.get("field") or "")
    label = labels.get(field) or labels.get(field.rpartition(".")[2]) or (_(words.name_words(field)) if field else "")
    label = label or _("The form")
    code = str(detail.get("problem") or "")
    text = PROBLEM_WORDS.get(code)
    said = _(text, limit=detail.get("limit", "")) if text else str(detail.get("message") or "")
    return f"{label}: {said}"


def refusal_text(exc: errors.DomainError, *, labels: Mapping[str, str] | None = None) -> str:
    """The refusal in the reader's language; `labels` name the form's fields (key -> shown label)."""
    if isinstance(exc, errors.Forbidden) and exc.code == "forbidden":
        named = [d.get("permission") for d in exc.details if isinstance(d, dict)]
        return words.refusal_words(named[0] if named else None)
    if words.language() == "en":
        return exc.message
    if exc.code == "invalid_form_data":
        problems = [problem_words(d, labels or {}) for d in exc.details if isinstance(d, Mapping)]
        return _("Please check: %(problems)s", problems="; ".join(problems)) if problems \
            else _("The form is not filled in correctly.")
    sentence = SENTENCES.get(exc.code)
    return sentence(exc) if sentence is not None else exc.message
