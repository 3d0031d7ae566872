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


def test_count_ranking_ticks_whole_numbers_from_zero():
    import polars as pl

    from dashboard import charts

    fig = charts.ranking_bar(pl.DataFrame({"name": ["甲", "乙"], "n": [0, 3]}), "n", "立案数", ",.0f")
    assert (fig.layout.xaxis.tickformat, fig.layout.xaxis.dtick, fig.layout.xaxis.range[0]) == (",d", 1, 0)


def test_an_all_zero_ranking_starts_at_zero_not_minus_one():
    import polars as pl

    from dashboard import charts

    fig = charts.ranking_bar(pl.DataFrame({"name": ["甲", "乙"], "n": [0, 0]}), "n", "立案数", ",.0f")
    assert fig.layout.xaxis.range[0] == 0 and fig.layout.xaxis.range[1] > 0


def test_a_rate_ranking_keeps_its_percentage_ticks():
    import polars as pl

    from dashboard import charts

    fig = charts.ranking_bar(pl.DataFrame({"name": ["甲"], "r": [0.5]}), "r", "办结率", fmt.PCT_D3)
    assert fig.layout.xaxis.tickformat == ".1%" and fig.layout.xaxis.dtick is None
