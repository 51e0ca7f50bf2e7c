"""SMTP delivery from STROOM_SMTP_URL: smtp://, smtp+starttls:// or smtps://, with optional login."""
from __future__ import annotations

import dataclasses
import smtplib
import socket
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from server import causes
from server.jobs.types import PermanentJobError
from server.settings import SettingsError

SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}


@dataclasses.dataclass(frozen=True)
class SmtpConfig:
    """Where and how to hand messages over."""

    host: str
    port: int
    mode: str  # plain, starttls, ssl
    username: str | None = None
    password: str | None = None
    timeout: float = 15.0

    def __repr__(self) -> str:  # never print the password
        return f"SmtpConfig({self.mode}://{self.host}:{self.port}, login={self.username!r})"


class MailRefused(PermanentJobError):
    """The mail server refused an address or the message for good (5xx): retrying will not help."""

    def __init__(self, message: str, *, detail: str = ""):
        super().__init__(message)
        self.cause = causes.Cause(causes.MAIL_REFUSED, detail[:500])


class MailUnreachable(causes.CausedError):
    """The mail server could not be reached or dropped the connection (retried later)."""

    def __init__(self, message: str):
        super().__init__(message, cause=causes.MAIL_UNREACHABLE)


def parse_smtp_url(url: str) -> SmtpConfig:
    """`smtp+starttls://user:pass@mail.example.com:587` -> SmtpConfig; SettingsError if unusable."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise SettingsError("STROOM_SMTP_URL must look like smtp://host:port, smtp+starttls://user:pass@host:587 "
                            "or smtps://user:pass@host:465")
    mode, default_port = SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise SettingsError("STROOM_SMTP_URL has an invalid port") from exc
    return SmtpConfig(host=parts.hostname, port=port, mode=mode,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None)


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    if config.mode == "ssl":
        return smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                context=ssl.create_default_context())
    client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    if config.mode == "starttls":
        client.starttls(context=ssl.create_default_context())
    return client


def send(config: SmtpConfig, message: EmailMessage, *, sender: str, recipients: Sequence[str]) -> None:
    """Hand one message over; a 5xx refusal is permanent, anything else (down, 4xx) is retried."""
    try:
        with _connect(config) as client:
            if config.username:
                client.login(config.username, config.password or "")
            client.send_message(message, from_addr=sender, to_addrs=list(recipients))
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if all(code >= 500 for code in codes):
            raise MailRefused(f"every recipient was refused: {exc.recipients}",
                              detail=", ".join(sorted(exc.recipients))) from exc
        raise
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        if exc.smtp_code >= 500:
            raise MailRefused(f"the SMTP server refused the message: {exc.smtp_code} {exc.smtp_error!r}",
                              detail=sender) from exc
        raise
    except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError,
            socket.gaierror) as exc:
        raise MailUnreachable(f"the SMTP server {config.host}:{config.port} could not be reached: "
                              f"{type(exc).__name__}: {exc}") from exc
