"""GET and HEAD requests read in read-only transactions: they never take or wait for SQLite's writer lock."""
from __future__ import annotations

from flask import Flask, request

from server.db import set_reads_only

READING_METHODS = ("GET", "HEAD")


def _begin() -> None:
    set_reads_only(request.method in READING_METHODS)


def _end(_exc: BaseException | None) -> None:
    set_reads_only(False)


def install(app: Flask) -> None:
    """Every unit of work of a GET/HEAD request (API and pages) is a read-only transaction."""
    app.before_request(_begin)
    app.teardown_request(_end)
