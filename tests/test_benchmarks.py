"""The benchmark harness runs end to end on a small city, and its three implementations of each
page agree (it refuses to report timings otherwise). No timing is asserted here."""
from __future__ import annotations

from benchmarks.__main__ import run


def test_harness_runs_and_the_implementations_agree():
    r = run(3000, runs=1)
    assert set(r["pages"]) >= {"overview", "map", "trends", "overview_page"}
    assert r["cases"] > 2000 and r["load_s"] >= 0 and r["load_snapshot_s"] >= 0 and r["app_peak_rss_mb"] > 0
    assert {"overview_page", "map_page_all_levels", "trends_page", "warnings_page"} <= set(r["pages"])
    assert all(p["pandas_ms_p50"] is not None for k, p in r["pages"].items() if k in ("overview", "map", "trends"))


def test_harness_measures_postgresql_and_the_pushdown_mode(pg_url):
    r = run(2000, runs=1, pg_url=pg_url)
    assert r["pg_load_s"] >= 0 and r["pg_write_s"] > 0
    assert set(r["pushdown"]) == {"overview_page", "map_page_all_levels", "trends_series"}
