"""The one mapping from domain errors to HTTP: {"error": {"code", "message", "details"}}."""
from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from server import errors

STATUS = {
    errors.InvalidInput: 422, errors.NotFound: 404, errors.Conflict: 409, errors.Forbidden: 403,
    errors.Unauthorized: 401, errors.PayloadTooLarge: 413, errors.UnsupportedMediaType: 415,
}
log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str, details: list | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": details or []}})
    response.status_code = status
    return response


def status_of(exc: errors.DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def register(app: Flask) -> None:
    @app.errorhandler(errors.DomainError)
    def domain_error(exc: errors.DomainError) -> Response:
        return error_response(status_of(exc), exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name or "error")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")
