"""The per-data-version memo: built once per key (also across threads), least recently used
dropped first."""
from __future__ import annotations

import threading

import pytest

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


def test_a_key_being_built_is_waited_for_not_built_again():
    memo, calls, started, release = Memo(), [], threading.Event(), threading.Event()

    def slow():
        calls.append("first")
        started.set()
        release.wait(5)
        return "v"

    first = threading.Thread(target=memo.get, args=("k", slow))
    first.start()
    started.wait(5)
    got = []
    second = threading.Thread(target=lambda: got.append(memo.get("k", lambda: calls.append("second") or "w")))
    second.start()
    second.join(0.2)
    assert second.is_alive()  # waiting on the first build
    release.set()
    first.join(5)
    second.join(5)
    assert (calls, got) == (["first"], ["v"])


def test_other_keys_do_not_wait_for_a_build():
    memo, started, release = Memo(), threading.Event(), threading.Event()
    first = threading.Thread(target=memo.get, args=("slow", lambda: started.set() or release.wait(5)))
    first.start()
    started.wait(5)
    assert memo.get("quick", lambda: 1) == 1
    release.set()
    first.join(5)


def test_a_failed_build_is_not_kept_and_the_next_caller_builds():
    memo = Memo()
    with pytest.raises(ValueError):
        memo.get("k", lambda: (_ for _ in ()).throw(ValueError("bad")))
    assert "k" not in memo
    assert memo.get("k", lambda: 2) == 2
