"""The web layer's wiring: static files, the bpmn.io bundles, CSRF, translations, security headers."""
from __future__ import annotations

import importlib
import logging
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    make_response,
    render_template,
    request,
    send_from_directory,
    session,
)
from flask_babel import Babel, get_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect, generate_csrf

from server.auth.models import Environment
from server.auth.permissions import allowed
from server.pages import import_words, invoice_view, words
from server.pages.common import TEMPLATES, WEB, actor, host
from server.pages.words import N_

log = logging.getLogger(__name__)
bp = Blueprint("web", __name__, static_folder=str(WEB / "static"), static_url_path="/assets",
               template_folder=str(TEMPLATES))

# Only the prebuilt bundles are reachable; the rest of node_modules is never served.
VENDOR = {
    "bpmn-js": WEB / "node_modules" / "bpmn-js" / "dist",
    "dmn-js": WEB / "node_modules" / "dmn-js" / "dist",
    "form-js": WEB / "node_modules" / "@bpmn-io" / "form-js" / "dist",
}

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-src 'self'; "
       "frame-ancestors 'self'; base-uri 'self'; form-action 'self'")

# One blueprint module per area; each exposes `bp`.
PAGE_MODULES = ("auth", "tasks", "invoices", "inbox", "instances", "migration", "batches", "designer", "audit",
                "admin")

NAVIGATION = (  # (endpoint, label msgid, permission)
    ("task_pages.task_list", N_("Tasks"), "tasks.read"),
    ("inbox_pages.inbox", N_("Inbox"), "invoices.read"),
    ("instance_pages.instance_list", N_("Instances"), "instances.read"),
    ("designer.models", N_("Designer"), "models.deploy"),
    ("audit_pages.audit_log", N_("Audit log"), "audit.read"),
    ("admin_pages.users", N_("Admin"), "users.manage"),
)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """No icon: answer 204 so browsers stop asking (and logging a 404 on every page)."""
    return Response(status=204)


@bp.get("/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str) -> Response:
    """A file from a bpmn.io package's dist folder (js, css, fonts)."""
    root = VENDOR.get(package)
    if root is None or not filename.endswith((".js", ".css", ".woff", ".woff2", ".ttf", ".eot", ".svg")):
        abort(404)
    return send_from_directory(root, filename, max_age=3600)


def _locale() -> str:
    lang = session.get("lang")
    if lang in ("nl", "en"):
        return str(lang)
    return request.accept_languages.best_match(["en", "nl"]) or "en"


def _layout_context() -> dict[str, Any]:
    """Header data: the environment, the user and the navigation they may use."""
    if not current_user.is_authenticated:
        return {"nav": [], "env_name": None, "user_name": None, "csrf": generate_csrf, "get_locale": get_locale,
                "can": lambda permission: False}
    who = actor()
    env_name = session.get("env_name")
    if not env_name:
        with host().db.unit_of_work() as db:
            env = db.get(Environment, who.environment_id)
            env_name = session["env_name"] = env.name if env else "?"
    nav = [(endpoint, label) for endpoint, label, permission in NAVIGATION if allowed(who, permission)]
    return {"nav": nav, "env_name": env_name, "user_name": who.name, "actor": who, "can": _can(who),
            "csrf": generate_csrf, "get_locale": get_locale, "time_zone": _timezone()}


def _can(who: Any) -> Any:
    return lambda permission: allowed(who, permission)


def error_page(status: int, code: str, message: str) -> Response:
    """The HTML error page a browser gets for an unknown URL or a refusal outside the page blueprints."""
    try:
        body = render_template("error.html", status=status, message=message, code=code)
    except Exception:  # the layout needs the database; a page about a failure must not fail itself
        log.exception("error page could not be rendered")
        body = f"<!doctype html><title>{status}</title><h1>{status}</h1>"
    response = make_response(body, status)
    response.mimetype = "text/html"
    return response


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _timezone() -> str:
    """Pages show moments in the deployment's zone (STROOM_TIMEZONE); Babel converts from UTC."""
    return host().settings.timezone


def init_web(app: Flask) -> None:
    """CSRF on every cookie-authenticated write, Babel (nl/en), headers, the layout's context."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(WEB / "translations"))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    csrf = CSRFProtect(app)
    Babel(app, locale_selector=_locale, timezone_selector=_timezone)

    @app.before_request
    def _csrf() -> None:
        # Pages check the form's token here; the JSON API checks its own header (server.api.auth).
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and not request.path.startswith("/api/"):
            csrf.protect()

    app.after_request(_security_headers)
    app.jinja_env.filters.update(action_words=words.action_words, value_words=words.value_words,
                                 name_words=words.name_words, money_words=words.money_words,
                                 number_words=words.number_words, date_words=words.date_words,
                                 datetime_words=words.datetime_words, cause_words=words.cause_words,
                                 local_moment=words.local_moment,
                                 import_problem_words=import_words.problem_words)
    app.jinja_env.filters.update(invoice_view.filters())
    app.context_processor(_layout_context)
    app.register_blueprint(bp)
    for name in PAGE_MODULES:
        app.register_blueprint(importlib.import_module(f"server.pages.{name}").bp)
