"""The task list's filters as a query string gives them (the page's form, a saved filter), turned into the
list's query.

Who may see what lives in one place, `server.tasks.listing`; this module only reads the filters. The web
list reads them leniently (a bad amount is no filter); a saved filter is read strictly (a bad amount is
refused with the field named), so what is stored always means what it says.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from server.errors import InvalidInput
from server.tasks.listing import TaskQuery

STATES = ("open", "done", "all")
TEXT_FIELDS = ("group", "process", "supplier")
FIELDS = ("state", "mine", "group", "process", "supplier", "amount_min", "amount_max", "due_before")
TEXT_MAX = 200


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
        """The filters of a query string; values that do not parse are no filter."""
        state = args.get("state", "open")
        return cls(state=state if state in STATES else "open", mine=args.get("mine") == "1",
                   group=args.get("group", "").strip(), process=args.get("process", "").strip(),
                   supplier=args.get("supplier", "").strip(), amount_min=_decimal(args.get("amount_min")),
                   amount_max=_decimal(args.get("amount_max")), due_before=_date(args.get("due_before")))

    @classmethod
    def strict(cls, args: Mapping[str, Any]) -> TaskFilters:
        """The filters of a saved filter; InvalidInput naming every unknown field and value that does not parse."""
        bad = [{"field": str(k), "message": "not a task list filter"} for k in args if k not in FIELDS]
        text = {k: ("" if v is None else str(v) if isinstance(v, (str, int, float, bool)) else None)
                for k, v in args.items() if k in FIELDS}
        bad += [{"field": k, "message": "must be text"} for k, v in text.items() if v is None]
        clean = {k: v.strip() for k, v in text.items() if v is not None}
        if clean.get("state", "open") not in STATES:
            bad.append({"field": "state", "message": "must be open, done or all"})
        if clean.get("mine", "") not in ("", "0", "1", "True", "False"):
            bad.append({"field": "mine", "message": "must be 1 or 0"})
        bad += [{"field": k, "message": "must be a number"} for k in ("amount_min", "amount_max")
                if clean.get(k) and _decimal(clean[k]) is None]
        if clean.get("due_before") and _date(clean["due_before"]) is None:
            bad.append({"field": "due_before", "message": "must be a date (YYYY-MM-DD)"})
        bad += [{"field": k, "message": f"must be at most {TEXT_MAX} characters without NUL"} for k in TEXT_FIELDS
                if len(clean.get(k, "")) > TEXT_MAX or "\x00" in clean.get(k, "")]
        if bad:
            raise InvalidInput("invalid task list filters", code="invalid_filter", details=bad)
        clean["mine"] = "1" if clean.get("mine") in ("1", "True") else ""
        return cls.from_args(clean)

    def to_args(self) -> dict[str, str]:
        """The query string of these filters, only what differs from the default list (stored, and in links)."""
        values = {"state": self.state if self.state != "open" else "", "mine": "1" if self.mine else "",
                  "group": self.group, "process": self.process, "supplier": self.supplier,
                  "amount_min": "" if self.amount_min is None else str(self.amount_min),
                  "amount_max": "" if self.amount_max is None else str(self.amount_max),
                  "due_before": self.due_before.isoformat() if self.due_before else ""}
        return {k: v for k, v in values.items() if v}

    def query(self, *, page: int, per_page: int) -> TaskQuery:
        """The service's query for these filters (due dates up to the end of the chosen day)."""
        due = (dt.datetime.combine(self.due_before, dt.time.max, tzinfo=dt.UTC)
               if self.due_before is not None else None)
        return TaskQuery(status=self.state, mine=self.mine, group=self.group or None, process=self.process or None,
                         supplier=self.supplier or None, amount_min=self.amount_min, amount_max=self.amount_max,
                         due_before=due, page=page, per_page=per_page)


def _decimal(raw: str | None) -> Decimal | None:
    try:
        value = Decimal(raw.replace(",", ".")) if raw and raw.strip() else None
    except InvalidOperation:
        return None
    return value if value is not None and value.is_finite() else None


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
