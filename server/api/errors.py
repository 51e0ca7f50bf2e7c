"""The one mapping from domain errors to HTTP: {"error": {"code", "message", "details"}}."""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from server import errors

STATUS = {
    errors.InvalidInput: 422, errors.NotFound: 404, errors.Conflict: 409, errors.Forbidden: 403,
    errors.Unauthorized: 401, errors.TooManyRequests: 429,
    errors.PayloadTooLarge: 413, errors.UnsupportedMediaType: 415,
}
log = logging.getLogger(__name__)
# Paths that always answer JSON (or Prometheus text): the API and the machine endpoints.
MACHINE_PATHS = ("/api/", "/metrics", "/healthz")
# app.extensions key of the HTML error page renderer (status, code, message) -> Response; server.app
# installs the pages' one, so this module does not import the pages.
HTML_ERRORS = "stroom_html_errors"
HtmlRenderer = Callable[[int, str, str], Response]
# Database integers are 64-bit; a larger id in a URL names no row (found by tests/contract).
MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: ids beyond 64 bits do not match, so they are a 404, not a database overflow."""

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def wants_html() -> bool:
    """A browser off the API: an HTML error page; /api/v1 and clients asking for JSON get JSON."""
    if request.path.startswith(MACHINE_PATHS) or HTML_ERRORS not in current_app.extensions:
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best != "application/json"


def error_response(status: int, code: str, message: str, details: list | None = None) -> Response:
    """The error as JSON, or as the HTML error page for a browser (see `wants_html`)."""
    if wants_html():
        renderer: HtmlRenderer = current_app.extensions[HTML_ERRORS]
        return renderer(status, code, message)
    response = jsonify({"error": {"code": code, "message": message, "details": details or []}})
    response.status_code = status
    return response


def status_of(exc: errors.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def register(app: Flask) -> None:
    """Install the error handlers and the bounded `int` URL converter (before blueprints are registered)."""
    app.url_map.converters["int"] = IdConverter

    @app.errorhandler(OperationalError)
    def database_unavailable(exc: OperationalError) -> Response:
        # The database restarting or unreachable (tests/faults): a clean, retryable answer; the pool's
        # ping of idle connections (db._ping_after_idle) reconnects on a later request, no restart needed.
        log.warning("database unavailable: %s", type(exc.orig).__name__ if exc.orig else exc)
        busy = "database is locked" in str(exc.orig)  # SQLite: another writer held it past the wait
        response = error_response(503, "database_unavailable", "the database is busy; try again shortly" if busy
                                  else "the database is not reachable; try again shortly")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def out_of_range(exc: Exception) -> Response:
        # A number in the query or body that the database cannot hold (SQLite: OverflowError,
        # PostgreSQL: numeric value out of range): the client's input, not a server fault.
        return error_response(422, "number_out_of_range", "a number in the request is out of range")

    @app.errorhandler(errors.DomainError)
    def domain_error(exc: errors.DomainError) -> Response:
        return error_response(status_of(exc), exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = (exc.name or "error").lower().replace(" ", "_")
        response = error_response(exc.code or 500, code, exc.description or exc.name or "error")
        # Keep the exception's own headers, e.g. `Allow` on a 405 (RFC 9110 requires it).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")
