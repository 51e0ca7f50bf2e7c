"""Login throttling per client address: many failed logins from one address are refused for a while.

This complements the per-account lockout (5 failures lock one account): it stops one client from
guessing across many accounts. Counts live in the process; with several web processes each keeps
its own, so the effective limit is per process (a shared limit would need the database or a cache).
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

DEFAULT_LIMIT = 20
DEFAULT_WINDOW = 300.0


class LoginThrottle:
    """A sliding window of failed login times per client address."""

    def __init__(self, *, limit: int = DEFAULT_LIMIT, window: float = DEFAULT_WINDOW,
                 clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self._clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.setdefault(address, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None when it may try now."""
        now = self._clock()
        with self._lock:
            times = self._recent(address, now)
            if len(times) < self.limit:
                if not times:
                    self._failures.pop(address, None)
                return None
            return max(1, int(self.window - (now - times[0])) + 1)

    def failed(self, address: str) -> None:
        """Count one failed login from `address`."""
        now = self._clock()
        with self._lock:
            self._recent(address, now).append(now)
