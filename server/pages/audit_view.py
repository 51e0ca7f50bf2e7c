"""An audit entry as a reader takes it in: the action in words with what it was about ("Step completed:
Check order"), the data before and after as a list of changed fields (field: old -> new), and the chain
check as one sentence. The codes and raw JSON stay in the exports and the API (and, for admins, behind
"details" on the page)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from server.audit.models import AuditEvent
from server.audit.verify import VerifyResult
from server.pages.words import action_words, name_words, value_words

# Keys of `after` (or `before`) that name what an entry is about, in order of preference.
SUBJECT_KEYS = ("name", "login", "model", "filename", "member", "group", "role", "kind", "to")
SHORT = 160  # characters of a value shown before the rest folds away
HIDDEN = frozenset({"edge"})  # shown as "via", not as a changed field


@dataclasses.dataclass(frozen=True)
class Change:
    """One field of an entry: `old` and `new` in words (None when the field was not there on that side)."""

    field: str
    old: str | None
    new: str | None

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "same" if self.old == self.new else "changed"


@dataclasses.dataclass(frozen=True)
class EntryView:
    event: AuditEvent
    title: str
    changes: tuple[Change, ...]
    edge: str | None


def title(event: AuditEvent) -> str:
    """The action in the reader's language, with its subject when the entry names one."""
    words = action_words(event.action)
    subject = _subject(event.after) or _subject(event.before)
    if not subject and event.target_type in ("user", "group", "role", "model", "masterdata", "supplier"):
        subject = event.target_id
    return f"{words}: {subject}" if subject else words


def _subject(data: Any) -> str | None:
    if not isinstance(data, Mapping):
        return None
    for key in SUBJECT_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _flatten(data: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Nested objects become dotted fields (one level of nesting is what entries use); other values stay."""
    if not isinstance(data, Mapping):
        return {prefix: data} if prefix else {}
    flat: dict[tuple[str, ...], Any] = {}
    for key, value in data.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value and len(path) < 3:
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


def changes(before: Any, after: Any) -> tuple[Change, ...]:
    """Every field of before and after in words, in the order the entry wrote them, the edge left out."""
    old, new = _flatten(before), _flatten(after)
    order = list(old) + [path for path in new if path not in old]
    return tuple(Change(field=" › ".join(name_words(p) for p in path),
                        old=value_words(old[path]) if path in old else None,
                        new=value_words(new[path]) if path in new else None)
                 for path in order if path[0] not in HIDDEN)


def entry(event: AuditEvent) -> EntryView:
    edge = (event.after or {}).get("edge") if isinstance(event.after, Mapping) else None
    return EntryView(event=event, title=title(event), changes=changes(event.before, event.after),
                     edge=edge if isinstance(edge, str) else None)


def last_seq(result: VerifyResult) -> int | None:
    """The highest sequence number the check reached (None when the chain is empty)."""
    ends = [span[1] for chain in result.chains for span in (chain.legacy, chain.keyed) if span]
    return max(ends) if ends else None


def verdict(result: VerifyResult, *, at: dt.datetime) -> str:
    """The chain check as a sentence: how many entries, up to which sequence, when, and the outcome."""
    values = {"num": result.checked, "seq": last_seq(result) or 0, "time": at.strftime("%Y-%m-%d %H:%M:%S UTC")}
    if result.ok:
        return _("%(num)s entries checked up to sequence %(seq)s, at %(time)s: the chain is intact.", **values)
    broken = result.first_broken
    where = broken.seq if broken and broken.seq is not None else "?"
    return _("%(num)s entries checked up to sequence %(seq)s, at %(time)s: the chain is broken at entry "
             "%(broken)s (%(reason)s).", broken=where, reason=broken.reason if broken else "", **values)


def raw_json(event: AuditEvent) -> str:
    """Before and after as indented JSON, characters as they are (no \\u003c escapes; the page escapes HTML)."""
    return json.dumps({"before": event.before, "after": event.after}, ensure_ascii=False, indent=2, default=str)
