"""A small per-data-version memo for derived frames (warning inputs, rectification states).

It lives on a `Tables` (see `Tables.memo`), so a new data version starts empty and nothing
stale can be served; it keeps the most recently used entries only, because each entry is a
frame and a long-running server sees many as-of dates.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class Memo:
    def __init__(self, kept: int = 16) -> None:
        self.kept = kept
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The entry for key, built on a miss. Built outside the lock: two sessions missing the
        same key at once both build it (same result), and neither blocks unrelated keys."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]  # type: ignore[return-value]
        value = build()
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.kept:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)
