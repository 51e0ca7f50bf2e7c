"""The default transport: each message as an .eml file in the outbox folder, written atomically."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write(folder: Path, name: str, message: bytes) -> Path:
    """Write `message` to folder/name so readers never see half a file; a retry overwrites the same file."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(message)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
