"""AppTest of the overview cockpit on the hand-built fixture: the cards show the query layer's
values, and changing period, region or language changes them to the right values."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from queries import store
from tests import fixtures as fx
from tests.apptest import plain, signed_in, table_rows

MARCH_PARAMS = {"period": "自定义", "range": ["2024-03-01", "2024-03-31"], "as_of": "2024-03-31"}


@pytest.fixture()
def app(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/fx.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    return signed_in("staff", params=MARCH_PARAMS)


def cards(at: AppTest) -> dict[str, str]:
    """The eight KPI cards (the warning counts further down are metrics too)."""
    return {m.label: m.value for m in at.metric[:8]}


def test_overview_cards_show_the_march_figures(app):
    app.run()
    assert not app.exception
    assert cards(app) == {
        "立案数": "2 件 2 人", "处分人数": "2 人", "追缴挽回资金": "6.00 万元", "信访件数": "4 件",
        "办结率": "50.0%", "满意率": "50.0%", "整改完成率": "33.3%", "逾期事项": "2 件"}


def test_overview_cards_show_year_on_year_change(app):
    app.run()
    deltas = {m.label: m.delta for m in app.metric}
    assert deltas["立案数"] == "+100.0%"  # 2 against c4 in March 2023
    assert app.metric[0].proto.delta_description == "同比"
    assert deltas["信访件数"] == ""  # nothing a year earlier: no change shown


def test_choosing_a_district_narrows_the_cards(app):
    app.run()
    app.selectbox(key="district").set_value(fx.DIST_A).run()
    got = cards(app)
    assert (got["立案数"], got["信访件数"], got["追缴挽回资金"], got["办结率"]) == (
        "1 件 1 人", "3 件", "5.50 万元", "66.7%")


def test_choosing_a_village_narrows_to_the_village(app):
    app.run()
    app.selectbox(key="district").set_value(fx.DIST_A).run()
    app.selectbox(key="township").set_value(fx.TOWN_A1).run()
    app.selectbox(key="village").set_value(fx.V_A1b).run()
    got = cards(app)
    assert (got["立案数"], got["信访件数"], got["逾期事项"]) == ("0 件 0 人", "1 件", "0 件")


def test_changing_the_period_changes_the_cards(app):
    app.run()
    app.date_input(key="range").set_value(("2024-02-01", "2024-02-29")).run()
    got = cards(app)
    assert (got["立案数"], got["信访件数"], got["办结率"]) == ("1 件 1 人", "1 件", "100.0%")


def test_period_preset_year_ends_at_as_of(app):
    app.run()
    app.button_group(key="period").set_value("year").run()
    assert app.session_state["view"].start.isoformat() == "2024-01-01"
    assert cards(app)["立案数"] == "3 件 3 人"  # c1, c2, c3


def _bars(at: AppTest) -> dict:
    """The ranking as shown: region → its figure's text."""
    return {r["区域"]: r[next(k for k in r if k not in ("名次", "区域", "对比"))] for r in table_rows(at, "名次")}


def _frame(at: AppTest, first_header: str) -> list[dict]:
    return table_rows(at, first_header)


def test_ranking_defaults_to_complaints_per_10000_residents_and_says_so(app):
    app.run()
    # 甲区 3 complaints / 30,000 residents, 乙区 1 / 10,000: 1.0 per 10,000 each.
    assert app.selectbox(key="overview_rank_metric.zh").value == "complaints_received"
    assert app.toggle(key="overview_rank_per10k").value is True
    assert _bars(app) == {"甲区": "1.00", "乙区": "1.00"}
    assert any(c.value.startswith("按每万常住人口计算") for c in app.caption)


def test_per_10000_switched_off_ranks_by_totals(app):
    app.run()
    app.toggle(key="overview_rank_per10k").set_value(False).run()
    assert _bars(app) == {"甲区": "3 件", "乙区": "1 件"}
    assert any(c.value == "按总量排名（已关闭每万人口）。" for c in app.caption)


def test_ranking_metric_switch_changes_the_bars_and_the_map_follows(app):
    app.run()
    app.selectbox(key="overview_rank_metric.zh").set_value("cases_filed").run()
    # 甲区 c1 / 30,000 residents, 乙区 c3 / 10,000.
    got = _bars(app)
    assert got.keys() == {"甲区", "乙区"}
    assert got == {"乙区": "1.00", "甲区": "0.33"}
    assert list(got) == ["乙区", "甲区"]  # largest first
    assert "**区域分布：立案数（每万人）**" in [m.value for m in app.markdown]


def test_a_rate_is_ranked_as_it_is_and_the_toggle_is_off(app):
    app.run()
    app.selectbox(key="overview_rank_metric.zh").set_value("closure_rate").run()
    assert app.toggle(key="overview_rank_per10k").disabled
    # 甲区: q1, q2 closed of q1–q3; 乙区: q4 closed after as_of.
    assert _bars(app) == {"甲区": "66.7%", "乙区": "0.0%"}
    assert "比率指标不按人口折算。" in [c.value for c in app.caption]


def test_what_got_worse_lists_district_a_overdue_against_none_last_year(app):
    app.run()
    # r2 and r5 overdue at 31 March 2024; nothing overdue at 31 March 2023; base 0 < 5: no %.
    assert _frame(app, "区域") == [{"区域": "甲区", "指标": "逾期事项", "本期": "2 件", "去年同期": "0 件", "变化": "+2 件"}]
    assert "**甲区** · 逾期事项 \\+2 件" in [m.value for m in app.markdown]


def test_choosing_one_indicator_narrows_what_got_worse(app):
    app.run()
    app.selectbox(key="overview_worse_metric.zh").set_value("closure_rate").run()
    assert not [t for t in app.table if plain(str(t.value.columns[0])) == "区域"]
    assert "与去年同期相比，各下级区域的上述指标均未变差。" in [i.value for i in app.info]
    app.selectbox(key="overview_worse_metric.zh").set_value("rectifications_overdue").run()
    assert [r["区域"] for r in _frame(app, "区域")] == ["甲区"]


def test_who_is_slow_shows_the_townships_board_top(app):
    app.run()
    # 甲一镇: r5 overdue, warnings R1 r5 and R2 r4; 甲二街道: r2 overdue, R1 r2 (queries/boards.py).
    rows = _frame(app, "排名")
    assert [(r["排名"], r["乡镇（街道）"], r["逾期"], r["预警"]) for r in rows] == [
        ("1", "甲一镇", "1", "2"), ("2", "甲二街道", "1", "1")]
    assert "**甲一镇** · 逾期 1 件 · 预警 2 条" in [m.value for m in app.markdown]
    assert "逾期整改事项均未填写责任单位。" in [c.value for c in app.caption]  # the fixture names no unit


def test_warnings_are_grouped_by_rule_and_place_not_listed_one_by_one(app):
    app.run()
    rows = _frame(app, "等级")
    assert [(r["等级"], r["规则"], r["责任单位 / 所在地"], r["预警数"], r["最严重"]) for r in rows] == [
        (":red-badge[红色预警]", "R1 逾期未完成", "甲一镇", "1", "逾期 275 天"),     # r5 due 2023-06-30
        (":red-badge[红色预警]", "R1 逾期未完成", "甲二街道", "1", "逾期 16 天"),    # r2 due 2024-03-15
        (":red-badge[红色预警]", "C1 信访逾期", "乙一乡", "1", "逾期 11 天"),        # q4 due 2024-03-20
        (":orange-badge[橙色预警]", "R2 临期进度低", "甲一镇", "1", "仅剩 0 天"),    # r4 due on as_of, 0 %
        (":yellow-badge[黄色预警]", "K2 后续环节未完成", "甲一镇", "1", "审结 377 天")]  # c4 closed 2023-03-20
    assert "截至 2024-03-31 共 5 条预警：红色 3 · 橙色 1 · 黄色 1" in [c.value for c in app.caption]


def test_the_answers_read_in_english(app):
    app.query_params["lang"] = "English"
    app.run()
    assert not app.exception
    heads = [h.value for h in app.subheader]
    assert heads[:4] == ["Where problems concentrate", "What got worse (YoY)",
                         "Who is slow", "Main warnings (by rule and unit)"]
    assert _frame(app, "Region")[0]["Indicator"] == "Overdue items"
    assert [r["Most serious"] for r in _frame(app, "Level")][:2] == ["days overdue: 275", "days overdue: 16"]


def test_the_answers_come_before_the_cards(app):
    app.run()
    heads = [h.value for h in app.subheader]
    assert heads.index("问题集中在哪里") < heads.index("哪些方面变差了（同比）") < heads.index("核心指标")


def test_english_switch_relabels_the_cards(app):
    app.query_params["lang"] = "English"
    app.run()
    assert "Cases filed" in cards(app)
    assert not app.exception


def test_a_shared_english_link_shows_the_sidebar_title_in_english_on_first_load(app):
    app.query_params["lang"] = "English"
    app.run()
    assert [m.value for m in app.sidebar.markdown][:1] == ["### Grassroots Oversight Dashboard"]


def test_empty_period_says_no_data(app):
    app.query_params["range"] = ["2020-01-01", "2020-01-31"]
    app.run()
    assert any("本期无数据" in i.value for i in app.info)


def test_a_date_before_every_record_says_so_in_each_answer(app):
    app.query_params["range"] = ["2020-01-01", "2020-01-31"]
    app.query_params["as_of"] = "2020-01-31"
    app.run()
    assert not app.exception
    infos = [i.value for i in app.info]
    assert infos[0] == "本期无数据。可尝试放宽统计期间或区域。"  # at the top, above the answers
    assert {"去年同期无数据，无法同比。", "截至当日没有逾期整改事项。", "截至当日无预警。"} <= set(infos)


def test_pushdown_mode_shows_the_same_march_figures(app, monkeypatch):
    """With OVERSIGHT_QUERY_MODE=pushdown the cards are summed by the database itself."""
    from queries.pushdown import SqlSource

    calls = []
    original = SqlSource.sums
    monkeypatch.setattr(SqlSource, "sums", lambda self, *a: calls.append(a) or original(self, *a))
    monkeypatch.setenv("OVERSIGHT_QUERY_MODE", "pushdown")
    app.run()
    assert calls, "the cards were not computed by the database"
    assert not app.exception
    assert cards(app)["立案数"] == "2 件 2 人" and cards(app)["办结率"] == "50.0%"
    app.selectbox(key="district").set_value(fx.DIST_A).run()
    got = cards(app)
    assert (got["立案数"], got["信访件数"], got["追缴挽回资金"], got["办结率"]) == (
        "1 件 1 人", "3 件", "5.50 万元", "66.7%")


def test_a_write_by_another_tool_is_loaded_in_the_background_while_the_held_version_is_shown(app):
    import os

    import polars as pl

    from dashboard import data
    from queries import refresh

    app.run()
    assert cards(app)["立案数"] == "2 件 2 人"
    url = os.environ["OVERSIGHT_DB_URL"]
    # Another tool writes a March case straight into the database: a new version, no snapshot.
    c5 = fx.tables().cases.filter(pl.col("case_id") == "c1").with_columns(case_id=pl.lit("c5"))
    with store.engine_for(url).begin() as conn:
        store._bulk_insert(conn, "cases", c5)
        newest = store._bump_version(conn)
    app.run()
    assert not app.exception
    assert cards(app)["立案数"] == "2 件 2 人"
    assert [i.value for i in app.info if "后台载入" in i.value] == [
        "台账数据已更新，正在后台载入新数据，完成后本页自动刷新；当前显示的是更新前的数据。"]
    assert data._refresher.wait(url, newest, 120) is refresh.State.DONE
    assert store.has_snapshot(url, newest)
    app.run()
    assert cards(app)["立案数"] == "3 件 3 人"
    assert [i.value for i in app.info if "后台载入" in i.value] == []


def _partial_app(tmp_path, monkeypatch) -> AppTest:
    url = f"sqlite:///{tmp_path}/fx.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    return signed_in("staff", params={"period": "自定义", "range": ["2024-03-01", "2024-03-05"],
                                      "as_of": "2024-03-05"})


def test_cards_say_a_period_not_yet_over_is_partial(tmp_path, monkeypatch):
    at = _partial_app(tmp_path, monkeypatch)
    at.run()
    assert any(c.value.startswith("2024年3月（截至5日）尚未结束") for c in at.caption)


def test_sparklines_leave_out_the_month_not_yet_over(tmp_path, monkeypatch):
    at = _partial_app(tmp_path, monkeypatch)
    at.run()
    # Eleven finished months (Apr 2023 – Feb 2024); March 2024 is only 5 days old.
    assert len(at.metric[0].proto.chart_data) == 11


def test_ranking_choice_survives_a_language_switch_with_english_labels(app):
    app.run()
    app.selectbox(key="overview_rank_metric.zh").set_value("complaints_received").run()
    app.button_group(key="lang").set_value("en").run()
    box = app.selectbox(key="overview_rank_metric.en")
    assert (box.value, box.label) == ("complaints_received", "Rank by")
    assert box.proto.options[3] == "Complaints received" and "立案数" not in box.proto.options
