"""The background warm-up: it leaves behind exactly what the landing pages read, and pages
asking meanwhile share its builds instead of repeating them."""
from __future__ import annotations

import threading

from queries import boards, metrics, schema, warmup
from queries import facts as facts_module
from queries import warnings as W
from queries.filters import Filters, Scope
from queries.schema import Tables
from queries.warnings_config import WarningConfig
from tests import fixtures as fx
from tests.waiting import DEADLINE_S, wait_until

CFG = WarningConfig()


def test_prepare_leaves_the_landing_pages_cubes_and_warning_inputs():
    t = fx.tables()
    warmup.prepare(t, fx.AS_OF, CFG)
    for key in (("complaints", "received_on"), ("complaints", "received_on", "day"),
                ("rectifications", "due_on", "month")):
        assert key in t.facts.cubes, key
    assert ("warning_candidates", fx.AS_OF, CFG) in t.memo
    assert ("rect_cube", fx.AS_OF) in t.memo


def test_a_page_after_prepare_reads_its_frames_and_gets_the_same_answers():
    cold, warm = fx.tables(), fx.tables()
    warmup.prepare(warm, fx.AS_OF, CFG)
    cube = warm.facts.cubes.get(("complaints", "received_on"), lambda: None)
    f = Filters(*fx.MARCH)
    assert metrics.compare(warm, f, Scope(), fx.AS_OF) == metrics.compare(cold, f, Scope(), fx.AS_OF)
    assert W.evaluate(warm, f, Scope(), fx.AS_OF, CFG).equals(W.evaluate(cold, f, Scope(), fx.AS_OF, CFG))
    assert boards.slow_townships(warm, f, Scope(), fx.AS_OF, CFG).equals(
        boards.slow_townships(cold, f, Scope(), fx.AS_OF, CFG))
    assert warm.facts.cubes.get(("complaints", "received_on"), lambda: None) is cube  # not rebuilt


class _CountingLock:
    """`Tables`' derived-frame lock, counting the threads that have asked for it: the test holds
    the first build until every thread is at the lock, so all of them ask while it runs."""

    def __init__(self) -> None:
        self._lock, self._guard, self.arrived = threading.RLock(), threading.Lock(), 0

    def __enter__(self) -> None:
        with self._guard:
            self.arrived += 1
        self._lock.acquire()

    def __exit__(self, *exc) -> None:
        self._lock.release()


def test_the_compact_copies_are_built_once_when_sessions_ask_together(monkeypatch):
    calls, started, release = [], threading.Event(), threading.Event()
    real = facts_module.build

    def held_build(tables):
        calls.append(1)
        started.set()
        release.wait()
        return real(tables)

    lock = _CountingLock()
    monkeypatch.setattr(facts_module, "build", held_build)
    monkeypatch.setattr(schema, "_DERIVED_LOCK", lock)
    t: Tables = fx.tables()
    got: list = []
    threads = [threading.Thread(target=lambda: got.append(t.facts), daemon=True) for _ in range(8)]
    threads[0].start()
    try:
        assert started.wait(DEADLINE_S)
        for th in threads[1:]:
            th.start()
        # Each thread counts itself before it blocks on the lock, so the other seven have asked
        # (and none has found the copies built) before the first build may finish.
        wait_until(lambda: lock.arrived == 8 or len(calls) > 1)
        assert lock.arrived == 8, f"{len(calls)} builds"
    finally:
        release.set()
    for th in threads:
        th.join(DEADLINE_S)
    assert len(calls) == 1
    assert len(got) == 8 and len({id(f) for f in got}) == 1
