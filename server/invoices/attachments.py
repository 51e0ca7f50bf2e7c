"""The embedded attachments of an invoice, numbered from 1 on every edge (API, task page)."""
from __future__ import annotations

import re

from server.invoices.safexml import DocumentError
from server.invoices.ubl import parse_invoice
from server.invoices.ubl_types import Attachment

FIRST_NUMBER = 1
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def embedded(content: bytes) -> list[Attachment]:
    """The attachments whose bytes are in the document (references to outside files are left out)."""
    try:
        parsed = parse_invoice(content, max_bytes=max(len(content), 1))
    except DocumentError:
        return []
    return [a for a in parsed.attachments if a.content]


def numbered(content: bytes, number: int) -> Attachment | None:
    """Attachment `number` (1 is the first), or None when there is no such attachment."""
    found = embedded(content)
    index = number - FIRST_NUMBER
    return found[index] if 0 <= index < len(found) else None


def download_name(attachment: Attachment, number: int) -> str:
    """A filename safe for a Content-Disposition header."""
    name = SAFE_NAME.sub("_", attachment.filename or attachment.id or "")[:100].strip("._")
    if not name:
        name = f"attachment-{number}"
    if attachment.mime_type == "application/pdf" and not name.lower().endswith(".pdf"):
        name += ".pdf"
    return name
