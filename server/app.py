"""create_app(): wiring only."""
from __future__ import annotations

import importlib

from flask import Flask

from server.api import errors as api_errors
from server.api import query as api_query
from server.api import transactions
from server.api.auth import init_login
from server.api.metrics import record_requests
from server.host import Host, open_host
from server.pages.web import error_page, init_web
from server.settings import Settings, load_settings

# Modules exposing `bp` (a Blueprint); add yours here.
BLUEPRINT_MODULES = (
    "server.api.health",
    "server.api.metrics",
    "server.api.session",
    "server.api.tasks",
    "server.api.task_filters",
    "server.api.users",
    "server.api.tokens",
    "server.api.partnerships",
    "server.api.invoices",
    "server.api.models",
    "server.api.element_templates",
    "server.api.decisions",
    "server.api.masterdata",
    "server.api.instances",
    "server.api.migration",
    "server.api.jobs",
    "server.api.incidents",
    "server.api.batches",
    "server.api.audit",
    "server.api.openapi",
)


def create_app(settings: Settings | None = None, *, host: Host | None = None) -> Flask:
    """The Flask app for the given settings (read from STROOM_* variables when omitted)."""
    settings = settings or (host.settings if host else load_settings())
    app = Flask(__name__, root_path=str(settings.instance_dir.parent), instance_path=str(settings.instance_dir))
    app.config.update(
        SECRET_KEY=settings.secret_key, TESTING=settings.testing,
        # Oversized documents up to 4x the limit are still read, stored and refused with a reason.
        MAX_CONTENT_LENGTH=settings.max_document_bytes * 4,
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https"),
    )
    app.extensions["stroom"] = host or open_host(settings)
    api_errors.register(app)
    transactions.install(app)
    api_query.install(app)
    init_login(app)
    record_requests(app)
    init_web(app)
    app.extensions[api_errors.HTML_ERRORS] = error_page  # browsers off /api get HTML error pages
    for name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(name).bp)
    return app
