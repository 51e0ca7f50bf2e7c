"""The web task list's filters as the page's query string gives them, turned into the service's query.

Who may see what lives in one place, `server.tasks.listing`; this module only parses the page's form.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.tasks.listing import TaskPage, TaskQuery, list_tasks
from server.tasks.models import HumanTask


@dataclasses.dataclass(frozen=True)
class TaskFilters:
    """The task list's filters as the page's query string gives them."""

    state: str = "open"  # open, done, all
    mine: bool = False
    group: str = ""
    process: str = ""
    supplier: str = ""
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    due_before: dt.date | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> TaskFilters:
        state = args.get("state", "open")
        return cls(state=state if state in ("open", "done", "all") else "open", mine=args.get("mine") == "1",
                   group=args.get("group", "").strip(), process=args.get("process", "").strip(),
                   supplier=args.get("supplier", "").strip(), amount_min=_decimal(args.get("amount_min")),
                   amount_max=_decimal(args.get("amount_max")), due_before=_date(args.get("due_before")))

    def query(self, *, page: int, per_page: int) -> TaskQuery:
        """The service's query for these filters (due dates up to the end of the chosen day)."""
        due = (dt.datetime.combine(self.due_before, dt.time.max, tzinfo=dt.UTC)
               if self.due_before is not None else None)
        return TaskQuery(status=self.state, mine=self.mine, group=self.group or None, process=self.process or None,
                         supplier=self.supplier or None, amount_min=self.amount_min, amount_max=self.amount_max,
                         due_before=due, page=page, per_page=per_page)


def _decimal(raw: str | None) -> Decimal | None:
    try:
        return Decimal(raw.replace(",", ".")) if raw and raw.strip() else None
    except InvalidOperation:
        return None


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def page_of(session: Session, actor: Actor, filters: TaskFilters, *, page: int, per_page: int) -> TaskPage:
    """One page of the tasks the caller may see, as the API lists them."""
    return list_tasks(session, actor, filters.query(page=page, per_page=per_page))


def counts(session: Session, actor: Actor) -> dict[str, int]:
    """Open, mine, my groups' and done tasks the actor can see (each counted up to the list's cap)."""
    def total(**query: object) -> int:
        return list_tasks(session, actor, TaskQuery(per_page=1, **query)).total  # type: ignore[arg-type]

    return {"open": total(), "mine": total(mine=True), "groups": total(my_groups=True) if actor.groups else 0,
            "done": total(status="done")}


def process_keys(session: Session, environment_id: int) -> list[str]:
    """Process keys that have tasks (for the filter's choices)."""
    return list(session.scalars(select(HumanTask.process_key).where(HumanTask.environment_id == environment_id)
                                .distinct().order_by(HumanTask.process_key)))
