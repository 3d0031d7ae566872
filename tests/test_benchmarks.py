"""The benchmark harness runs end to end on a small city, and its three implementations of each
page agree (it refuses to report timings otherwise). No timing is asserted here."""
from __future__ import annotations

from benchmarks.__main__ import run


def test_harness_runs_and_the_implementations_agree():
    r = run(3000, runs=1)
    assert set(r["pages"]) >= {"overview", "map", "trends", "warnings", "detail_export"}
    assert r["cases"] > 2000 and r["load_s"] >= 0
    assert all(p["pandas_ms_p50"] is not None for k, p in r["pages"].items() if k in ("overview", "map", "trends"))
