"""The audit key: kept outside the database, it keys the chain (HMAC-SHA256) and signs checkpoints.

`STROOM_AUDIT_KEY` wins; otherwise `audit_key` in the instance directory, created on first start with
mode 0600 and reused after. Someone who can write the database but cannot read this key can no
longer recompute the chain after editing a row.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from server.settings import Settings

KEY_FILE = "audit_key"


def key_file(instance_dir: Path) -> bytes:
    """The key kept in the instance directory; created (0600, never overwritten) when missing."""
    path = instance_dir / KEY_FILE
    instance_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if not key:
            raise ValueError(f"{path} is empty; restore the audit key or set STROOM_AUDIT_KEY") from None
        return key.encode()
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key.encode()


def load_key(settings: Settings) -> bytes:
    """The audit key of this installation: STROOM_AUDIT_KEY, else the instance directory's key file."""
    if settings.audit_key:
        return settings.audit_key.encode()
    return key_file(settings.instance_dir)


def keyed_hash(key: bytes, message: str) -> str:
    """HMAC-SHA256 of the message under the audit key, as hex."""
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def same(left: str, right: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(left.encode(), right.encode())
