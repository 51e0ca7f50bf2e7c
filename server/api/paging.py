"""The one paging style of /api/v1 lists: `limit` + opaque `cursor` in, `next_cursor` out.

A cursor is base64url text the client hands back unchanged; what it holds (an offset or the last id
seen) is the list's own business, so a list can change how it pages without changing its callers.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Sequence
from typing import TypeVar

from flask import request

from server.errors import InvalidInput

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclasses.dataclass(frozen=True)
class Paging:
    """`limit` (1..maximum) and the raw `cursor` of the request (None on the first page)."""

    limit: int
    cursor: str | None

    def position(self) -> int | None:
        """The number the cursor holds (an offset or a last id); None on the first page."""
        return None if self.cursor is None else decode(self.cursor)

    def offset(self) -> int:
        """The cursor as an offset into the list (0 on the first page)."""
        return self.position() or 0


def paging(*, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> Paging:
    """`limit` and `cursor` of the current request; InvalidInput naming the bad parameter."""
    raw = request.args.get("limit", "")
    if raw == "":
        limit = default
    elif not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise InvalidInput(f"limit must be an integer from 1 to {maximum}", code="invalid_query",
                           details=[{"field": "limit", "message": f"must be 1 to {maximum}"}])
    else:
        limit = int(raw)
    cursor = request.args.get("cursor") or None
    page = Paging(limit, cursor)
    page.position()  # a cursor that does not decode is refused now, not deep in a query
    return page


def encode(position: int) -> str:
    """The opaque cursor for `position`."""
    return base64.urlsafe_b64encode(f"p{position}".encode("ascii")).decode("ascii").rstrip("=")


def decode(cursor: str) -> int:
    """The position in a cursor made by `encode`; InvalidInput for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    if len(text) < 2 or text[0] != "p" or not text[1:].isdigit() or len(text) > 20:
        raise InvalidInput("cursor is not a cursor this list gave out", code="invalid_cursor",
                           details=[{"field": "cursor", "message": "use next_cursor of the previous page"}])
    return int(text[1:])


def next_offset(page: Paging, *, returned: int, more: bool) -> str | None:
    """`next_cursor` of an offset-paged list that returned `returned` rows (None on the last page)."""
    return encode(page.offset() + returned) if more and returned else None


def slice_of(items: Sequence[T], page: Paging) -> tuple[list[T], str | None]:
    """One page of a short, fully loaded list (users, groups, tokens ...) and its next cursor."""
    start = page.offset()
    chunk = list(items[start:start + page.limit])
    return chunk, next_offset(page, returned=len(chunk), more=start + len(chunk) < len(items))
