"""The per-data-version memo: built once per key, least recently used dropped first."""
from __future__ import annotations

from queries.memo import Memo


def test_a_key_is_built_once():
    memo, calls = Memo(), []
    assert memo.get("k", lambda: calls.append(1) or "v") == "v"
    assert memo.get("k", lambda: calls.append(1) or "other") == "v"
    assert calls == [1]


def test_the_least_recently_used_entry_is_dropped_first():
    memo = Memo(kept=2)
    memo.get("a", lambda: 1)
    memo.get("b", lambda: 2)
    memo.get("a", lambda: 0)      # a is now the most recent
    memo.get("c", lambda: 3)      # drops b
    assert len(memo) == 2
    assert memo.get("a", lambda: -1) == 1
    assert memo.get("b", lambda: -2) == -2
