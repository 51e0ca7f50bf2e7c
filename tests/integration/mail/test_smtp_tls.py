"""SMTP over TLS: STARTTLS (smtp+starttls://) and implicit TLS (smtps://), certificates verified, with login."""
from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.integration.mail.conftest import SMTP_USER, SmtpServer, send_test_mail, smtp_url


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with openssl for this test run."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class TlsSmtpServer(SmtpServer):
    def __init__(self, cert: Path, key: Path, *, implicit: bool):
        super().__init__(require_login=True)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.implicit = implicit

    def start(self) -> None:
        options = {"authenticator": self._authenticate, "auth_required": True}
        if self.implicit:
            # the whole connection is TLS; aiosmtpd only counts STARTTLS for its auth_require_tls check
            options.update(ssl_context=self.context, auth_require_tls=False)
        else:
            options.update(tls_context=self.context, require_starttls=True, auth_require_tls=True)
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_mail_is_delivered_over_tls_with_login_and_a_verified_certificate(tmp_path, sqlite_url, certificate,
                                                                          monkeypatch, scheme):
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate like a company CA
    server = TlsSmtpServer(cert, key, implicit=scheme == "smtps")
    server.start()
    try:
        status, _ = send_test_mail(tmp_path, sqlite_url, smtp_url(scheme, server))
        assert [r.recipients for r in server.inbox.messages] == [["ops@example.com"]]
        assert server.inbox.logins == [SMTP_USER]
        assert status == "done"
    finally:
        server.stop()


def test_an_untrusted_certificate_is_not_accepted(tmp_path, sqlite_url, certificate):
    cert, key = certificate
    server = TlsSmtpServer(cert, key, implicit=False)
    server.start()
    try:
        status, error = send_test_mail(tmp_path, sqlite_url, smtp_url("smtp+starttls", server, login=False))
        assert server.inbox.messages == []
        assert status == "pending" and "CERTIFICATE_VERIFY_FAILED" in error
    finally:
        server.stop()
