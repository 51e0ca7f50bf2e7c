"""Compiled models cached per version id: a version never changes once deployed."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from server.engine import CompiledModel

_MAX = 64


class ModelCache:
    """A small thread-safe LRU of compiled model versions."""

    def __init__(self, maximum: int = _MAX):
        self._items: OrderedDict[int, CompiledModel] = OrderedDict()
        self._lock = threading.Lock()
        self._maximum = maximum

    def get(self, version_id: int, build: Callable[[], CompiledModel]) -> CompiledModel:
        with self._lock:
            model = self._items.get(version_id)
            if model is not None:
                self._items.move_to_end(version_id)
                return model
        model = build()
        with self._lock:
            self._items[version_id] = model
            while len(self._items) > self._maximum:
                self._items.popitem(last=False)
        return model

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
