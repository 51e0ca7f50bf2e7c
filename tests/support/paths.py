"""Where the tests find the shared corpus of real files (never copied into this repository)."""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """`../shared` beside the repository, else STROOM_SHARED_DIR, else /work/shared."""
    candidates = [Path(os.environ["STROOM_SHARED_DIR"])] if os.environ.get("STROOM_SHARED_DIR") else []
    candidates += [REPO.parent / "shared", Path("/work/shared")]
    for candidate in candidates:
        if (candidate / "corpus").is_dir():
            return candidate
    raise RuntimeError(f"the shared corpus is missing; looked in {', '.join(map(str, candidates))}")


CORPUS = shared_dir() / "corpus"
RULES = shared_dir() / "rules"
