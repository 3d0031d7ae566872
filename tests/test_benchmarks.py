"""The benchmark harness runs end to end on a small city, and its three implementations of each
page agree (it refuses to report timings otherwise). No timing is asserted here."""
from __future__ import annotations

from datetime import date

import pytest

from benchmarks import __main__ as bench
from benchmarks.__main__ import _page_key, run
from queries import store


def _seconds(value) -> bool:
    """A reported duration: a number of seconds, whatever its size."""
    return isinstance(value, float) and value >= 0


def _page_figures(page: dict, compared: bool) -> bool:
    ours = all(_seconds(page[k]) for k in ("ours_ms_p50", "ours_ms_p95"))
    others = [page["pandas_ms_p50"], page["duckdb_ms_p50"]]
    return ours and (all(_seconds(v) for v in others) if compared else others == [None, None])


def test_harness_runs_and_the_implementations_agree():
    r = run(3000, runs=1)
    compared = {"overview", "map", "trends", "detail"}
    assert compared | {"overview_page", "map_page_all_levels", "trends_page", "warnings_page"} <= set(r["pages"])
    assert all(_page_figures(p, k in compared) for k, p in r["pages"].items()), r["pages"]
    assert r["cases"] > 2000 and r["complaints"] > r["cases"] and r["rectifications"] > 0
    assert all(_seconds(r[k]) for k in ("write_s", "load_s", "load_snapshot_s", "ready_s")), r
    assert r["app_peak_rss_mb"] > 0 and set(r["map_payload_kb"]) == {"district", "township", "village"}


def test_harness_refuses_to_time_implementations_that_disagree(monkeypatch):
    monkeypatch.setattr(bench, "cold_start", lambda url: dict.fromkeys(
        ("load_s", "peak_rss_mb", "reader_peak_rss_mb", "first_overview_ms", "first_warnings_ms", "ready_s"), 0.0))
    ours, pandas_fn, duck_fn = bench.PAGES["map"]
    monkeypatch.setitem(bench.PAGES, "map", (ours, lambda pdf, f: {"甲区": -1}, duck_fn))
    with pytest.raises(SystemExit, match="map: results differ between implementations"):
        run(300, runs=1)


def test_harness_measures_postgresql_and_the_pushdown_mode(pg_url):
    r = run(2000, runs=1, pg_url=pg_url)
    assert _seconds(r["pg_load_s"]) and _seconds(r["pg_write_s"])
    assert store.load_tables(pg_url).cases.height == r["cases"]  # the demo was written to PostgreSQL
    assert set(r["pushdown"]) == {"overview_page", "map_page_all_levels", "trends_series"}
    assert all(_page_figures(p, compared=False) for p in r["pushdown"].values()), r["pushdown"]


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
