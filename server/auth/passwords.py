"""Argon2id password hashing (memory-hard), wrapped at one seam."""
from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.errors import InvalidInput

_HASHER = PasswordHasher()
MIN_PASSWORD = 10


def checked_password(value: Any) -> str:
    """The password a user is given (created or changed, through any edge), or InvalidInput `weak_password`."""
    if not isinstance(value, str) or len(value) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters", code="weak_password",
                           details=[{"field": "password", "message": f"at least {MIN_PASSWORD} characters"}])
    return value


def hash_password(password: str) -> str:
    """An Argon2id hash with a random salt."""
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; False for a missing or malformed hash."""
    if not stored:
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
