"""Why a step failed, in words a person can act on: a stable cause code and the detail its sentence names.

Code that knows why it fails raises a `CausedError` (or an error carrying one, found along the exception's
chain); `classify` reads a stored message only for incidents older than the cause column and for
errors nobody typed yet. The edges put `SENTENCES[code]` into the reader's language (server.web).
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

NO_INVOICE = "no_invoice"
NO_SUPPLIER = "no_supplier"
UNKNOWN_RECIPIENT = "unknown_recipient"
MAIL_REFUSED = "mail_refused"
MAIL_UNREACHABLE = "mail_unreachable"
NO_MATCHING_RULE = "no_matching_rule"
NO_PATH = "no_path"
DECISION_FAILED = "decision_failed"
EXPRESSION_FAILED = "expression_failed"
SERVICE_FAILED = "service_failed"
UNEXPECTED = "unexpected"


def N_(text: str) -> str:
    """Mark a text for extraction (`make translations`); the edge translates it where it is shown."""
    return text


# `%(detail)s` is what the failure names: the FEEL error, the service, the decision, the address.
SENTENCES: dict[str, str] = {
    NO_INVOICE: N_("the process has no invoice"),
    NO_SUPPLIER: N_("the invoice has no supplier"),
    UNKNOWN_RECIPIENT: N_("a mail recipient is unknown: %(detail)s"),
    MAIL_REFUSED: N_("the mail server refused the address"),
    MAIL_UNREACHABLE: N_("the mail server could not be reached"),
    NO_MATCHING_RULE: N_("a decision had no matching rule: %(detail)s"),
    NO_PATH: N_("no outgoing path of a gateway applies"),
    DECISION_FAILED: N_("a decision could not be taken: %(detail)s"),
    EXPRESSION_FAILED: N_("an expression could not be evaluated: %(detail)s"),
    SERVICE_FAILED: N_("a service task failed: %(detail)s"),
    UNEXPECTED: N_("unexpected error"),
}
CODES: tuple[str, ...] = tuple(SENTENCES)


def sentence(code: str, detail: str | None = "", *, translate: Callable[[str], str] = str) -> str:
    """The cause as a sentence (`translate` puts the template into the reader's language first);
    `detail` None: the sentence for all incidents of the cause, without what one of them names."""
    template = translate(SENTENCES.get(code, SENTENCES[UNEXPECTED]))
    if "%(detail)s" not in SENTENCES.get(code, ""):
        return template
    if detail is None:
        return template.replace(": %(detail)s", "").replace("%(detail)s", "").strip()
    return template % {"detail": detail or "?"}


@dataclasses.dataclass(frozen=True)
class Cause:
    """A cause code and the detail its sentence names ('' when it names none)."""

    code: str
    detail: str = ""


class CausedError(Exception):
    """An error that knows its cause: raised where a step fails for a reason a person can fix."""

    def __init__(self, message: str, *, cause: str, detail: str = ""):
        super().__init__(message)
        self.cause = Cause(cause, detail[:500])


def found_in(error: BaseException | None) -> Cause | None:
    """The cause carried by `error` or by an error it was raised from (its chain), if any names one."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        cause = getattr(error, "cause", None)
        if isinstance(cause, Cause):
            return cause
        error = error.__cause__ or error.__context__
    return None


# For stored messages only (incidents opened before causes were recorded): the texts Stroom wrote.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"invoice (?:None|\S+) not found"), NO_INVOICE),
    (re.compile(r"no mail recipient '([^']*)'"), UNKNOWN_RECIPIENT),
    (re.compile(r"No conditions? satisfied|no outgoing (?:flow|path)", re.IGNORECASE), NO_PATH),
    (re.compile(r"decision '([^']*)'.*?(?:hit policy|allowed values)"), DECISION_FAILED),
    (re.compile(r"error evaluating '([^']*)'"), EXPRESSION_FAILED),
    (re.compile(r"service '([^']*)' failed"), SERVICE_FAILED),
)


_UNREACHABLE = re.compile(r"Connection|timed out|could not be reached|Errno|getaddrinfo|Disconnected")


def classify(message: str) -> Cause:
    """The cause a stored incident message names; `unexpected` when it names none Stroom knows."""
    text = message or ""
    if "every recipient was refused" in text or "refused the message" in text:
        return Cause(MAIL_REFUSED)
    if "(mail)" in text and _UNREACHABLE.search(text):
        return Cause(MAIL_UNREACHABLE)
    for pattern, code in _PATTERNS:
        found = pattern.search(text)
        if found:
            detail = found.group(1) if found.groups() else ""
            if code == EXPRESSION_FAILED:
                detail = text.split(": ", 2)[-1] if text.count(": ") >= 2 else detail
            return Cause(code, detail[:500])
    return Cause(UNEXPECTED)
