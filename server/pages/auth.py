"""Login, logout and the language switch (blueprint "pages", which flask-login's login_view names)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user

from server.auth import login as login_service
from server.auth import service as auth
from server.auth.models import User
from server.pages.common import actor, blueprint, host, page, safe_next
from server.web import SessionUser, end_user_sessions

bp = blueprint("pages", __name__)
LANGUAGES = ("nl", "en")


@bp.get("/")
@page()
def home() -> ResponseReturnValue:
    return redirect(url_for("task_pages.task_list"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    target = safe_next(request.values.get("next"), url_for("pages.home"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target)
    error = None
    if request.method == "POST" and host().login_throttle.retry_after(request.remote_addr or "unknown"):
        error = _("Too many failed logins from this address; try again in a few minutes.")
        return render_template("login.html", error=error, next=target,
                               environment=request.form.get("environment", auth.DEFAULT_ENVIRONMENT)), 429
    if request.method == "POST":
        environment = request.form.get("environment", "").strip() or auth.DEFAULT_ENVIRONMENT
        with host().db.unit_of_work() as db:
            result = login_service.attempt(db, environment=environment, login=request.form.get("login", "").strip(),
                                           password=request.form.get("password", ""))
            user = result.user
            if user is not None:
                who = auth.actor_for(db, user)
                session.clear()
                login_user(SessionUser(user.id, user.session_epoch, who))
                session["lang"] = user.language if user.language in LANGUAGES else "en"
                session["env_name"] = environment
                return redirect(target)
        host().login_throttle.failed(request.remote_addr or "unknown")
        # The same page for an unknown login, a wrong password and a locked account (lockout holds).
        error = _("Unknown user or wrong password.")
    return render_template("login.html", error=error, next=target,
                           environment=request.form.get("environment", auth.DEFAULT_ENVIRONMENT)), (
        401 if error else 200)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    end_user_sessions()
    flash(_("You are logged out."), "info")
    return redirect(url_for("pages.login"))


@bp.post("/language")
def language() -> ResponseReturnValue:
    """Remember the choice in the session and, for a logged-in user, on their account."""
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            with host().db.unit_of_work() as db:
                user = db.get(User, actor().user_id)
                if user is not None:
                    user.language = lang
    return redirect(safe_next(request.form.get("next"), url_for("pages.home")))
