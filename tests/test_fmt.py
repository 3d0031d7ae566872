"""Money and counts as each language's readers expect them."""
from __future__ import annotations

import pytest

from dashboard import fmt


@pytest.mark.parametrize(("wan", "expected"), [
    (6.0, "6.00 万元"), (9_999.994, "9,999.99 万元"), (10_000, "1.00 亿元"), (459_800, "45.98 亿元"),
    (-12.5, "-12.50 万元"), (None, "—"),
])
def test_money_reads_in_wan_and_yi_in_chinese(wan, expected):
    assert fmt.money_wan(wan, "zh") == expected


@pytest.mark.parametrize(("wan", "expected"), [
    (6.0, "¥60,000"), (99.9, "¥999,000"), (100, "¥1.00 m"), (1_234.5, "¥12.35 m"),
    (459_800, "¥4.60 bn"), (None, "—"),
])
def test_money_reads_in_thousands_in_english(wan, expected):
    assert fmt.money_wan(wan, "en") == expected


def test_english_cards_show_money_in_yuan(tmp_path, monkeypatch):
    from queries import store
    from tests import fixtures as fx
    from tests.apptest import signed_in
    from tests.test_app_overview import MARCH_PARAMS, cards

    url = f"sqlite:///{tmp_path}/fx.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    app = signed_in("staff", params={**MARCH_PARAMS, "lang": "English"})
    app.run()
    assert cards(app)["Funds recovered"] == "¥60,000"  # 6.00 万元


def test_empty_text_cells_show_a_dash_not_none():
    import polars as pl

    df = pl.DataFrame({"unit": ["乡镇", None], "days": [3, None]})
    assert fmt.blank_nulls(df).rows() == [("乡镇", 3), ("—", None)]


def test_rates_in_tables_become_percentages_for_the_one_printf_format():
    import polars as pl

    df = fmt.as_percent(pl.DataFrame({"overdue_rate": [0.0149, 0.0]}), ("overdue_rate",))
    assert df["overdue_rate"].to_list() == pytest.approx([1.49, 0.0])
    assert fmt.PCT_PRINTF % 1.49 == "1.5%" and fmt.PCT_PRINTF % 0 == "0.0%"


@pytest.mark.parametrize(("value", "expected"), [(0.027, "2.7%"), (0.0149, "1.5%"), (0.0, "0.0%"), (1.0, "100.0%")])
def test_percentages_read_with_one_decimal(value, expected):
    assert fmt.rate(value) == expected


@pytest.mark.parametrize(("value", "unit", "expected"), [
    (26.0, "count", "26"), (36.0, "count", "36"), (1234.0, "count", "1,234"), (0.0149, "rate", "1.5%"),
    (2.345, "per10k", "2.3"), (250.0, "per10k", "250"),
])
def test_legend_breaks_of_counts_are_whole_numbers(value, unit, expected):
    assert fmt.legend_number(value, unit) == expected


def _count_bars(values: list) -> "object":
    import plotly.graph_objects as go

    from dashboard import charts

    return charts.count_axis(go.Figure(go.Bar(x=values, y=["甲", "乙"][: len(values)], orientation="h")),
                             values, axis="x")


def test_a_count_axis_ticks_whole_numbers_from_zero():
    fig = _count_bars([0, 3])
    assert (fig.layout.xaxis.tickformat, fig.layout.xaxis.dtick, fig.layout.xaxis.range[0]) == (",d", 1, 0)


def test_an_all_zero_count_axis_starts_at_zero_not_minus_one():
    fig = _count_bars([0, 0])
    assert fig.layout.xaxis.range[0] == 0 and fig.layout.xaxis.range[1] > 0


def test_a_text_bar_is_whole_blocks_then_an_eighth_block():
    from dashboard.components_overview import text_bar

    assert [text_bar(v, cells=4) for v in (1.0, 0.5, 0.53125, 0.0, 1.7)] == ["████", "██", "██▏", "", "████"]


def test_the_ranking_lists_largest_first_with_bars_against_the_largest():
    import polars as pl

    from dashboard.components_overview import BAR_CELLS, ranking_rows

    df = pl.DataFrame({"name": ["甲", "乙", "丙"], "n": [2, 4, None]})
    got = ranking_rows(df, "n", per10k=False, unit="count")
    assert got.to_dict(as_series=False) == {
        "rank": [1, 2, None], "name": ["乙", "甲", "丙"], "value": ["4 件", "2 件", "—"],
        "bar": ["█" * BAR_CELLS, "█" * (BAR_CELLS // 2), ""], "raw": [4, 2, None]}


def test_the_ranking_per_10000_shows_two_decimals():
    import polars as pl

    from dashboard.components_overview import ranking_rows

    got = ranking_rows(pl.DataFrame({"name": ["甲"], "n": [1.234]}), "n", per10k=True, unit="count")
    assert got["value"].to_list() == ["1.23"]


