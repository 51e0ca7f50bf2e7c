"""What every HTML page shares: the login gate, permission checks, HTML error pages, paging."""
from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from server import errors
from server.auth.actor import Actor
from server.auth.permissions import allowed, require
from server.pages import refusals
from server.web import host, status_of

WEB = Path(__file__).resolve().parents[2] / "web"
TEMPLATES = WEB / "templates"
F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)

__all__ = [
    "TEMPLATES",
    "WEB",
    "Paging",
    "actor",
    "allowed",
    "blueprint",
    "host",
    "install_error_pages",
    "page",
    "safe_next",
]


def blueprint(name: str, import_name: str, *, url_prefix: str | None = None) -> Blueprint:
    """A page blueprint with the shared templates and HTML error pages."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix, template_folder=str(TEMPLATES))
    install_error_pages(bp)
    return bp


def actor() -> Actor:
    """The logged-in user as an Actor (pages are only reached through `page`); Unauthorized if none."""
    if not current_user.is_authenticated:
        raise errors.Unauthorized("log in first", code="unauthenticated")
    return current_user.actor


def page(permission: str | None = None) -> Callable[[F], F]:
    """Decorator: send anonymous visitors to the login page, then check one permission."""
    def wrap(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
            if permission:
                require(actor(), permission)
            return view(*args, **kwargs)
        return checked  # type: ignore[return-value]
    return wrap


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths ("/tasks?x=1"); anything with a scheme, host or '//' prefix falls back."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def install_error_pages(bp: Blueprint) -> None:
    """Domain errors become a flash message (after a POST) or an HTML error page (GET)."""
    @bp.errorhandler(errors.DomainError)
    def domain_error(exc: errors.DomainError) -> Any:
        status = status_of(exc)
        if status == 401:
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        message = refusals.refusal_text(exc)
        if request.method == "POST" and status in (409, 422, 400):
            flash(message, "error")
            return redirect(safe_next(request.form.get("next") or _referrer_path(), "/"))
        return render_template("error.html", status=status, message=message, code=exc.code), status

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        message = exc.description or exc.name
        if exc.code == 400 and "CSRF" in (message or ""):
            message = _("Your form expired or was sent from elsewhere. Please try again.")
        return render_template("error.html", status=exc.code, message=message, code=exc.name), exc.code or 500


def _referrer_path() -> str | None:
    """The path of the referring page, only when it is this site."""
    ref = request.referrer
    if not ref:
        return None
    parts = urlsplit(ref)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclasses.dataclass(frozen=True)
class Paging:
    """One page of a list: the items, the total and links to neighbours."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_number() -> int:
    """The ?page= argument, at least 1."""
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1
