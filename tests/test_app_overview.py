"""AppTest of the overview cockpit on the hand-built fixture: the cards show the query layer's
values, and changing period, region or language changes them to the right values."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from queries import store
from tests import fixtures as fx
from tests.apptest import signed_in

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


def test_ranking_lists_districts_with_their_values(app):
    app.run()
    chart = app.get("plotly_chart")[0]
    import json

    fig = json.loads(chart.proto.spec)
    bar = fig["data"][0]
    assert dict(zip(bar["y"], bar["x"])) == {"甲区": 1, "乙区": 1}


def test_ranking_metric_switch_changes_the_bars(app):
    app.run()
    app.selectbox(key="overview_rank_metric.zh").set_value("complaints_received").run()
    import json

    bar = json.loads(app.get("plotly_chart")[0].proto.spec)["data"][0]
    assert dict(zip(bar["y"], bar["x"])) == {"甲区": 3, "乙区": 1}


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
