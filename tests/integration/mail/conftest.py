"""A real SMTP server on loopback (aiosmtpd) and hosts that deliver to it."""
from __future__ import annotations

import dataclasses
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from server.host import open_host
from tests.conftest import make_settings

SMTP_USER, SMTP_PASSWORD = "stroom", "s3cret!"


@dataclasses.dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


class Inbox:
    """The SMTP handler: keeps what arrives; refuses recipients whose mailbox is `nobody`."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.logins: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """Start and stop an aiosmtpd server on a fixed loopback port (so it can be 'down' for a while)."""

    def __init__(self, *, require_login: bool = False):
        self.port = free_port()
        self.inbox = Inbox()
        self.require_login = require_login
        self._controller: Controller | None = None

    def start(self) -> None:
        options = {"authenticator": self._authenticate, "auth_required": True, "auth_require_tls": False} \
            if self.require_login else {}
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            SMTP_USER.encode(), SMTP_PASSWORD.encode())
        if ok:
            self.inbox.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_host(tmp_path, database_url, smtp_server):
    host = open_host(make_settings(tmp_path, database_url, smtp_url=f"smtp://127.0.0.1:{smtp_server.port}",
                                   smtp_from="Stroom <workflow@stroom.example>"))
    yield host
    host.db.dispose()


def smtp_url(scheme: str, server: SmtpServer, *, login: bool = True) -> str:
    """STROOM_SMTP_URL for a test server, with the test login (its `!` percent-encoded)."""
    user = f"{SMTP_USER}:{SMTP_PASSWORD.replace('!', '%21')}@" if login else ""
    return f"{scheme}://{user}127.0.0.1:{server.port}"


def send_test_mail(tmp_path, database_url: str, url: str, *, language: str = "en") -> tuple[str, int]:
    """Queue one test message on a fresh host delivering to `url`, run the worker once.

    Returns the job's status and last error afterwards.
    """
    from server.jobs.models import Job
    from server.jobs.worker import Worker
    from server.mail.service import queue_mail
    from tests.integration.jobs.support import seed_people

    host = open_host(make_settings(tmp_path, database_url, smtp_url=url))
    try:
        system = seed_people(host)
        with host.db.unit_of_work() as session:
            job_id = queue_mail(session, template="test", to=["ops@example.com"], language=language, context={},
                                environment_id=system.environment_id).id
        Worker(host).run_once()
        with host.db.unit_of_work() as session:
            job = session.get(Job, job_id)
            return job.status, job.last_error or ""
    finally:
        host.db.dispose()
