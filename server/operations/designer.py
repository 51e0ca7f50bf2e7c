"""The designer's read-only helpers: what a process designer may pick from while drawing."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from server.auth.actor import Actor
from server.auth.permissions import require
from server.engine.element_templates import element_templates as build_templates

if TYPE_CHECKING:
    from server.host import Host


@dataclasses.dataclass(frozen=True)
class ElementTemplates:
    """The Camunda 7 element templates of the host's services, ready to serve as JSON."""

    templates: tuple[dict[str, Any], ...]


def element_templates(host: Host, *, actor: Actor) -> ElementTemplates:
    """One template per registered service; anyone who may read models may read them."""
    require(actor, "models.read")
    return ElementTemplates(tuple(build_templates(host.services)))
