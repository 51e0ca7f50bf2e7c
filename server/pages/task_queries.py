"""The web task list's filters as the page's query string gives them, turned into the list verb's query.

Who may see what lives in one place, `server.tasks.listing` (through `server.operations.tasks`); this
module only parses the page's form.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from server.tasks.listing import TaskQuery


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
