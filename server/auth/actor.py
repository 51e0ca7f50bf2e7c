"""Actor, where most code imports it from; it lives in server.actor, below auth and audit (both use it)."""
from __future__ import annotations

from server.actor import Actor

__all__ = ["Actor"]
