"""Trends: series at each granularity, 同比 across a leap February, composition, the funnel,
handling times, anomalies (one spike found, a flat series quiet), and the page's controls."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard import charts_trends as ct
from queries import metrics, store, trends
from queries.filters import Filters, Scope
from queries.schema import Tables
from tests import fixtures as fx
from tests.apptest import open_tab, signed_in

D = date


def test_quarterly_series_sums_months_and_recomputes_rates():
    t = fx.tables()
    q = metrics.series(t, Filters(D(2024, 1, 1), D(2024, 6, 30)), Scope(), fx.AS_OF,
                       ["cases_filed", "closure_rate"], "3mo")
    # Q1: c1, c2, c3 filed; complaints q1–q5 received, q1, q2, q5 closed by 31 Mar -> 3/5.
    assert q.to_dicts() == [{"period": D(2024, 1, 1), "cases_filed": 3, "closure_rate": 0.6},
                            {"period": D(2024, 4, 1), "cases_filed": 0, "closure_rate": None}]


def test_yearly_series_has_a_bucket_per_year_with_zeros():
    y = metrics.series(fx.tables(), Filters(D(2022, 1, 1), D(2024, 12, 31)), Scope(), fx.AS_OF, ["cases_filed"], "1y")
    assert y["cases_filed"].to_list() == [0, 1, 3]


def test_year_on_year_of_a_leap_february_compares_with_february_28_days():
    t = Tables.from_dicts(cases={"case_id": ["a", "b", "c"], "region_code": [fx.V_A1a] * 3,
                                 "filed_on": [D(2024, 2, 29), D(2023, 2, 28), D(2023, 3, 1)]},
                          regions=fx.REGIONS)
    got = trends.with_last_year(t, Filters(D(2024, 2, 1), D(2024, 2, 29)), Scope(), D(2024, 2, 29), "cases_filed")
    assert got.select("period", "value", "last_year", "yoy_change").rows() == [(D(2024, 2, 1), 1, 1, 0.0)]


def test_month_on_month_change_is_against_the_previous_bucket():
    got = trends.with_last_year(fx.tables(), Filters(D(2024, 1, 1), D(2024, 3, 31)), Scope(), fx.AS_OF,
                                "complaints_received")
    assert got["value"].to_list() == [0, 1, 4]
    assert got["prev_change"].to_list() == [None, None, 3.0]  # from 0 no ratio; 1 -> 4 is +300 %


# Cases: 3 on 1–2 Nov and 2 later in November, 1 on 1–2 Dec; last year 4 on 1–2 Dec and 6 after.
PARTIAL = Tables.from_dicts(cases={
    "case_id": [f"c{i}" for i in range(16)], "region_code": [fx.V_A1a] * 16,
    "filed_on": [D(2026, 11, 1), D(2026, 11, 2), D(2026, 11, 2), D(2026, 11, 3), D(2026, 11, 30), D(2026, 12, 2),
                 D(2025, 12, 1), D(2025, 12, 1), D(2025, 12, 2), D(2025, 12, 2)] + [D(2025, 12, 20)] * 6},
    regions=fx.REGIONS)


def test_partial_month_is_flagged_and_counted_to_as_of():
    got = trends.with_last_year(PARTIAL, Filters(D(2026, 11, 1), D(2026, 12, 2)), Scope(), D(2026, 12, 2),
                                "cases_filed")
    assert got.select("period", "value", "partial", "partial_to").rows() == [
        (D(2026, 11, 1), 5, False, None), (D(2026, 12, 1), 1, True, D(2026, 12, 2))]


def test_partial_month_on_month_compares_the_same_elapsed_days():
    got = trends.with_last_year(PARTIAL, Filters(D(2026, 11, 1), D(2026, 12, 2)), Scope(), D(2026, 12, 2),
                                "cases_filed")
    assert got["prev_change"][1] == pytest.approx((1 - 3) / 3)  # 1–2 Dec (1) against 1–2 Nov (3), not all Nov (5)


def test_partial_month_year_on_year_compares_the_same_days_even_for_a_longer_chosen_period():
    got = trends.with_last_year(PARTIAL, Filters(D(2026, 11, 1), D(2026, 12, 31)), Scope(), D(2026, 12, 2),
                                "cases_filed")
    assert got["last_year"][1] == 4 and got["yoy_change"][1] == pytest.approx(-0.75)  # 1–2 Dec 2025, not 10


def test_a_rate_in_a_partial_month_is_immature_not_a_fall():
    t = Tables.from_dicts(complaints={
        "complaint_id": ["a", "b"], "region_code": [fx.V_A1a] * 2, "received_on": [D(2026, 11, 5), D(2026, 12, 1)],
        "due_on": [D(2026, 11, 20), D(2026, 12, 16)], "closed_on": [D(2026, 11, 10), None]}, regions=fx.REGIONS)
    got = trends.with_last_year(t, Filters(D(2026, 11, 1), D(2026, 12, 2)), Scope(), D(2026, 12, 2), "closure_rate")
    assert got.select("value", "immature", "prev_change").rows() == [(1.0, False, None), (None, True, None)]


def test_a_finished_month_with_complaints_not_yet_due_has_an_immature_closure_rate():
    # November is over on 2 Dec, but its complaint of 25 Nov is due only on 10 Dec.
    t = Tables.from_dicts(complaints={
        "complaint_id": ["a", "b", "c"], "region_code": [fx.V_A1a] * 3,
        "received_on": [D(2026, 10, 5), D(2026, 11, 3), D(2026, 11, 25)],
        "due_on": [D(2026, 10, 20), D(2026, 11, 18), D(2026, 12, 10)],
        "closed_on": [D(2026, 10, 10), D(2026, 11, 10), None]}, regions=fx.REGIONS)
    got = trends.with_last_year(t, Filters(D(2026, 10, 1), D(2026, 11, 30)), Scope(), D(2026, 12, 2), "closure_rate")
    assert got.select("value", "partial", "immature").rows() == [(1.0, False, False), (None, False, True)]


def test_a_complete_last_month_is_not_partial():
    got = trends.with_last_year(PARTIAL, Filters(D(2026, 11, 1), D(2026, 11, 30)), Scope(), D(2026, 11, 30),
                                "cases_filed")
    assert got["partial"].to_list() == [False]


def test_partial_quarter_compares_with_the_same_days_of_last_year():
    got = trends.with_last_year(PARTIAL, Filters(D(2026, 10, 1), D(2026, 12, 2)), Scope(), D(2026, 12, 2),
                                "cases_filed", "3mo")
    assert got.select("value", "last_year", "partial").rows() == [(6, 4, True)]


def test_partial_year_compares_with_last_year_to_the_same_day():
    got = trends.with_last_year(PARTIAL, Filters(D(2026, 1, 1), D(2026, 12, 2)), Scope(), D(2026, 12, 2),
                                "cases_filed", "1y")
    assert got.select("value", "last_year", "partial", "partial_to").rows() == [(6, 4, True, D(2026, 12, 2))]


def test_partial_bar_is_light_hatched_and_labelled_to_the_day():
    df = trends.with_last_year(PARTIAL, Filters(D(2026, 11, 1), D(2026, 12, 2)), Scope(), D(2026, 12, 2),
                               "cases_filed")
    bars = ct.trend_with_last_year(df, "1mo", "zh", "count", "本期", "去年同期", "立案数").data[0]
    assert list(bars.x) == ["2026年11月", "2026年12月（截至2日）"]
    assert list(bars.marker.opacity) == [1.0, ct.PARTIAL_OPACITY] and list(bars.marker.pattern.shape) == ["", "/"]


def test_last_years_same_days_are_an_open_marker_not_a_plunge_of_the_line():
    df = trends.with_last_year(PARTIAL, Filters(D(2026, 11, 1), D(2026, 12, 2)), Scope(), D(2026, 12, 2),
                               "cases_filed")
    fig = ct.trend_with_last_year(df, "1mo", "zh", "count", "本期", "去年同期", "立案数")
    line, marker = fig.data[1], fig.data[2]
    assert list(line.y) == [0, None] and list(marker.y) == [None, 4]
    assert (marker.mode, marker.name) == ("markers", "去年同期（相同天数）")


def test_partial_label_reads_in_english():
    assert ct.partial_label(D(2026, 12, 1), "1mo", "en", D(2026, 12, 2)) == "Dec 2026 (to 2nd)"
    assert ct.partial_label(D(2026, 10, 1), "3mo", "zh", D(2026, 12, 2)) == "2026年第4季度（截至12月2日）"


def test_immature_rate_point_reads_not_yet_due():
    df = pl.DataFrame({"period": [D(2026, 11, 1), D(2026, 12, 1)], "value": [0.9, None], "last_year": [0.8, 0.7],
                       "partial": [False, True], "partial_to": [None, D(2026, 12, 2)], "immature": [False, True]})
    fig = ct.trend_with_last_year(df, "1mo", "zh", "rate", "本期", "去年同期", "办结率")
    assert [a.text for a in fig.layout.annotations] == ["未到期"] and fig.data[0].y[1] is None


def test_count_axis_ticks_whole_numbers_and_an_all_zero_chart_starts_at_zero():
    df = pl.DataFrame({"period": [D(2026, 11, 1)], "value": [0], "last_year": [0]})
    axis = ct.trend_with_last_year(df, "1mo", "zh", "count", "本期", "去年同期", "立案数").layout.yaxis
    assert (axis.tickformat, axis.dtick, axis.range[0]) == (",d", 1, 0)


def test_anomaly_ring_sits_mid_bar_below_the_printed_value():
    df = pl.DataFrame({"period": [D(2026, 11, 1)], "value": [40], "last_year": [10]})
    fig = ct.trend_with_last_year(df, "1mo", "zh", "count", "本期", "去年同期", "立案数", {D(2026, 11, 1)})
    assert list(fig.data[2].y) == [20]


def test_child_series_gives_each_district_its_flows_rates_and_stocks():
    got = metrics.child_series(fx.tables(), Filters(D(2024, 2, 1), D(2024, 3, 31)), Scope(), fx.AS_OF,
                               ["complaints_received", "closure_rate", "rectifications_overdue"])
    # A: q5 (Feb, closed 29 Feb); q1, q2 closed, q3 open (Mar). B: q4 (Mar, closed after as_of).
    # Overdue at 29 Feb: r5 (A), r3 (B); at 31 Mar: r2, r5 (A) — r3 was completed that day.
    assert got.to_dicts() == [
        {"code": fx.DIST_A, "period": D(2024, 2, 1), "complaints_received": 1, "closure_rate": 1.0,
         "rectifications_overdue": 1},
        {"code": fx.DIST_A, "period": D(2024, 3, 1), "complaints_received": 3, "closure_rate": 2 / 3,
         "rectifications_overdue": 2},
        {"code": fx.DIST_B, "period": D(2024, 2, 1), "complaints_received": 0, "closure_rate": None,
         "rectifications_overdue": 1},
        {"code": fx.DIST_B, "period": D(2024, 3, 1), "complaints_received": 1, "closure_rate": 0.0,
         "rectifications_overdue": 0}]


def test_child_series_gives_records_of_the_region_itself_their_own_row():
    t = fx.tables()
    complaints = pl.concat([t.complaints, t.complaints.head(1).with_columns(
        pl.lit("q6").alias("complaint_id"), pl.lit(fx.DIST_A).alias("region_code"))])
    t = Tables(**{**t.as_dict(), "complaints": complaints})
    got = metrics.child_series(t, Filters(*fx.MARCH, region=fx.DIST_A), Scope(), fx.AS_OF, ["complaints_received"])
    # q1, q2 in 甲一镇, q3 in 甲二街道; q6 is written against 甲区 itself: 甲区本级, under its own code.
    assert got.select("code", "complaints_received").rows() == [(fx.DIST_A, 1), (fx.TOWN_A1, 2), (fx.TOWN_A2, 1)]


def test_small_multiples_per_10k_residents_divide_by_each_child_population():
    got = trends.by_child(fx.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF, "complaints_received", per10k=True)
    # 甲区 3 complaints / 30,000 residents; 乙区 1 / 10,000.
    assert got.select("name", "complaints_received").rows() == [("甲区", 1.0), ("乙区", 1.0)]


def test_composition_by_field_adds_up_to_the_series():
    t = fx.tables()
    f = Filters(D(2024, 1, 1), D(2024, 3, 31))
    comp = metrics.breakdown(t, f, Scope(), fx.AS_OF, "cases_filed", "field")
    total = comp.group_by("period").agg(pl.col("cases_filed").sum()).sort("period")
    assert total["cases_filed"].to_list() == metrics.monthly(t, f, Scope(), fx.AS_OF, ["cases_filed"])["cases_filed"].to_list()
    march = dict(comp.filter(pl.col("period") == D(2024, 3, 1)).select("category", "cases_filed").iter_rows())
    assert march == {"集体三资": 1, "惠民惠农": 1}


def test_a_missing_category_and_one_written_as_unfilled_are_one_stack():
    t = fx.tables()
    cases = t.cases.with_columns(pl.Series("field", [None, "惠民惠农", "未填写", "集体三资"]))
    t = Tables(**{**t.as_dict(), "cases": cases})
    comp = metrics.breakdown(t, Filters(*fx.MARCH), Scope(), fx.AS_OF, "cases_filed", "field")
    # c1 (no field) and c3 ("未填写"), both filed in March; c2 was filed in February.
    assert dict(comp.select("category", "cases_filed").iter_rows()) == {"未填写": 2}


def test_breakdown_refuses_a_column_the_table_lacks():
    with pytest.raises(ValueError):
        metrics.breakdown(fx.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF, "rectifications_total", "channel")


def test_funnel_counts_cases_through_each_link_in_order():
    t = Tables.from_dicts(regions=fx.REGIONS, cases={
        "case_id": ["a", "b", "c", "d"], "region_code": [fx.V_A1a, fx.V_A1b, fx.V_B1a, fx.V_A1a],
        "filed_on": [D(2024, 1, 1)] * 4, "closed_on": [D(2024, 3, 1), D(2024, 3, 2), D(2024, 3, 3), D(2024, 2, 1)],
        "exposed_on": [D(2024, 3, 5), D(2024, 3, 5), None, D(2024, 2, 5)],
        "reflection_on": [D(2024, 3, 6), None, D(2024, 3, 6), D(2024, 2, 6)],
        "revisit_on": [D(2024, 3, 20), None, None, None], "feedback_on": [D(2024, 4, 9), None, None, None]})
    got = trends.funnel(t, Filters(*fx.MARCH), Scope(), fx.AS_OF)
    total = got.filter(pl.col("district_code") == "__all__").sort("step")
    # a, b, c closed in March (d in February); exposed a, b; then reflection only a; revisit a;
    # a's feedback comes after as_of.
    assert total["count"].to_list() == [3, 2, 1, 1, 0]
    assert total["stall"].to_list()[1] == pytest.approx(1 / 3)
    by_district = got.filter((pl.col("step") == 0) & (pl.col("district_code") != "__all__"))
    assert dict(by_district.select("district", "count").iter_rows()) == {"甲区": 2, "乙区": 1}


def test_handling_times_are_days_used_and_allowed():
    got = trends.handling_times(fx.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF)
    comp = got["complaints"].sort("days")
    assert comp.select("days", "limit").rows() == [(9, 14), (20, 15)]  # q1, q2 (q4 closes after as_of)
    rect = got["rectifications"].sort("days")
    assert rect.select("days", "limit").rows() == [(19, 30), (304, 213)]  # r1, r3


CFG = trends.AnomalyConfig(threshold=3.5, min_count=5, min_ratio=1.5, history_months=12)


def test_flat_series_raises_no_alarm():
    assert all(f is None for f in trends.robust_flags([10.0] * 24, CFG))


def test_noisy_series_without_a_spike_raises_no_alarm():
    values = [10, 12, 9, 11, 10, 13, 8, 11, 10, 12, 9, 11, 10, 12, 11, 9, 13, 10]
    assert all(f is None for f in trends.robust_flags([float(v) for v in values], CFG))


def test_one_planted_spike_is_found_and_only_it():
    values = [10.0, 12, 9, 11, 10, 13, 8, 11, 10, 12, 9, 11, 34, 11, 10]
    flags = trends.robust_flags(values, CFG)
    assert [i for i, f in enumerate(flags) if f] == [12]
    ratio, z = flags[12]
    assert ratio == pytest.approx(34 / 10.5) and z > 3.5


def test_demo_field_jump_is_found():
    from dashboard.demo import generate

    end = D(2025, 12, 31)
    d = generate(scale=1, seed=7, end=end)
    q = d.planted.jump_quarter_start
    f = Filters(q, end)
    found = trends.anomalies(d.tables, f, Scope(), end, CFG)
    city = found.filter((pl.col("code") == "990100000000") & (pl.col("category") == d.planted.jump_field))
    assert city.height >= 1 and city["month"].min() >= q


def test_month_labels_read_chinese_and_english():
    assert ct.period_label(D(2025, 3, 1), "1mo", "zh") == "2025年3月"
    assert ct.period_label(D(2025, 4, 1), "3mo", "zh") == "2025年第2季度"
    assert ct.period_label(D(2025, 3, 1), "1mo", "en") == "Mar 2025"


def test_field_colours_are_fixed_across_charts():
    df = pl.DataFrame({"period": [D(2024, 3, 1)] * 2, "category": ["惠民惠农", "集体三资"], "cases_filed": [1, 2]})
    fig = ct.composition(df, "cases_filed", "1mo", "zh", "立案数")
    assert {t.name: t.marker.color for t in fig.data} == {"集体三资": "#0072B2", "惠民惠农": "#E69F00"}


# --- the page -------------------------------------------------------------------------------

@pytest.fixture()
def page(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/t.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    at = signed_in("leader", params={"period": "自定义", "range": ["2024-01-01", "2024-03-31"], "as_of": "2024-03-31"})
    at.run()
    at.switch_page("app_pages/trends.py").run()
    return at


def _fig(at, key):
    for chart in at.get("plotly_chart"):
        if chart.proto.id.endswith(key) or key in chart.proto.id:
            return json.loads(chart.proto.spec)
    raise KeyError(key)


def test_page_draws_the_monthly_series_with_last_year(page):
    bars = _fig(page, "trend_chart")["data"][0]
    assert bars["x"] == ["2024年1月", "2024年2月", "2024年3月"] and bars["y"] == [0, 1, 2]
    assert _fig(page, "trend_chart")["data"][1]["y"] == [0, 0, 1]  # c4 in March 2023


def test_switching_the_metric_changes_the_bars(page):
    page.selectbox(key="trend_metric").set_value("complaints_received").run()
    assert _fig(page, "trend_chart")["data"][0]["y"] == [0, 1, 4]


def test_switching_to_quarters_regroups(page):
    page.button_group(key="trend_every").set_value("3mo").run()
    bars = _fig(page, "trend_chart")["data"][0]
    assert bars["x"] == ["2024年第1季度"] and bars["y"] == [3]


def test_only_the_open_tab_is_drawn(page):
    assert [c.proto.id.rsplit("-", 1)[1] for c in page.get("plotly_chart")] == ["trend_chart", "trend_change_chart"]
    open_tab(page, "trend_tab.zh", "五个环节")
    assert [c.proto.id.rsplit("-", 1)[1] for c in page.get("plotly_chart")] == ["trend_funnel_chart"]


def test_switching_the_breakdown_changes_the_stack(page):
    page.selectbox(key="trend_metric").set_value("complaints_received").run()
    open_tab(page, "trend_tab.zh", "构成")
    names = {t["name"] for t in _fig(page, "trend_composition_chart")["data"]}
    assert names == {"集体三资", "惠民惠农"}
    page.button_group(key="trend_by").set_value("channel").run()
    names = {t["name"] for t in _fig(page, "trend_composition_chart")["data"]}
    assert names == {"来信", "电话", "网络", "12388", "来访"}


def test_the_region_comparison_draws_one_line_per_district(page):
    open_tab(page, "trend_tab.zh", "区域对比")
    lines = {t["name"]: t["y"] for t in _fig(page, "trend_regions_chart")["data"]}
    # Cases filed per month, Jan–Mar 2024: c1 (甲区, March), c2 (甲区, Feb), c3 (乙区, March).
    assert lines == {"甲区": [0, 1, 1], "乙区": [0, 0, 1]}


def test_the_funnel_table_is_headed_in_chinese(page):
    open_tab(page, "trend_tab.zh", "五个环节")
    table = next(d.value for d in page.dataframe if "严肃查处" in d.value.columns)
    assert table.columns[0] == "区县"
    assert dict(zip(table["区县"], table["严肃查处"])) == {"甲区": 1}  # c1 closed in March; c2 in April


@pytest.mark.parametrize("fields", [(), ("集体三资",)])
def test_the_city_wide_composition_from_the_cube_equals_the_row_level_one(fields):
    t = fx.tables()
    f = Filters(D(2023, 1, 1), D(2024, 3, 31), fields=fields)
    from_cube = metrics.breakdown(t, f, Scope(), fx.AS_OF, "complaints_closed", "field")
    # The city itself as the region takes the row-level path.
    rows = metrics.breakdown(Tables(**t.as_dict()), replace(f, region=fx.CITY), Scope(), fx.AS_OF,
                             "complaints_closed", "field")
    assert from_cube.filter(pl.col("complaints_closed") > 0).height > 0
    assert_frame_equal(from_cube, rows)


def test_year_granularity_says_why_there_is_no_change_chart(page):
    page.button_group(key="trend_every").set_value("1y").run()
    assert "年度粒度下环比即同比，见上图。" in [c.value for c in page.caption]
    assert not any("trend_change_chart" in c.proto.id for c in page.get("plotly_chart"))


def test_page_marks_the_partial_month(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/t.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    at = signed_in("leader", params={"period": "自定义", "range": ["2024-02-01", "2024-03-05"], "as_of": "2024-03-05"})
    at.run()
    at.switch_page("app_pages/trends.py").run()
    bars = _fig(at, "trend_chart")["data"][0]
    assert bars["x"] == ["2024年2月", "2024年3月（截至5日）"] and bars["marker"]["opacity"] == [1.0, ct.PARTIAL_OPACITY]
    assert any(c.value.startswith("2024年3月尚未结束") for c in at.caption)
