"""Memory holds under big bodies: a real server process (`stroom run`, and gunicorn as deployed) is sent
60 MB, chunked and with a Content-Length, as a raw body, a multipart `file`, the inbox upload page and a
document start. Its peak RSS (/proc/PID/status VmHWM, reset through clear_refs first) must grow less than
30 MB; the answer is a 413 naming the limit; the refused document is kept as head + SHA-256 + size; and a
normal invoice right after is accepted."""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.host import open_host
from server.migrate import upgrade
from tests.conftest import make_settings
from tests.support.factories import make_user, password_of
from tests.support.paths import CORPUS, REPO

BIN = Path(sys.executable).parent
MB = 1024 * 1024
BIG = 60 * MB
LIMIT = 20 * MB  # STROOM_MAX_DOCUMENT_BYTES's default
GROWTH_LIMIT_KB = 30 * 1024
VALID = CORPUS / "ubl" / "valid" / "base-example.xml"


class Server:
    def __init__(self, port: int, process: subprocess.Popen[bytes], token: str, log: Path):
        self.port, self.process, self.token, self.log = port, process, token, log

    def pid(self) -> int:
        """The process serving requests (gunicorn's one worker, not its arbiter)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0]) if children else self.process.pid

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                *, token: bool = True) -> tuple[int, bytes, http.client.HTTPResponse]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            all_headers = {**({"Authorization": f"Bearer {self.token}"} if token else {}), **(headers or {})}
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            return response.status, response.read(), response
        finally:
            conn.close()


def status_kb(pid: int, field: str) -> int:
    found = re.search(rf"^{field}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
    assert found, field
    return int(found.group(1))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module", params=["stroom run", "gunicorn"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("bodies")
    url = f"sqlite:///{folder / 'stroom.db'}"
    host = open_host(make_settings(folder, url))
    upgrade(host.db.engine)
    _, token = make_user(host, "sender", roles=("user",))
    host.db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STROOM_")}
    env.update(STROOM_DATABASE_URL=url, STROOM_INSTANCE_DIR=str(folder / "instance"), STROOM_SECRET_KEY="bodies",
               STROOM_EMBEDDED_WORKER="false", STROOM_UBL_RULES="off", STROOM_LOG_LEVEL="WARNING",
               PYTHONPATH=str(REPO))
    port = free_port()
    command = ([str(BIN / "stroom"), "run", "--port", str(port)] if request.param == "stroom run" else
               [str(BIN / "gunicorn"), "-w", "1", "--threads", "2", "-b", f"127.0.0.1:{port}",
                "server.app:create_app()"])
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    found = Server(port, process, token, log)
    try:
        _wait_healthy(found)
        # warm up: the first invoice loads the parser, the engine and the shipped template
        status, body, _ = found.request("POST", "/api/v1/invoices", VALID.read_bytes(),
                                        {"Content-Type": "application/xml"})
        assert status == 201, body
        yield found
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.process.poll() is None, server.log.read_text()[-3000:]
        try:
            if server.request("GET", "/healthz", token=False)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the server did not start:\n{server.log.read_text()[-3000:]}")


class BigDocument:
    """60 MB that starts like an invoice, produced in 1 MB pieces (never whole in the test either)."""

    def __init__(self, size: int = BIG):
        self.head = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Invoice xmlns="urn:oasis:names:specification:ubl:'
                     b'schema:xsd:Invoice-2"><!-- ' + secrets.token_hex(8).encode() + b" ")
        self.size = size
        digest = hashlib.sha256()
        for piece in self.pieces():
            digest.update(piece)
        self.sha256 = digest.hexdigest()

    def pieces(self) -> Iterator[bytes]:
        yield self.head
        left, filler = self.size - len(self.head), b"x" * MB
        while left > 0:
            yield filler[:left]
            left -= len(filler[:left])


def multipart(document: BigDocument, field: str, extra: dict[str, str] | None = None) -> tuple[str, Iterable[bytes], int]:
    boundary = "stroom" + secrets.token_hex(8)
    lead = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in (extra or {}).items())
    lead += (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="big.xml"\r\n'
             "Content-Type: application/xml\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def pieces() -> Iterator[bytes]:
        yield lead
        yield from document.pieces()
        yield tail
    return f"multipart/form-data; boundary={boundary}", pieces(), len(lead) + document.size + len(tail)


def measured(server: Server, send: Any) -> tuple[int, Any]:
    """Send, and the growth of the serving process's peak RSS in kB."""
    pid = server.pid()
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS now
    before = status_kb(pid, "VmHWM")
    answer = send()
    return status_kb(pid, "VmHWM") - before, answer


def assert_kept_and_refused(server: Server, status: int, raw: bytes, document: BigDocument) -> None:
    assert status == 413, raw[:500]
    error = json.loads(raw)["error"]
    assert error["code"] == "too_large" and str(LIMIT) in error["message"]
    kept = json.loads(server.request("GET", f"/api/v1/documents/{json.loads(raw)['document_id']}")[1])
    assert (kept["size"], kept["sha256"], kept["status"]) == (document.size, document.sha256, "rejected")
    assert kept["reasons"][0]["rule"] == "too_large" and "refused: too large" in kept["reasons"][0]["message"]
    status, head, _ = server.request("GET", f"/api/v1/documents/{kept['id']}/content")
    assert status == 200 and document.head in head and len(head) <= 64 * 1024


def assert_a_normal_invoice_is_accepted(server: Server) -> None:
    xml = VALID.read_bytes().replace(b"<cbc:ID>Snippet1</cbc:ID>", f"<cbc:ID>{secrets.token_hex(4)}</cbc:ID>".encode(),
                                     1)
    status, body, _ = server.request("POST", "/api/v1/invoices", xml, {"Content-Type": "application/xml"})
    assert status == 201 and json.loads(body)["status"] == "accepted", body


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_60_mb_raw_body_is_refused_kept_as_head_and_digest_and_memory_holds(server: Server, chunked) -> None:
    document = BigDocument()
    headers = {"Content-Type": "application/xml"} | ({} if chunked else {"Content-Length": str(document.size)})
    growth, (status, raw, _) = measured(server, lambda: server.request("POST", "/api/v1/invoices",
                                                                      document.pieces(), headers))
    assert growth < GROWTH_LIMIT_KB, f"peak RSS grew {growth // 1024} MB"
    assert_kept_and_refused(server, status, raw, document)
    assert_a_normal_invoice_is_accepted(server)


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_60_mb_multipart_file_is_refused_kept_and_memory_holds(server: Server, chunked) -> None:
    document = BigDocument()
    content_type, pieces, length = multipart(document, "file")
    headers = {"Content-Type": content_type} | ({} if chunked else {"Content-Length": str(length)})
    growth, (status, raw, _) = measured(server, lambda: server.request("POST", "/api/v1/invoices", pieces, headers))
    assert growth < GROWTH_LIMIT_KB, f"peak RSS grew {growth // 1024} MB"
    assert_kept_and_refused(server, status, raw, document)
    assert_a_normal_invoice_is_accepted(server)


def test_a_60_mb_upload_on_the_inbox_page_is_refused_kept_and_memory_holds(server: Server) -> None:
    cookie, token = login(server)
    document = BigDocument()
    content_type, pieces, length = multipart(document, "document", {"csrf_token": token})
    headers = {"Content-Type": content_type, "Content-Length": str(length), "Cookie": cookie,
               "Referer": f"http://127.0.0.1:{server.port}/inbox"}
    growth, (status, raw, _) = measured(
        server, lambda: server.request("POST", "/inbox/upload", pieces, headers, token=False))
    assert status == 413, raw[:500]
    assert b"too large" in raw and str(LIMIT).encode() in raw
    assert growth < GROWTH_LIMIT_KB, f"peak RSS grew {growth // 1024} MB"
    listed = json.loads(server.request("GET", "/api/v1/documents?status=rejected&limit=200")[1])["items"]
    kept = [d for d in listed if d["sha256"] == document.sha256]
    assert len(kept) == 1 and kept[0]["size"] == document.size and kept[0]["source"] == "web"
    assert_a_normal_invoice_is_accepted(server)


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_60_mb_body_to_a_document_start_is_refused_unkept(server: Server, chunked) -> None:
    document = BigDocument()
    headers = {"Content-Type": "application/json"} | ({} if chunked else {"Content-Length": str(document.size)})
    growth, (status, raw, _) = measured(server, lambda: server.request(
        "POST", "/api/v1/documents/1/start", document.pieces(), headers))
    assert growth < GROWTH_LIMIT_KB, f"peak RSS grew {growth // 1024} MB"
    assert status == 413 and json.loads(raw)["error"]["code"] == "payload_too_large", raw[:500]
    assert_a_normal_invoice_is_accepted(server)


def login(server: Server) -> tuple[str, str]:
    """A page session for `sender`: its cookie and a CSRF token."""
    _, page, response = server.request("GET", "/login", token=False)
    cookie = cookie_of(response, "")
    token = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
    form = f"login=sender&password={password_of('sender')}&environment=default&csrf_token={token}"
    status, _, response = server.request("POST", "/login", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}, token=False)
    assert status == 302
    cookie = cookie_of(response, cookie)
    _, page, response = server.request("GET", "/inbox", headers={"Cookie": cookie}, token=False)
    token = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
    return cookie_of(response, cookie), token


def cookie_of(response: http.client.HTTPResponse, current: str) -> str:
    found = [h.split(";", 1)[0] for h in response.headers.get_all("Set-Cookie") or []]
    return "; ".join(found) if found else current
