"""The service tasks Stroom ships, by name. Areas add theirs in `default_services()`."""
from __future__ import annotations

import importlib
from typing import Any

from server.engine import ServiceCall, ServiceRegistry

# Modules exposing `services() -> dict[str, callable]`; imported lazily so the engine stays lean.
SERVICE_MODULES: tuple[str, ...] = (
    "server.mail.service",
    "server.invoices.steps",
)


def _log(call: ServiceCall) -> dict[str, Any]:
    """A no-op service that records its parameters (useful in tests and drafts)."""
    return {"logged": dict(call.params)}


def default_services() -> ServiceRegistry:
    """A fresh registry with every shipped service."""
    registry = ServiceRegistry({"log": _log})
    for name in SERVICE_MODULES:
        for service_name, func in importlib.import_module(name).services().items():
            registry.register(service_name, func)
    return registry
