"""The sandbox's limits, read from STROOM_SCRIPT_* environment variables (see README, Configuration)."""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

from server.sandbox.errors import SandboxError


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one script may use; a worker that breaks a limit is killed and replaced."""

    cpu_seconds: int = 2
    wall_seconds: float = 5.0
    memory_mb: int = 256
    output_kb: int = 1024
    workers: int = 2
    jobs_per_worker: int = 200
    user: str = ""  # when the server runs as root: the account workers run as (empty: no switch)

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 1024 * 1024

    @property
    def output_bytes(self) -> int:
        return self.output_kb * 1024


_VARIABLES: dict[str, tuple[str, type, float]] = {
    # variable: (field, type, smallest allowed)
    "STROOM_SCRIPT_CPU_SECONDS": ("cpu_seconds", int, 1),
    "STROOM_SCRIPT_WALL_SECONDS": ("wall_seconds", float, 0.1),
    "STROOM_SCRIPT_MEMORY_MB": ("memory_mb", int, 64),
    "STROOM_SCRIPT_OUTPUT_KB": ("output_kb", int, 1),
    "STROOM_SCRIPT_WORKERS": ("workers", int, 1),
    "STROOM_SCRIPT_JOBS_PER_WORKER": ("jobs_per_worker", int, 1),
}


def from_environ(environ: Mapping[str, str] | None = None) -> Limits:
    """Limits from the environment, defaults where unset; SandboxError naming a bad variable."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for variable, (field, kind, smallest) in _VARIABLES.items():
        raw = env.get(variable, "").strip()
        if not raw:
            continue
        try:
            value = kind(raw)
        except ValueError:
            raise SandboxError(f"{variable}={raw!r} is not a number") from None
        if value < smallest:
            raise SandboxError(f"{variable} must be at least {smallest}")
        values[field] = value
    values["user"] = env.get("STROOM_SCRIPT_USER", "").strip()
    return Limits(**values)  # type: ignore[arg-type]
