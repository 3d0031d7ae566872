"""The benchmark harness runs end to end on a small city, and its three implementations of each
page agree (it refuses to report timings otherwise). No timing is asserted here."""
from __future__ import annotations

from datetime import date

from benchmarks.__main__ import _page_key, run


def test_harness_runs_and_the_implementations_agree():
    r = run(3000, runs=1)
    assert set(r["pages"]) >= {"overview", "map", "trends", "overview_page"}
    assert r["cases"] > 2000 and r["load_s"] >= 0 and r["load_snapshot_s"] >= 0 and r["app_peak_rss_mb"] > 0
    assert {"overview_page", "map_page_all_levels", "trends_page", "warnings_page"} <= set(r["pages"])
    assert all(p["pandas_ms_p50"] is not None for k, p in r["pages"].items() if k in ("overview", "map", "trends", "detail"))


def test_harness_measures_postgresql_and_the_pushdown_mode(pg_url):
    r = run(2000, runs=1, pg_url=pg_url)
    assert r["pg_load_s"] >= 0 and r["pg_write_s"] > 0
    assert set(r["pushdown"]) == {"overview_page", "map_page_all_levels", "trends_series"}


def test_detail_pages_agree_when_rows_of_the_last_day_shown_are_tied_in_another_order():
    days = [date(2025, 3, 2), date(2025, 3, 1), date(2025, 3, 1)]
    a = _page_key(10, ["x", "y", "z"], days, ["甲区", "乙区", "乙区"])
    b = _page_key(10, ["x", "z", "y"], days, ["甲区", "乙区", "乙区"])
    assert a == b


def test_detail_pages_differ_when_an_earlier_row_or_the_count_differs():
    days = [date(2025, 3, 2), date(2025, 3, 1)]
    shown = _page_key(10, ["x", "y"], days, ["甲区", "乙区"])
    assert shown != _page_key(10, ["w", "y"], days, ["甲区", "乙区"])
    assert shown != _page_key(11, ["x", "y"], days, ["甲区", "乙区"])
    assert shown != _page_key(10, ["x", "y"], days, ["乙区", "乙区"])
