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


@dataclasses.dataclass(frozen=True)
class ServiceParam:
    """One parameter of a service task, written as a camunda:property whose value is a FEEL expression.

    `kind` is what the designer types: `expression` (any FEEL), `string` (a FEEL string literal such as
    `"reminder"`), `choice` (one of `choices`, each a FEEL literal) or `recipients` (a FEEL string of
    `user:`, `group:`, `role:` specs or `invoice`)."""

    name: str
    label: str
    kind: str = "expression"
    required: bool = False
    description: str = ""
    choices: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class ServiceInfo:
    """What a designer sees of a service: its label, a sentence and its typed parameters."""

    label: str
    description: str = ""
    params: tuple[ServiceParam, ...] = ()


def describe(label: str, *, description: str = "", params: tuple[ServiceParam, ...] = ()
             ) -> Callable[[ServiceFunc], ServiceFunc]:
    """Decorator: attach a ServiceInfo to a service callable (read by ServiceRegistry.info)."""
    def attach(func: ServiceFunc) -> ServiceFunc:
        func.service_info = ServiceInfo(label, description, params)  # type: ignore[attr-defined]
        return func
    return attach


class ServiceRegistry:
    """Name -> callable. Built in a function by the host; never a module-level mutable default."""

    def __init__(self, services: Mapping[str, ServiceFunc] | None = None):
        self._services: dict[str, ServiceFunc] = dict(services or {})

    def register(self, name: str, func: ServiceFunc) -> None:
        self._services[name] = func

    def get(self, name: str) -> ServiceFunc | None:
        return self._services.get(name)

    def info(self, name: str) -> ServiceInfo:
        """The service's description; one made from its name and docstring when it has none."""
        func = self._services[name]
        found = getattr(func, "service_info", None)
        if isinstance(found, ServiceInfo):
            return found
        doc = (func.__doc__ or "").strip().splitlines()
        return ServiceInfo(name.replace("_", " ").capitalize(), doc[0] if doc else "")

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._services)

    def merged(self, others: Iterable[tuple[str, ServiceFunc]]) -> ServiceRegistry:
        """A copy with more services added (tests add their own without touching the host's)."""
        copy = ServiceRegistry(self._services)
        for name, func in others:
            copy.register(name, func)
        return copy
