"""本级: records coded to a district or the city itself (区直单位) form one more row in every
breakdown by child region, so the parts of every ranking add up to the total.

The fixture city of tests/fixtures.py, plus in March 2024: cases k1, k2 coded to 甲区 itself and k3
to 示例市 itself; complaint p1 to 甲区 itself; rectification s1 to 甲区 itself, due 2024-03-01 and
open (overdue at as_of). Hand counts, March, as_of 2024-03-31:
- 立案 city 5 = 甲区 3 (c1, k1, k2) + 乙区 1 (c3) + 示例市本级 1 (k3);
  甲区 3 = 甲一镇 1 (c1) + 甲二街道 0 + 甲区本级 2 (k1, k2).
- 信访 city 5 = 甲区 4 (q1, q2, q3, p1) + 乙区 1 (q4); 甲区 4 = 甲一镇 2 + 甲二街道 1 + 甲区本级 1.
- 逾期 city 3 = 甲区 3 (r2, r5, s1) + 乙区 0; 甲区 3 = 甲一镇 1 (r5) + 甲二街道 1 (r2) + 甲区本级 1 (s1).
"""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from queries import boards, geo, metrics, store, warnings_config
from queries.filters import Filters, Scope
from queries.metrics import KEY
from queries.pushdown import SqlSource
from queries.regions import OWN_LEVEL
from queries.schema import Tables
from tests import fixtures as fx

D = date
KEYS = ("cases_filed", "complaints_received", "rectifications_total", "rectifications_overdue")


def _plus(base: dict, extra: dict) -> dict:
    n = len(next(iter(extra.values())))
    return {k: list(base.get(k, [None] * len(base["region_code"]))) + list(extra.get(k, [None] * n))
            for k in {*base, *extra}}


def own_level_tables() -> Tables:
    cases = _plus(fx.CASES, {"case_id": ["k1", "k2", "k3"], "region_code": [fx.DIST_A, fx.DIST_A, fx.CITY],
                             "filed_on": [D(2024, 3, 5), D(2024, 3, 6), D(2024, 3, 7)]})
    complaints = _plus(fx.COMPLAINTS, {"complaint_id": ["p1"], "region_code": [fx.DIST_A],
                                       "received_on": [D(2024, 3, 8)], "due_on": [D(2024, 4, 8)]})
    rects = _plus(fx.RECTIFICATIONS, {"item_id": ["s1"], "region_code": [fx.DIST_A], "project": ["三资整治"],
                                      "started_on": [D(2024, 1, 1)], "due_on": [D(2024, 3, 1)],
                                      "progress_pct": [50.0], "responsible_unit": ["区直某局"]})
    return Tables.from_dicts(regions=fx.REGIONS, cases=cases, complaints=complaints, rectifications=rects)


@pytest.fixture(scope="module")
def tables() -> Tables:
    return own_level_tables()


def _rollup(tables, region=None) -> pl.DataFrame:
    return metrics.rollup(tables, Filters(*fx.MARCH, region=region), Scope(), fx.AS_OF, KEYS)


def _total(tables, region=None) -> dict:
    return metrics.compute(tables, Filters(*fx.MARCH, region=region), Scope(), fx.AS_OF, KEYS)


def test_city_rollup_has_the_city_own_level_row_last(tables):
    got = _rollup(tables)
    assert got.select(KEY, "name", OWN_LEVEL, "cases_filed").rows() == [
        (fx.DIST_A, "甲区", False, 3), (fx.DIST_B, "乙区", False, 1), (fx.CITY, "示例市本级", True, 1)]


def test_district_rollup_has_the_district_own_level_row(tables):
    got = _rollup(tables, fx.DIST_A)
    assert got.select(KEY, "name", "cases_filed", "complaints_received", "rectifications_overdue").rows() == [
        (fx.TOWN_A1, "甲一镇", 1, 2, 1), (fx.TOWN_A2, "甲二街道", 0, 1, 1), (fx.DIST_A, "甲区本级", 2, 1, 1)]


@pytest.mark.parametrize("region", [None, fx.DIST_A])
@pytest.mark.parametrize("metric", KEYS)
def test_rollup_parts_add_up_to_the_total(tables, region, metric):
    assert _rollup(tables, region)[metric].sum() == _total(tables, region)[metric]


def test_no_own_level_row_where_nothing_is_coded_to_the_region_itself():
    got = metrics.rollup(fx.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF, KEYS)
    assert got[KEY].to_list() == [fx.DIST_A, fx.DIST_B] and not got[OWN_LEVEL].any()


def test_own_level_row_has_no_population_so_no_rate_per_10k(tables):
    own = _rollup(tables, fx.DIST_A).filter(pl.col(OWN_LEVEL)).row(0, named=True)
    assert own["population"] is None and own["cases_filed_per10k"] is None


def test_pushdown_rollup_has_the_same_own_level_row(tmp_path, tables):
    url = f"sqlite:///{tmp_path}/p.db"
    store.replace_all(url, tables, None, dataset="ledgers")
    got = metrics.rollup(SqlSource(url), Filters(*fx.MARCH, region=fx.DIST_A), Scope(), fx.AS_OF, KEYS)
    assert got.select(KEY, "cases_filed", "rectifications_overdue").rows() == [
        (fx.TOWN_A1, 1, 1), (fx.TOWN_A2, 0, 1), (fx.DIST_A, 2, 1)]


def test_child_series_own_level_stock_is_the_region_less_its_children(tables):
    got = metrics.child_series(tables, Filters(*fx.MARCH, region=fx.DIST_A), Scope(), fx.AS_OF,
                               ("cases_filed", "rectifications_overdue"))
    assert got.select("code", "cases_filed", "rectifications_overdue").rows() == [
        (fx.DIST_A, 2, 1), (fx.TOWN_A1, 1, 1), (fx.TOWN_A2, 0, 1)]


def test_map_table_lists_the_own_level_row_unranked(tables):
    got = geo.choropleth_table(tables, Filters(*fx.MARCH, region=fx.DIST_A), Scope(), fx.AS_OF,
                               "cases_filed", False)
    assert got.select("key", "name", "value", "rank", OWN_LEVEL).rows() == [
        (fx.TOWN_A1, "甲一镇", 1, 1, False), (fx.TOWN_A2, "甲二街道", 0, 2, False),
        (fx.DIST_A, "甲区本级", 2, None, True)]


def test_township_board_adds_up_to_the_total_overdue(tables):
    cfg = warnings_config.load()
    board = boards.slow_townships(tables, Filters(fx.AS_OF, fx.AS_OF), Scope(), fx.AS_OF, cfg)
    own = board.filter(pl.col(OWN_LEVEL)).select("code", "district", "township", "overdue").rows()
    assert own == [(fx.DIST_A, "甲区", "甲区本级", 1)]
    assert board["overdue"].sum() == _total(tables)["rectifications_overdue"] == 3


def _square(x: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]]}


@pytest.fixture()
def app(tmp_path, monkeypatch):
    from tests.apptest import signed_in

    url = f"sqlite:///{tmp_path}/own.db"
    store.replace_all(url, own_level_tables(), {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": c}, "geometry": _square(i)}
        for i, c in enumerate((fx.DIST_A, fx.DIST_B))]}, dataset="ledgers")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    return signed_in("staff", params={"period": "自定义", "range": ["2024-03-01", "2024-03-31"],
                                      "as_of": "2024-03-31"})


def _ranking_bars(at) -> list[str]:
    """The overview ranking's regions, as listed (largest first)."""
    from tests.apptest import table_rows

    first = "No." if at.session_state["lang"] == "en" else "名次"
    region = "Region" if first == "No." else "区域"
    return [r[region] for r in table_rows(at, first)]


def _in_totals(app, metric: str | None = None):
    """The overview ranking in totals: per 10,000 (its default) has no bar for an own level,
    which has no population."""
    if metric:
        app.selectbox(key="overview_rank_metric.zh").set_value(metric)
    return app.toggle(key="overview_rank_per10k").set_value(False).run()


def test_overview_ranking_has_a_row_for_the_city_own_level(app):
    app.run()
    _in_totals(app, "cases_filed")
    assert not app.exception
    assert _ranking_bars(app) == ["甲区", "乙区", "示例市本级"]  # 3, 1, 1 cases filed


def test_overview_map_states_the_own_level_figure_under_the_map(app):
    app.run()
    app.selectbox(key="district").set_value(fx.DIST_A).run()
    _in_totals(app, "complaints_received")
    texts = [t.value for t in app.text]
    assert any(t.startswith("甲区本级（") and "信访件数 1 件" in t for t in texts), texts


def test_own_level_is_named_in_english(app):
    app.query_params["lang"] = "English"
    # 立案数 in totals, set before the one run (AppTest cannot rerun an English select box)
    app.session_state["overview_rank_metric.en"] = "cases_filed"
    app.session_state["overview_rank_per10k"] = False
    app.run()
    assert not app.exception
    assert "示例市 (own level)" in _ranking_bars(app)


def test_handling_times_name_the_own_level_rows():
    from queries import trends

    t = own_level_tables()
    complaints = t.complaints.with_columns(
        pl.when(pl.col("complaint_id") == "p1").then(pl.lit(D(2024, 3, 20))).otherwise(pl.col("closed_on"))
        .alias("closed_on"))
    t = Tables(**{**t.as_dict(), "complaints": complaints})
    got = trends.handling_times(t, Filters(*fx.MARCH, region=fx.DIST_A), Scope(), fx.AS_OF)["complaints"]
    # q1 (甲一镇, 9 days), q2 (甲一镇, 20 days), p1 (甲区 itself, 12 days)
    assert sorted(got.select("region", "days").rows()) == [("甲一镇", 9), ("甲一镇", 20), ("甲区本级", 12)]
