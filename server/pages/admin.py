"""Admin pages: users, groups, roles, environments, partnerships and the master-data import."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select

from server.auth import directory, partnerships
from server.auth import script_policy as policy
from server.auth import service as auth
from server.auth.models import Environment, Role, RoleMembership, User
from server.auth.passwords import MIN_PASSWORD
from server.auth.permissions import PERMISSIONS, allowed, require
from server.errors import InvalidInput
from server.masterdata import service as masterdata
from server.operations import masterdata as operations
from server.pages import import_words
from server.pages.common import actor, blueprint, host, page

bp = blueprint("admin_pages", __name__, url_prefix="/admin")


def _names(field: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.strip() for n in request.form.get(field, "").split(",") if n.strip()))


@bp.get("/users")
@page("users.manage")
def users() -> ResponseReturnValue:
    with host().db.unit_of_work() as db:
        rows = directory.list_users(db, actor().environment_id)
    return render_template("admin/users.html", users=rows, roles=auth.BUILTIN_ROLES)


@bp.post("/users")
@page("users.manage")
def create_user() -> ResponseReturnValue:
    who = actor()
    login = request.form.get("login", "").strip()
    try:
        with host().db.unit_of_work() as db:
            auth.create_user(db, who.environment_id, login, actor=who, password=request.form.get("password", ""),
                             roles=_names("roles") or ("user",), groups=_names("groups"),
                             email=request.form.get("email", "").strip(),
                             display_name=request.form.get("display_name", "").strip(),
                             language=request.form.get("language", "en"))
    except InvalidInput as exc:
        if exc.code != "weak_password":
            raise
        # The verb's rule, said in the reader's language.
        raise InvalidInput(_("A password needs at least %(n)s characters.", n=MIN_PASSWORD),
                           code="weak_password") from None
    flash(_("User %(login)s created.", login=login), "success")
    return redirect(url_for("admin_pages.users"))


@bp.post("/users/<login>")
@page("users.manage")
def update_user(login: str) -> ResponseReturnValue:
    """Roles, groups and the active flag from the row's form."""
    who = actor()
    changes: dict[str, Any] = {"roles": list(_names("roles")), "groups": list(_names("groups")),
                               "active": request.form.get("active") == "on"}
    if login == who.name and not changes["active"]:
        raise InvalidInput(_("You cannot deactivate yourself."), code="self_deactivate")
    with host().db.unit_of_work() as db:
        directory.update_user(db, who.environment_id, login, actor=who, changes=changes)
    flash(_("User %(login)s saved.", login=login), "success")
    return redirect(url_for("admin_pages.users"))


@bp.get("/groups")
@page("users.manage")
def groups() -> ResponseReturnValue:
    with host().db.unit_of_work() as db:
        rows = [(g.name, g.display_name, members) for g, members in directory.list_groups(db, actor().environment_id)]
    return render_template("admin/groups.html", groups=rows)


@bp.post("/groups")
@page("users.manage")
def create_group() -> ResponseReturnValue:
    who = actor()
    name = request.form.get("name", "").strip()
    with host().db.unit_of_work() as db:
        directory.create_group(db, who.environment_id, name, actor=who,
                               display_name=request.form.get("display_name", "").strip())
    flash(_("Group %(name)s created.", name=name), "success")
    return redirect(url_for("admin_pages.groups"))


@bp.get("/roles")
@page("users.manage")
def roles() -> ResponseReturnValue:
    who = actor()
    with host().db.unit_of_work() as db:
        rows = db.execute(select(Role.name, func.count(RoleMembership.user_id))
                          .outerjoin(RoleMembership, RoleMembership.role_id == Role.id)
                          .where(Role.environment_id == who.environment_id).group_by(Role.name)
                          .order_by(Role.name)).all()
    grants = {role: sorted(p for p, holders in PERMISSIONS.items() if role in holders) for role, _n in rows}
    return render_template("admin/roles.html", roles=rows, grants=grants)


@bp.get("/environments")
@page()
def environments() -> ResponseReturnValue:
    """Partnerships for the environment's admin; every environment (and creating one) for operators."""
    who = actor()
    operator = allowed(who, "environments.read")
    if not operator:
        require(who, "users.manage")
    with host().db.unit_of_work() as db:
        query = (select(Environment.id, Environment.name, Environment.display_name, func.count(User.id))
                 .outerjoin(User, User.environment_id == Environment.id)
                 .group_by(Environment.id).order_by(Environment.name))
        if not operator:
            query = query.where(Environment.id == who.environment_id)
        envs = db.execute(query).all()
        partners = [(p.id, name, getattr(p, "status", "active"), p.environment_id == who.environment_id)
                    for p, name in partnerships.list_for(db, who.environment_id)]
    return render_template("admin/environments.html", environments=envs, partners=partners,
                           current=who.environment_id, operator=operator)


@bp.post("/environments")
@page("environments.manage")
def create_environment() -> ResponseReturnValue:
    name = request.form.get("name", "").strip()
    with host().db.unit_of_work() as db:
        auth.create_environment(db, name, actor=actor())
    flash(_("Environment %(name)s is there.", name=name), "success")
    return redirect(url_for("admin_pages.environments"))


@bp.post("/partnerships")
@page("users.manage")
def request_partnership() -> ResponseReturnValue:
    with host().db.unit_of_work() as db:
        partnerships.request(db, actor=actor(), partner=request.form.get("partner", "").strip())
    flash(_("Partnership requested; the other environment's admin accepts it."), "success")
    return redirect(url_for("admin_pages.environments"))


@bp.post("/partnerships/<int:partnership_id>/<action>")
@page("users.manage")
def partnership_action(partnership_id: int, action: str) -> ResponseReturnValue:
    with host().db.unit_of_work() as db:
        if action == "accept":
            partnerships.accept(db, actor=actor(), partnership_id=partnership_id)
        elif action == "end":
            partnerships.end(db, actor=actor(), partnership_id=partnership_id)
        else:
            raise InvalidInput(_("Unknown operation."), code="unknown_operation")
    flash(_("Partnership updated."), "success")
    return redirect(url_for("admin_pages.environments"))


@bp.get("/settings")
@page("settings.read")
def settings() -> ResponseReturnValue:
    who = actor()
    with host().db.unit_of_work() as db:
        view = policy.get_settings(db, actor=who, environment_id=who.environment_id)
    return render_template("admin/settings.html", settings=view, can_change=allowed(who, "settings.manage"))


@bp.post("/settings")
@page("settings.manage")
def change_settings() -> ResponseReturnValue:
    """The settings form: a checkbox per setting (an unticked box is not sent, so it means off)."""
    who = actor()
    switch = policy.parse_switch(request.form.get("python_scripts", "off"), field="python_scripts")
    with host().db.unit_of_work() as db:
        policy.change_settings(db, actor=who, environment_id=who.environment_id,
                               changes={"python_scripts": switch})
    flash(_("Settings saved."), "success")
    return redirect(url_for("admin_pages.settings"))


@bp.get("/masterdata")
@page("masterdata.manage")
def masterdata_page() -> ResponseReturnValue:
    return render_template("admin/masterdata.html", kinds=list(masterdata.IMPORT_KINDS))


@bp.post("/masterdata")
@page("masterdata.manage")
def masterdata_import() -> ResponseReturnValue:
    """Queue the uploaded file (CSV or JSON) as a background import and show its progress."""
    file = request.files.get("file")
    data = file.read() if file else b""
    if not data:
        raise InvalidInput(_("Choose a CSV file."), code="no_file")
    with host().db.unit_of_work() as db:
        view = operations.import_master_data(db, actor=actor(), edge="page", kind=request.form.get("kind", ""),
                                             data=data)
    return redirect(url_for("admin_pages.masterdata_import_status", import_id=view.id))


@bp.get("/masterdata/imports/<int:import_id>")
@page("masterdata.manage")
def masterdata_import_status(import_id: int) -> ResponseReturnValue:
    """An import's progress bar (the page polls the JSON status endpoint), then its summary."""
    with host().db.reading() as db:
        view = operations.master_data_import(db, actor=actor(), import_id=import_id)
    return render_template("admin/masterdata_import.html", view=view, statuses=import_words.status_words(),
                           status_url=url_for("api_masterdata.import_status", import_id=import_id))
