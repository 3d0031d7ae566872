"""A small per-data-version memo for derived frames (cubes, warning inputs, rectification states).

It lives on a `Tables` (see `Tables.memo`, `Facts.cubes`), so a new data version starts empty
and nothing stale can be served; it keeps the most recently used entries only, because each
entry is a frame and a long-running server sees many as-of dates.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class Memo:
    def __init__(self, kept: int = 16, on_wait: Callable[[Hashable], None] | None = None) -> None:
        """`on_wait(key)` is called when a caller starts waiting for another thread's build of
        `key`: a hook for tests, which must know the wait has begun before they let the first
        build finish (else they cannot tell waiting from arriving late)."""
        self.kept = kept
        self._on_wait = on_wait
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._building: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The entry for key, built on a miss. One build per key at a time: a caller missing a
        key that another thread is building waits for that build rather than repeating it (a
        cube of millions of rows built by twenty first sessions at once would cost twenty times
        the memory); unrelated keys never wait. A failed build lets the next caller try."""
        while True:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key]  # type: ignore[return-value]
                pending = self._building.get(key)
                if pending is None:
                    done = self._building[key] = threading.Event()
                    break
            if self._on_wait is not None:
                self._on_wait(key)
            pending.wait()
        try:
            value = build()
            with self._lock:
                self._entries[key] = value
                while len(self._entries) > self.kept:
                    self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._building[key]
            done.set()

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)
