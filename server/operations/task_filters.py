"""Saved task list filters: list (with each one's count of matching tasks), save, rename, delete.

A filter belongs to the user who saved it; shared with one of the owner's groups, its members see and
apply it but only the owner renames or deletes it. The count is the task list's own query run for the
reader (`server.tasks.listing`), so a shared filter counts what each member may see. The task page and
/api/v1/task-filters call these and nothing else.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.permissions import require
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.tasks import listing
from server.tasks.filters import TaskFilters
from server.tasks.models import SavedTaskFilter

NAME_MAX = 100
EDGES = ("api", "web", "cli")


@dataclasses.dataclass(frozen=True)
class SavedFilterView:
    """A saved filter as every edge shows it; `count` is what the reader's task list would show (capped)."""

    id: int
    name: str
    owner: str
    group: str | None
    filters: Mapping[str, str]
    count: int
    count_exact: bool
    mine: bool

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "owner": self.owner, "group": self.group,
                "filters": dict(self.filters), "count": self.count, "count_exact": self.count_exact,
                "mine": self.mine}


def _view(session: Session, actor: Actor, row: SavedTaskFilter) -> SavedFilterView:
    filters = TaskFilters.from_args(row.filters)
    found = listing.list_tasks(session, actor, filters.query(page=1, per_page=1))
    return SavedFilterView(id=row.id, name=row.name, owner=row.owner, group=row.group_name,
                           filters=filters.to_args(), count=found.total, count_exact=found.total_exact,
                           mine=row.owner == actor.name)


def _visible(actor: Actor) -> Any:
    shared = SavedTaskFilter.group_name.in_(sorted(actor.groups)) if actor.groups else None
    mine = SavedTaskFilter.owner == actor.name
    return (SavedTaskFilter.environment_id == actor.environment_id, or_(mine, shared) if shared is not None else mine)


def list_filters(session: Session, *, actor: Actor) -> list[SavedFilterView]:
    """The caller's own filters, then those shared with their groups, each with its count, by name."""
    require(actor, "tasks.read")
    rows = session.scalars(select(SavedTaskFilter).where(*_visible(actor)).order_by(SavedTaskFilter.name,
                                                                                      SavedTaskFilter.id))
    views = [_view(session, actor, row) for row in rows]
    return sorted(views, key=lambda v: (not v.mine, v.name.casefold(), v.id))


def _name(name: Any) -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise InvalidInput("a saved filter needs a name", code="filter_name_required",
                           details=[{"field": "name", "message": "required"}])
    if len(text) > NAME_MAX or "\x00" in text:
        raise InvalidInput(f"a filter name is at most {NAME_MAX} characters", code="filter_name_too_long",
                           details=[{"field": "name", "message": f"at most {NAME_MAX} characters"}])
    return text


def _unique(session: Session, actor: Actor, name: str, *, other_than: int | None = None) -> None:
    clash = session.scalar(select(SavedTaskFilter.id).where(
        SavedTaskFilter.environment_id == actor.environment_id, SavedTaskFilter.owner == actor.name,
        SavedTaskFilter.name == name))
    if clash is not None and clash != other_than:
        raise Conflict(f"you already have a filter named {name!r}", code="filter_name_taken",
                       details=[{"field": "name", "message": "taken"}])


def _edge(edge: str) -> str:
    if edge not in EDGES:
        raise ValueError(f"unknown edge {edge!r}")  # a programming error in an edge, not user input
    return edge


def save_filter(session: Session, *, actor: Actor, name: Any, filters: Mapping[str, Any], group: Any = None,
                edge: str) -> SavedFilterView:
    """Save the filters under a name (unique per owner), shared with `group` when given: one of the
    caller's groups (else InvalidInput naming it); unknown filters or values are refused, field by field."""
    require(actor, "filters.own")
    if actor.kind == "system":
        raise Forbidden("saved filters belong to a user", code="forbidden")
    text = _name(name)
    parsed = TaskFilters.strict(filters)
    if group is not None and not isinstance(group, str):
        raise InvalidInput("group must be a group name", code="invalid_group", details=[{"field": "group"}])
    shared = group.strip() if group and group.strip() else None
    if shared is not None and shared not in actor.groups:
        raise InvalidInput(f"you can only share with a group you belong to, not {shared!r}", code="invalid_group",
                           details=[{"field": "group", "message": "not one of your groups"}])
    _unique(session, actor, text)
    row = SavedTaskFilter(environment_id=actor.environment_id, owner=actor.name, name=text, group_name=shared,
                          filters=parsed.to_args())
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="task_filter.saved", target_type="task_filter", target_id=row.id,
                 after={"name": text, "group": shared, "filters": row.filters, "edge": _edge(edge)})
    return _view(session, actor, row)


def _owned(session: Session, actor: Actor, filter_id: int) -> SavedTaskFilter:
    """The filter if the caller owns it; Forbidden for a group member, NotFound if they cannot see it."""
    require(actor, "filters.own")
    row = session.scalar(select(SavedTaskFilter).where(SavedTaskFilter.id == filter_id, *_visible(actor)))
    if row is None:
        raise NotFound(f"no saved filter {filter_id}", code="filter_not_found")
    if row.owner != actor.name:
        raise Forbidden(f"only {row.owner} can change the filter {row.name!r}", code="filter_not_yours")
    return row


def rename_filter(session: Session, *, actor: Actor, filter_id: int, name: Any, edge: str) -> SavedFilterView:
    """Rename one of the caller's own filters (Forbidden for a filter shared with them)."""
    row = _owned(session, actor, filter_id)
    text = _name(name)
    _unique(session, actor, text, other_than=row.id)
    before = {"name": row.name}
    row.name = text
    session.flush()
    audit.record(session, actor=actor, action="task_filter.renamed", target_type="task_filter", target_id=row.id,
                 before=before, after={"name": text, "edge": _edge(edge)})
    return _view(session, actor, row)


def delete_filter(session: Session, *, actor: Actor, filter_id: int, edge: str) -> None:
    """Delete one of the caller's own filters (Forbidden for a filter shared with them)."""
    row = _owned(session, actor, filter_id)
    before = {"name": row.name, "group": row.group_name, "filters": dict(row.filters)}
    session.delete(row)
    session.flush()
    audit.record(session, actor=actor, action="task_filter.deleted", target_type="task_filter", target_id=filter_id,
                 before=before, after={"edge": _edge(edge)})
