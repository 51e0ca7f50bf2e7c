"""Argon2id at test-sized costs for the demo users that tests log in as.

A hash carries its own costs, so every later login with it verifies at those costs too: at the shipped costs
one login takes about 0.4 s of CPU, and the page tests log in a few hundred times. It is still Argon2id,
through the server's own verify; tests/security checks the shipped costs on a site that keeps them.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from argon2 import PasswordHasher

QUICK_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash


@contextmanager
def quick_password_hashes() -> Iterator[None]:
    """While the block runs, users created through server.auth.service get test-sized hashes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("server.auth.service.hash_password", QUICK_HASH)
        yield
