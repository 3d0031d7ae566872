"""The background warm-up: it leaves behind exactly what the landing pages read, and pages
asking meanwhile share its builds instead of repeating them."""
from __future__ import annotations

import threading
import time

from queries import boards, metrics, warmup
from queries import facts as facts_module
from queries import warnings as W
from queries.filters import Filters, Scope
from queries.schema import Tables
from queries.warnings_config import WarningConfig
from tests import fixtures as fx

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


def test_the_compact_copies_are_built_once_when_sessions_ask_together(monkeypatch):
    calls = []
    real = facts_module.build

    def slow_build(tables):
        calls.append(1)
        time.sleep(0.2)  # long enough for every thread to ask while the first build runs
        return real(tables)

    monkeypatch.setattr(facts_module, "build", slow_build)
    t: Tables = fx.tables()
    got: list = []
    threads = [threading.Thread(target=lambda: got.append(t.facts)) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(calls) == 1
    assert len({id(f) for f in got}) == 1
