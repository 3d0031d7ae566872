"""The per-data-version memo: built once per key (also across threads), least recently used
dropped first."""
from __future__ import annotations

import threading

import pytest

from queries.memo import Memo
from tests.waiting import DEADLINE_S, wait_until


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
    started, release, waiting = threading.Event(), threading.Event(), threading.Event()
    memo, calls = Memo(on_wait=lambda key: waiting.set()), []

    def slow():
        calls.append("first")
        started.set()
        release.wait()
        return "v"

    first = threading.Thread(target=memo.get, args=("k", slow), daemon=True)
    first.start()
    assert started.wait(DEADLINE_S)
    got = []
    second = threading.Thread(target=lambda: got.append(memo.get("k", lambda: calls.append("second") or "w")),
                              daemon=True)
    second.start()
    try:
        # The first build is held until the second caller is known to wait for it; a memo that
        # let the second build its own would never call on_wait and return "w" instead.
        wait_until(lambda: waiting.is_set() or not second.is_alive())
        assert waiting.is_set(), "the second caller did not wait for the first build"
    finally:
        release.set()
    first.join(DEADLINE_S)
    second.join(DEADLINE_S)
    assert (calls, got) == (["first"], ["v"])


def test_other_keys_do_not_wait_for_a_build():
    memo, started, release = Memo(), threading.Event(), threading.Event()
    first = threading.Thread(target=memo.get, args=("slow", lambda: started.set() or release.wait()), daemon=True)
    first.start()
    assert started.wait(DEADLINE_S)
    got: list[int] = []
    quick = threading.Thread(target=lambda: got.append(memo.get("quick", lambda: 1)), daemon=True)
    quick.start()
    try:
        # The slow build is never released while "quick" runs: if unrelated keys waited for it,
        # "quick" could only finish after the release below.
        quick.join(DEADLINE_S)
        assert got == [1]
    finally:
        release.set()
    first.join(DEADLINE_S)
    assert memo.get("slow", lambda: "again") is True


def test_a_failed_build_is_not_kept_and_the_next_caller_builds():
    memo = Memo()
    with pytest.raises(ValueError):
        memo.get("k", lambda: (_ for _ in ()).throw(ValueError("bad")))
    assert "k" not in memo
    assert memo.get("k", lambda: 2) == 2
