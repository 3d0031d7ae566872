"""Where people look: the 件/人 cards, the 四种形态 and 线索处置 tabs, the five-link events, the
sentences and the deck's 四种形态 slide, on the persons fixture (tests/fixtures_persons.py)."""
from __future__ import annotations

import json

import polars as pl
import pytest

from dashboard import briefing, charts_trends, fmt, sentences
from queries import metrics, store
from queries.filters import Filters, Scope
from queries.warnings_config import WarningConfig
from tests import fixtures as fx
from tests import fixtures_persons as fp
from tests.apptest import open_tab, signed_in

MARCH_PARAMS = {"period": "自定义", "range": ["2024-03-01", "2024-03-31"], "as_of": "2024-03-31"}
KEYS = tuple(metrics.METRICS)


def _compared() -> dict:
    return metrics.compare(fp.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF)


# --- sentences and formatting --------------------------------------------------------------------

def test_cases_and_persons_read_as_commissions_state_them():
    assert fmt.cases_and_persons(1661, 1803, "zh") == "1,661 件 1,803 人"
    assert fmt.cases_and_persons(1661, 1803, "en") == "1,661 cases · 1,803 persons"


def test_the_four_forms_sentence():
    assert sentences.forms_sentence(_compared()) == (
        "运用监督执纪“四种形态”批评教育帮助和处理 6 人次，其中第一种形态 2 人次、占 33.3%，第二种形态 2 人次、占 33.3%，"
        "第三种形态 1 人次、占 16.7%，第四种形态 1 人次、占 16.7%")


def test_the_links_leads_and_persons_sentences():
    c = _compared()
    assert sentences.cases_persons_sentence(c) == "立案 2 件 5 人，审结 1 件 2 人"
    assert sentences.links_sentence(c) == "通报 2 件 4 人，公开曝光 1 件 3 人，反思剖析 4 次，回访促建 2 次，反馈整改 1 次"
    assert sentences.leads_sentence(c) == "处置问题线索 3 件，其中谈话函询 1 件、予以了结 1 件、立案审查 1 件，处置率 75.0%"


def test_no_forms_in_the_period_says_so():
    c = metrics.compare(fx.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF)
    assert sentences.forms_sentence(c) == "本期无运用“四种形态”处理记录"


# --- chart builders ----------------------------------------------------------------------------

def test_forms_by_region_stacks_the_four_forms_largest_region_first():
    df = pl.DataFrame({"name": ["乙区", "甲区"], "form1_persons": [0, 2], "form2_persons": [1, 1],
                       "form3_persons": [0, 1], "form4_persons": [0, 1]})
    fig = charts_trends.forms_by_region(df, ["一", "二", "三", "四"], "人次")
    assert [t.name for t in fig.data] == ["一", "二", "三", "四"]
    assert list(fig.data[0].x) == ["甲区", "乙区"] and list(fig.data[0].y) == [2, 0]
    assert fig.layout.barmode == "stack"


def test_counts_bar_puts_the_largest_on_top():
    fig = charts_trends.counts_bar(["谈话函询", "初步核实", "转办"], [3, 9, 1], "件数")
    assert list(fig.data[0].y) == ["转办", "谈话函询", "初步核实"] and list(fig.data[0].x) == [1, 3, 9]


# --- the deck ---------------------------------------------------------------------------------

def test_the_deck_has_a_four_forms_slide_with_its_sentence_and_counts():
    deck = briefing.slides(fp.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF, WarningConfig(), "示例市")
    slide = next(s for s in deck.slides if s.key == "forms")
    assert slide.message.startswith("运用监督执纪“四种形态”批评教育帮助和处理 6 人次")
    assert slide.chart["categories"] == ["第一种形态", "第二种形态", "第三种形态", "第四种形态"]
    assert slide.chart["series"]["人次"] == [2, 2, 1, 1]
    kpis = next(s for s in deck.slides if s.key == "kpis")
    assert "立案 2 件 5 人，审结 1 件 2 人" in kpis.bullets


def test_the_one_page_summary_carries_the_forms_and_links_sentences():
    deck = briefing.slides(fp.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF, WarningConfig(), "示例市")
    page = briefing.summary_html(deck, "staff")
    assert "<h2>四种形态与五个环节</h2>" in page and "第四种形态 1 人次、占 16.7%" in page
    assert "反思剖析 4 次" in page


def test_a_deck_without_persons_has_no_forms_slide():
    deck = briefing.slides(fx.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF, WarningConfig(), "示例市")
    assert "forms" not in [s.key for s in deck.slides]


def test_the_pptx_has_the_forms_slide():
    import io

    from pptx import Presentation

    deck = briefing.slides(fp.tables(), Filters(*fx.MARCH), Scope(), fx.AS_OF, WarningConfig(), "示例市")
    prs = Presentation(io.BytesIO(briefing.to_pptx(deck, "staff")))
    titles = [next(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) for s in prs.slides]
    assert "运用监督执纪“四种形态”情况" in titles


# --- pages -------------------------------------------------------------------------------------

@pytest.fixture()
def url(tmp_path, monkeypatch):
    u = f"sqlite:///{tmp_path}/p.db"
    store.replace_all(u, fp.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", u)
    return u


def _fig(at, key):
    for chart in at.get("plotly_chart"):
        if key in chart.proto.id:
            return json.loads(chart.proto.spec)
    raise KeyError(key)


def test_overview_cards_read_cases_and_persons(url):
    at = signed_in("staff", params=MARCH_PARAMS)
    at.run()
    assert not at.exception
    cards = {m.label: m.value for m in at.metric}
    assert cards["立案数"] == "2 件 5 人" and cards["审结件数"] == "1 件 2 人"
    assert cards["运用四种形态"] == "6 人次"


def test_trends_forms_tab_shows_counts_sentence_and_regions(url):
    at = signed_in("leader", params=MARCH_PARAMS)
    at.run()
    at.switch_page("app_pages/trends.py").run()
    open_tab(at, "trend_tab.zh", "四种形态")
    assert not at.exception
    cards = {m.label: m.value for m in at.metric}
    assert (cards["第一种形态"], cards["第四种形态"]) == ("2 人次", "1 人次")
    assert any(t.value.startswith("运用监督执纪“四种形态”") for t in at.text)
    bars = _fig(at, "trend_forms_chart")["data"]
    assert bars[0]["x"] == ["甲区", "乙区"] and bars[0]["y"] == [2, 0]


def test_trends_leads_tab_and_link_events(url):
    at = signed_in("leader", params=MARCH_PARAMS)
    at.run()
    at.switch_page("app_pages/trends.py").run()
    open_tab(at, "trend_tab.zh", "线索处置")
    cards = {m.label: m.value for m in at.metric}
    assert cards["线索处置件数"] == "3 件" and cards["线索处置率"] == "75.0%"
    disp = _fig(at, "trend_dispositions_chart")["data"][0]
    assert dict(zip(disp["y"], disp["x"]))["立案审查"] == 1
    channels = _fig(at, "trend_channels_chart")["data"][0]
    assert sorted(channels["y"]) == ["12388", "来信", "电话", "网络"]
    open_tab(at, "trend_tab.zh", "五个环节")  # the link events sit beside the per-case funnel
    cards = {m.label: m.value for m in at.metric}
    assert cards["反思剖析（次）"] == "4 次" and cards["回访促建（次）"] == "2 次"


def test_every_new_label_has_chinese_and_english():
    from dashboard.i18n import CATALOGUE

    keys = [f"metric.{k}" for k in (*metrics.PERSON_SUMMARY_KEYS, "forms_total", "disposal_rate", "notify_events",
                                    "expose_events", *metrics.DISPOSITION_KEYS.values(),
                                    *(f"form{i}_share" for i in range(1, 5)))]
    keys += ["trend.tab.forms", "trend.tab.leads", "trend.forms_by_region", "trend.person_times", "trend.share_yoy",
             "trend.link_events", "trend.dispositions", "trend.channels", "trend.pieces", "unit.times"]
    for key in keys:
        zh, en = CATALOGUE[key]
        assert zh and en and zh != en, key


def test_a_column_slide_with_last_year_draws_it_in_a_second_colour():
    from dashboard.components_briefing import _figure

    fig = _figure({"type": "column", "categories": ["第一种形态"], "series": {"人次": [2], "去年同期": [1]}})
    assert fig.data[0].marker.color != fig.data[1].marker.color
