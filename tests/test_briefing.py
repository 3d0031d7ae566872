"""The meeting deck: slides in order, chart data equal to the query layer, scope and as-of on
the title, Chinese intact, the CLI, the sentences, and the 汇报 page's navigation."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pptx import Presentation

from dashboard import briefing, components_briefing
from dashboard.cli import main
from dashboard.sentences import sentence
from queries import metrics, store
from queries.filters import Filters, Scope
from queries.warnings_config import WarningConfig
from tests import fixtures as fx
from tests.apptest import signed_in

Q1 = Filters(date(2024, 1, 1), date(2024, 3, 31))


@pytest.fixture(scope="module")
def deck():
    return briefing.slides(fx.tables(), Q1, Scope(), fx.AS_OF, WarningConfig(), "示例市")


@pytest.fixture(scope="module")
def prs(deck):
    return Presentation(io.BytesIO(briefing.to_pptx(deck, "张三（zs）")))


def _texts(slide) -> str:
    return " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)


def test_slides_are_in_the_expected_order(prs):
    titles = [_texts(s).split(" ")[0] for s in prs.slides]
    assert [t[:4] for t in titles] == ["示例市基", "核心指标", "问题分布", "立案数月", "案件“五", "重点预警", "推进缓慢", "专项治理"]


def test_title_slide_carries_scope_and_as_of(prs):
    text = _texts(prs.slides[0])
    assert "示例市基层监督工作情况汇报" in text and "截至 2024-03-31" in text and "2024-01-01 至 2024-03-31" in text


def test_every_slide_has_scope_and_as_of_in_its_footer(prs):
    assert all("截至 2024-03-31" in _texts(s) for s in prs.slides)


def test_trend_chart_data_equals_the_query_layer(prs):
    chart = next(s for s in prs.slides[3].shapes if s.has_chart).chart
    values = list(chart.plots[0].series[0].values)
    expected = metrics.monthly(fx.tables(), Q1, Scope(), fx.AS_OF, ["cases_filed"])["cases_filed"].to_list()
    assert values == [float(v) for v in expected] == [0.0, 1.0, 2.0]
    assert list(chart.plots[0].categories) == ["2024年1月", "2024年2月", "2024年3月"]


# Q1 2024 seen on 5 March: March holds 1 case (1 Mar); a year earlier 1–5 Mar held none (c4 is 10 Mar).
PARTIAL_Q1 = Filters(date(2024, 1, 1), date(2024, 3, 5))


@pytest.fixture(scope="module")
def partial_deck():
    return briefing.slides(fx.tables(), PARTIAL_Q1, Scope(), date(2024, 3, 5), WarningConfig(), "示例市")


def test_trend_line_stops_at_the_last_finished_month(partial_deck):
    spec = next(s for s in partial_deck.slides if s.key == "trend").chart
    assert spec["categories"] == ["2024年1月", "2024年2月", "2024年3月（截至5日）"]
    assert spec["series"]["本期"] == [0, 1, None]


def test_partial_month_is_its_own_marker_series_against_the_same_days(partial_deck):
    spec = next(s for s in partial_deck.slides if s.key == "trend").chart
    assert spec["series"]["本期（未结束）"] == [None, None, 1]
    assert spec["series"]["去年同期（相同天数）"] == [None, None, 0]
    assert spec["markers_only"] == ["本期（未结束）", "去年同期（相同天数）"]


def test_pptx_keeps_the_partial_month_a_gap_not_a_zero(partial_deck):
    prs = Presentation(io.BytesIO(briefing.to_pptx(partial_deck, "张三（zs）")))
    chart = next(s for s in prs.slides[3].shapes if s.has_chart).chart
    assert list(chart.plots[0].series[0].values) == [0.0, 1.0, None]


def test_summary_and_title_slide_say_the_period_is_not_over(partial_deck):
    note = "2024年第1季度（截至3月5日）尚未结束：数据截至 2024-03-05，同比、环比按相同天数比较。"
    assert partial_deck.partial_note == note
    assert note in briefing.summary_html(partial_deck, "张三（zs）")
    prs = Presentation(io.BytesIO(briefing.to_pptx(partial_deck, "张三（zs）")))
    assert note in _texts(prs.slides[0])


def test_a_finished_period_carries_no_partial_note(deck):
    assert deck.partial_note == ""


def test_ranking_chart_is_a_native_chart_of_the_rollup(prs):
    chart = next(s for s in prs.slides[2].shapes if s.has_chart).chart
    got = dict(zip(chart.plots[0].categories, chart.plots[0].series[0].values))
    assert got == {"甲区": 4.0, "乙区": 1.0}  # q1, q2, q3, q5 in 甲区; q4 in 乙区


def test_speaker_notes_state_definitions(prs):
    assert "按立案日期" in prs.slides[1].notes_slide.notes_text_frame.text


def test_chinese_text_survives_the_round_trip(prs):
    assert "立案 3 件" in _texts(prs.slides[1])


def _content(deck) -> list[tuple]:
    """What each slide says and charts, in order, leaving out only who generated it and when
    (the footer's "<account> 生成于 <minute>")."""
    slides = []
    for slide in deck.slides:
        texts = [re.sub(r"\S+ 生成于 \d{4}-\d\d-\d\d \d\d:\d\d", "", s.text_frame.text)
                 for s in slide.shapes if s.has_text_frame]
        charts = [(list(s.chart.plots[0].categories), [list(series.values) for series in s.chart.plots[0].series])
                  for s in slide.shapes if s.has_chart]
        slides.append((texts, charts, slide.notes_slide.notes_text_frame.text))
    return slides


def test_cli_writes_the_same_deck(tmp_path, capsys, prs):
    url = f"sqlite:///{tmp_path}/b.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    out = tmp_path / "deck.pptx"
    assert main(["briefing", "--db", url, "--as-of", "2024-03-31", "--from", "2024-01-01", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"已生成 {out}（8 页）"
    written = _content(Presentation(str(out)))
    assert len(written) == 8 and written == _content(prs)


def test_cli_refuses_a_non_pptx_output(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/b.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    out = tmp_path / "x.pdf"
    assert main(["briefing", "--db", url, "--as-of", "2024-03-31", "--out", str(out)]) != 0
    assert capsys.readouterr().err.strip() == f"--out 应为 .pptx 文件：{out}"
    assert not out.exists()


@pytest.mark.parametrize(("key", "c", "comparison", "text"), [
    ("cases_filed", {"value": 1234, "yoy_value": 1099, "yoy_change": 135 / 1099}, "yoy", "立案 1,234 件，同比增加 12.3%（多 135 件）"),
    ("cases_filed", {"value": 90, "yoy_value": 100, "yoy_change": -0.1}, "yoy", "立案 90 件，同比减少 10.0%（少 10 件）"),
    ("completion_rate", {"value": 0.865, "mom_value": 0.844, "mom_change": 0.021}, "mom", "整改完成率 86.5%，较上期提高 2.1 个百分点"),
    ("funds_recovered_wan", {"value": 12.5, "yoy_value": 12.5, "yoy_change": 0.0}, "yoy", "追缴挽回资金 12.50 万元，同比持平"),
])
def test_sentences_read_like_a_report(key, c, comparison, text):
    assert sentence(key, c, comparison) == text


def test_page_turns_slides_and_counts(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/b.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    at = signed_in("leader", params={"period": "自定义", "range": ["2024-01-01", "2024-03-31"], "as_of": "2024-03-31"}).run()
    at.switch_page("app_pages/briefing.py").run()
    assert any("第 1 / 8 页" in m.value for m in at.markdown)
    at.button(key="brief_next").click().run()
    assert any("第 2 / 8 页" in m.value for m in at.markdown)
    assert [h.value for h in at.header] == ["核心指标"]
    assert len(at.get("download_button")) == 2


# --- the slide show (开始放映) -----------------------------------------------------------------

@pytest.fixture
def page(tmp_path, monkeypatch):
    """The 汇报 page of Q1 2024 on the fixture store, signed in as a leader; `page.builds`
    counts how often the deck is computed."""
    url = f"sqlite:///{tmp_path}/b.db"
    store.replace_all(url, fx.tables(), None, dataset="ledger")
    monkeypatch.setenv("OVERSIGHT_DB_URL", url)
    builds = []
    real = briefing.slides
    monkeypatch.setattr(briefing, "slides", lambda *a, **k: builds.append(1) or real(*a, **k))
    at = signed_in("leader", params={"period": "自定义", "range": ["2024-01-01", "2024-03-31"], "as_of": "2024-03-31"}).run()
    at.switch_page("app_pages/briefing.py").run()
    at.builds = builds
    return at


def _counter(at) -> list[str]:
    return [m.value for m in at.main.markdown if "页" in m.value and "第" in m.value]


def _main_buttons(at) -> list[str]:
    return [b.key for b in at.main.button]


def test_start_button_is_the_first_thing_on_the_page(page):
    assert page.main.button[0].key == "brief_start" and page.main.button[0].label == "开始放映"


def test_the_show_draws_only_the_slide_and_its_controls(page):
    page.button(key="brief_start").click().run()
    assert _main_buttons(page) == ["brief_prev", "brief_next", "brief_exit", "brief_space", "brief_pagedown",
                                   "brief_pageup"]
    assert _counter(page) == ["**第 1 / 8 页**"]
    assert len(page.main.expander) == 0 and len(page.get("download_button")) == 0
    assert len(page.main.multiselect) == 0 and len(page.main.code) == 0
    css = [h.proto.body for h in page.get("html") if "stSidebar" in h.proto.body]
    assert css == [components_briefing.SHOW_CSS]  # sidebar, top menu and page chrome hidden


def test_the_show_keys_are_button_shortcuts(page):
    page.button(key="brief_start").click().run()
    keys = {b.key: b.proto.shortcut for b in page.main.button}
    assert keys == {"brief_prev": "left", "brief_next": "right", "brief_exit": "escape", "brief_space": "space",
                    "brief_pagedown": "pagedown", "brief_pageup": "pageup"}  # as Streamlit sends them


def test_the_show_turns_forward_and_back(page):
    page.button(key="brief_start").click().run()
    page.button(key="brief_next").click().run()
    page.button(key="brief_space").click().run()
    assert _counter(page) == ["**第 3 / 8 页**"] and [h.value for h in page.header] == ["问题分布（地图）"]
    page.button(key="brief_prev").click().run()
    assert _counter(page) == ["**第 2 / 8 页**"] and [h.value for h in page.header] == ["核心指标"]


def test_the_last_slide_cannot_turn_further(page):
    page.button(key="brief_start").click().run()
    for _ in range(7):
        page.button(key="brief_pagedown").click().run()
    assert _counter(page) == ["**第 8 / 8 页**"] and [h.value for h in page.header] == ["专项治理项目进展"]
    assert page.button(key="brief_next").disabled and page.button(key="brief_space").disabled


def test_ending_the_show_brings_the_page_back_at_the_same_slide(page):
    page.button(key="brief_start").click().run()
    page.button(key="brief_next").click().run()
    page.button(key="brief_exit").click().run()
    assert "brief_start" in _main_buttons(page) and "brief_exit" not in _main_buttons(page)
    assert len(page.get("download_button")) == 2
    assert _counter(page) == ["**第 2 / 8 页**　键盘 ← → 翻页"]
    assert not [h for h in page.get("html") if "stSidebar" in h.proto.body]


def test_the_show_starts_at_the_first_slide(page):
    page.button(key="brief_next").click().run()
    page.button(key="brief_next").click().run()
    page.button(key="brief_start").click().run()
    assert _counter(page) == ["**第 1 / 8 页**"]


def test_the_show_keeps_the_chosen_slides_and_their_order(page):
    page.multiselect(key="brief_slides").set_value(["trend", "title", "warnings"]).run()
    page.button(key="brief_start").click().run()
    assert _counter(page) == ["**第 1 / 3 页**"] and [h.value for h in page.header] == ["立案数月度走势"]
    page.button(key="brief_next").click().run()
    page.button(key="brief_exit").click().run()
    assert page.multiselect(key="brief_slides").value == ["trend", "title", "warnings"]
    assert _counter(page) == ["**第 2 / 3 页**　键盘 ← → 翻页"]


def test_the_deck_is_built_once_for_many_page_turns(page):
    page.button(key="brief_start").click().run()
    for key in ("brief_next", "brief_next", "brief_space", "brief_prev", "brief_pagedown"):
        page.button(key=key).click().run()
    assert _counter(page) == ["**第 4 / 8 页**"]  # 1 → 2 → 3 → 4 → 3 → 4
    page.button(key="brief_exit").click().run()
    assert page.builds == [1]


def test_a_table_slide_in_the_show_is_escaped_markup(page):
    page.button(key="brief_start").click().run()
    for _ in range(5):
        page.button(key="brief_next").click().run()
    assert [h.value for h in page.header] == ["重点预警"]
    tables = [h.proto.body for h in page.main.get("html") if "brief-table" in h.proto.body]
    assert len(tables) == 1 and "<th>等级</th><th>规则</th>" in tables[0]
    assert len(page.get("arrow_data_frame")) == 0  # the grid keeps its own small font: not in the show


def test_show_table_escapes_every_name_and_value():
    import polars as pl

    html = components_briefing._table_html(pl.DataFrame({"<b>列</b>": ["<img src=x onerror=alert(1)>"], "n": [12345]}))
    assert "<img" not in html and "<b>" not in html
    assert "<th>&lt;b&gt;列&lt;/b&gt;</th>" in html and "<td>&lt;img src=x onerror=alert(1)&gt;</td>" in html
    assert "<td>12,345</td>" in html


def test_the_show_draws_a_slides_bullets_as_one_list(page, deck):
    page.button(key="brief_start").click().run()
    page.button(key="brief_next").click().run()
    kpis = next(s for s in deck.slides if s.key == "kpis")
    lists = [h.proto.body for h in page.main.get("html") if "brief-list" in h.proto.body]
    assert len(lists) == 1 and lists[0].count("<li>") == len(kpis.bullets) > 6
    assert f"<li>{kpis.bullets[0]}</li>" in lists[0]
    assert not [m for m in page.main.markdown if m.value.startswith("- ")]
