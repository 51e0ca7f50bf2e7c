"""Who is acting: passed explicitly to every service function (services never read flask.g)."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Actor:
    """A user, a token or the system, acting inside one environment."""

    kind: str  # user, token, system
    name: str
    environment_id: int
    user_id: int | None = None
    roles: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    @classmethod
    def system(cls, environment_id: int, name: str = "system") -> Actor:
        return cls(kind="system", name=name, environment_id=environment_id,
                   roles=frozenset({"admin", "designer", "user"}))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))
