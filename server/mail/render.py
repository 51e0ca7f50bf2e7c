"""Mail templates: Jinja, a text and an HTML part per template and language (en, nl)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal
from jinja2 import ChainableUndefined, FileSystemLoader, TemplateNotFound, pass_context, select_autoescape
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from server.errors import InvalidInput
from server.wording import calendar_day

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATES = ("task_assigned", "reminder", "escalation", "disapproval", "conversion_failed", "outcome", "test")
LANGUAGES = ("en", "nl")
DEFAULT_LANGUAGE = "en"
# The context key render() gives the deployment's zone under; a name process data does not use.
ZONE_KEY = "stroom_timezone"


@dataclasses.dataclass(frozen=True)
class RenderedMail:
    """A message's subject and its two bodies, in one language."""

    template: str
    language: str
    subject: str
    text: str
    html: str


def money(value: Any, currency: Any = None, language: Any = DEFAULT_LANGUAGE) -> str:
    """An amount as the recipient's language writes it ("€ 1.234,50", "€1,234.50"); text that is no number as is."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value or "")
    locale = language_of(language)
    if currency:
        text, code = str(format_currency(amount, str(currency), locale=locale)), str(currency)
        # CLDR's currency spacing, which Babel leaves out: "NOK302.50" -> "NOK 302.50".
        return f"{code} {text[len(code):]}" if text.startswith(code) and text[len(code):][:1].isdigit() else text
    return str(format_decimal(amount, format="#,##0.00", locale=locale))


def moment(value: Any, language: Any = DEFAULT_LANGUAGE, zone: str = "UTC") -> str:
    """A moment as the recipient's language writes it, to the minute in `zone` with the zone's abbreviation
    ("5 mrt 2025 15:30 CET", "Mar 5, 2025, 2:30 PM UTC"); an ISO text is read first, other text is shown
    as it is."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return str(value or "")
    local = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(_zone(zone))
    locale = language_of(language)
    date = format_date(local, "medium", locale=locale)
    return f"{date} {format_time(local, 'short', tzinfo=local.tzinfo, locale=locale)} {local.tzname()}"


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # settings refuse unknown zones at start; never fail a mail
        return dt.UTC


@pass_context
def _moment_in_zone(context: Context, value: Any, language: Any = DEFAULT_LANGUAGE) -> str:
    """The `moment` filter: in the deployment's zone, which render() puts in the context last (process
    data cannot set it)."""
    return moment(value, language, str(context.get(ZONE_KEY) or "UTC"))


def day(value: Any, language: Any = DEFAULT_LANGUAGE) -> str:
    """A date (or an ISO date text) as the recipient's language writes it ("5 mrt 2025", "Mar 5, 2025")."""
    value = calendar_day(value)
    return str(format_date(value, "medium", locale=language_of(language))) if isinstance(value, dt.date) \
        else str(value or "")


@functools.lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    # Sandboxed because template contexts carry process data that designers and senders control.
    env = SandboxedEnvironment(loader=FileSystemLoader(TEMPLATE_DIR), undefined=ChainableUndefined,
                               autoescape=select_autoescape(["html"], default_for_string=False),
                               keep_trailing_newline=True, trim_blocks=False)
    env.filters["money"] = money
    env.filters["moment"] = _moment_in_zone
    env.filters["day"] = day
    return env


def language_of(value: object) -> str:
    """`nl`, `nl-NL` or `NL` -> `nl`; anything unknown -> the default language."""
    code = str(value or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def render(template: str, *, language: str, context: Mapping[str, Any], timezone: str = "UTC") -> RenderedMail:
    """Render a template in a language, moments in `timezone` (STROOM_TIMEZONE); InvalidInput for an
    unknown template."""
    if template not in TEMPLATES:
        raise InvalidInput(f"unknown mail template {template!r} (known: {', '.join(TEMPLATES)})",
                           code="unknown_mail_template")
    language = language_of(language)
    env = _environment()
    try:
        text_template = env.get_template(f"{language}/{template}.txt")
        html_template = env.get_template(f"{language}/{template}.html")
    except TemplateNotFound as exc:
        raise InvalidInput(f"mail template {template!r} has no {language} version",
                           code="unknown_mail_template") from exc
    values = {"language": language, **context, ZONE_KEY: timezone}
    first, _, body = text_template.render(values).partition("\n")
    subject = " ".join(first.removeprefix("Subject:").split())
    html = html_template.render({**values, "subject": subject})
    return RenderedMail(template=template, language=language, subject=subject, text=body.lstrip("\n"),
                        html=html)
