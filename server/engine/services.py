"""Service tasks dispatch to Python callables registered by name."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any


@dataclasses.dataclass(frozen=True)
class ServiceCall:
    """What a service callable receives: its parameters, the instance data and the host's context."""

    name: str
    params: Mapping[str, Any]
    data: Mapping[str, Any]
    element_id: str
    context: Any = None


ServiceFunc = Callable[[ServiceCall], Any]


class ServiceRegistry:
    """Name -> callable. Built in a function by the host; never a module-level mutable default."""

    def __init__(self, services: Mapping[str, ServiceFunc] | None = None):
        self._services: dict[str, ServiceFunc] = dict(services or {})

    def register(self, name: str, func: ServiceFunc) -> None:
        self._services[name] = func

    def get(self, name: str) -> ServiceFunc | None:
        return self._services.get(name)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._services)

    def merged(self, others: Iterable[tuple[str, ServiceFunc]]) -> ServiceRegistry:
        """A copy with more services added (tests add their own without touching the host's)."""
        copy = ServiceRegistry(self._services)
        for name, func in others:
            copy.register(name, func)
        return copy
