"""The meeting deck: the same figures as the cockpit, as an editable 16:9 PowerPoint.

Charts are native PowerPoint charts built from the query layer's numbers (staff can restyle or
correct them before the meeting), tables are native tables, every slide carries the scope and
as-of date, and the speaker notes say how each figure is defined and where it comes from.
`slides()` is the single description of the deck that both the 汇报 page and the .pptx use.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
from pptx.util import Emu, Pt

from dashboard.charts_trends import partial_label
from dashboard.sentences import FORM_NAMES, cases_persons_sentence, forms_sentence, headline, leads_sentence, links_sentence
from queries import boards, metrics, periods, trends
from queries import warnings as W
from queries.filters import Filters, Scope
from queries.schema import Tables
from queries.warnings_config import WarningConfig

FONT = "微软雅黑"
NAVY = RGBColor(0x1F, 0x4E, 0x79)
GREY = RGBColor(0x59, 0x59, 0x59)
W_, H_ = Emu(12192000), Emu(6858000)  # 16:9, 13.333 × 7.5 in

DEFINITIONS = {
    "kpis": "立案数按立案日期、处分人数（党纪+政务）按审结日期、追缴挽回资金按审结/整改完成日期、信访件数按受理日期统计；"
            "办结率=截至日期前办结件数÷受理件数；满意率=（满意+基本满意）÷已评价件数；整改完成率=完成时限在期间内的事项中截至日期前已完成的比例；"
            "逾期事项为截至日期的存量。来源：案件、信访举报、整改事项台账。",
    "trend": "每月立案数（按立案日期），与去年同期同月比较；尚未结束的月份单独以空心点标出，"
             "并与去年同月相同天数比较。来源：案件台账。",
    "map": "下级区域的信访件数（按受理日期）；汇报页面为地图，演示文稿中为排序条形图。来源：信访举报台账。",
    "forms": "一人一次、按最重的处理措施计入一种形态（对应关系见 config/forms.toml），按处理（处分）决定日期统计；"
             "占比为各形态人次占四种形态合计的比例。来源：涉案人员台账。",
    "funnel": "期间内审结的案件依次完成通报曝光、反思剖析、回访促建、反馈整改的件数（须依次完成前序环节）。来源：案件台账。",
    "warnings": "截至日期的预警（规则 R1–R4、C1–C3、K1–K2、P1，阈值见 config/warnings.toml），按严重程度和天数排序。",
    "slow": "按逾期整改事项数、再按未处置预警数排序；较上月为与一个月前同口径相比。来源：整改事项台账。",
    "projects": "各专项治理项目截至日期的事项数、完成数、完成率、逾期数、平均滞后（相对直线计划的百分点）。来源：整改事项台账。",
}


@dataclass
class Slide:
    key: str
    title: str
    message: str                       # the one message of the slide
    chart: dict | None = None          # {"type": "bar"|"line"|"column", "categories": [...], "series": {name: [...]}}
    table: pl.DataFrame | None = None
    bullets: list[str] = field(default_factory=list)


@dataclass
class Deck:
    title: str
    scope_line: str
    slides: list[Slide]
    partial_note: str = ""             # said when the period is not over at as_of (queries.periods)
    # The 件/人, five-link and lead sentences (also the kpis slide's last bullets): the one-page
    # summary gives them their own section.
    persons_lines: list[str] = field(default_factory=list)


def slides(tables: Tables, filters: Filters, scope: Scope, as_of: date, cfg: WarningConfig,
           region_name: str) -> Deck:
    """Compute every slide's content from the query layer (no Streamlit, no pptx here)."""
    compared = metrics.compare(tables, filters, scope, as_of)
    lines = headline(compared)
    scope_line = f"{region_name} · {filters.start} 至 {filters.end} · 截至 {as_of}"
    out = [Slide("title", f"{region_name}基层监督工作情况汇报", scope_line)]
    persons_lines = [cases_persons_sentence(compared), links_sentence(compared), leads_sentence(compared)]
    out.append(Slide("kpis", "核心指标", lines[0] if lines else "本期无数据",
                     bullets=[*lines[1:], *persons_lines]))
    ranking = metrics.rollup(tables, filters, scope, as_of, ("complaints_received",)).sort(
        "complaints_received", descending=True)
    if ranking.height:
        # Drawn as the interactive map on the 汇报 page; the .pptx shows it as a ranked bar chart
        # (PowerPoint has no native map chart, and a picture would need a renderer we do not ship).
        top = ranking.row(0, named=True)
        out.append(Slide("map", "问题分布（地图）", f"{top['name']}受理信访举报最多，{top['complaints_received']:,} 件",
                         chart={"type": "bar", "categories": ranking["name"].to_list(),
                                "series": {"信访件数": ranking["complaints_received"].to_list()}}))
    trend = trends.with_last_year(tables, filters, scope, as_of, "cases_filed", "1mo")
    out.append(Slide("trend", "立案数月度走势", next((l for l in lines if l.startswith("立案")), ""),
                     chart=trend_chart(trend)))
    if compared["forms_total"]["value"]:
        out.append(Slide("forms", "运用监督执纪“四种形态”情况", forms_sentence(compared),
                         chart={"type": "column", "categories": list(FORM_NAMES),
                                "series": {"人次": [compared[f"form{i}_persons"]["value"] for i in range(1, 5)],
                                           "去年同期": [compared[f"form{i}_persons"]["yoy_value"] or 0
                                                    for i in range(1, 5)]}}))
    funnel = trends.funnel(tables, filters, scope, as_of).filter(pl.col("district_code") == "__all__").sort("step")
    if funnel.height and funnel["count"][0]:
        last = funnel["count"][-1] / funnel["count"][0]
        out.append(Slide("funnel", "案件“五个环节”推进", f"审结案件中 {last * 100:.1f}% 已完成反馈整改",
                         chart={"type": "column", "categories": funnel["link"].to_list(),
                                "series": {"案件数": funnel["count"].to_list()}}))
    warns = W.evaluate(tables, filters, scope, as_of, cfg)
    counts = W.counts(warns)["by_level"]
    out.append(Slide("warnings", "重点预警", f"红色预警 {counts['红']:,} 条、橙色 {counts['橙']:,} 条、黄色 {counts['黄']:,} 条",
                     table=warns.head(8).select(
                         pl.col("level").alias("等级"), pl.col("rule").alias("规则"),
                         pl.concat_str([pl.col("district").fill_null(""), pl.col("township").fill_null("")],
                                       separator=" ").alias("区域"),
                         pl.col("unit").fill_null("—").alias("责任单位"), pl.col("reason").alias("预警原因"))))
    slow = boards.slow_townships(tables, filters, scope, as_of, cfg).head(10)
    if slow.height:
        first = slow.row(0, named=True)
        out.append(Slide("slow", "推进缓慢乡镇（街道）", f"{first['district']}{first['township']}逾期整改事项 {first['overdue']} 件，居首位",
                         table=slow.select(pl.col("rank").alias("排名"), pl.col("district").alias("区县"),
                                           pl.col("township").alias("乡镇（街道）"), pl.col("overdue").alias("逾期"),
                                           pl.col("open_warnings").alias("预警"),
                                           pl.col("overdue_change").alias("逾期较上月"))))
    proj = boards.project_board(tables, filters, scope, as_of)
    if proj.height:
        worst = proj.row(0, named=True)
        out.append(Slide("projects", "专项治理项目进展", f"{worst['project']}完成率 {worst['completion_rate'] * 100:.1f}%，相对靠后",
                         table=proj.select(pl.col("project").alias("项目"), pl.col("items").alias("事项"),
                                           pl.col("completed").alias("完成"),
                                           (pl.col("completion_rate") * 100).round(1).alias("完成率%"),
                                           pl.col("overdue").alias("逾期"), pl.col("lead_unit").alias("牵头单位"))))
    bucket = periods.period_bucket(filters.start, filters.end, as_of)
    note = ""
    if bucket:
        to = min(filters.end, as_of)
        note = f"{partial_label(*bucket, 'zh', to)}尚未结束：数据截至 {to}，同比、环比按相同天数比较。"
    return Deck(title=out[0].title, scope_line=scope_line, slides=out, partial_note=note, persons_lines=persons_lines)


def trend_chart(trend: pl.DataFrame) -> dict:
    """The trend slide's line chart. A month not over at as_of (queries.periods) is not joined to
    the line, where two days of records would read as a plunge: the lines stop at the last
    finished month and the partial month is shown as separate marker-only series ("截至2日"),
    this year's and last year's same days side by side."""
    cats = [partial_label(d, "1mo", "zh", to) for d, to in zip(trend["period"], trend["partial_to"])]
    partial = trend["partial"].to_list()
    now, before = trend["value"].to_list(), trend["last_year"].to_list()
    series = {"本期": [None if p else v for v, p in zip(now, partial)],
              "去年同期": [None if p else (v or 0) for v, p in zip(before, partial)]}
    if any(partial):
        series["本期（未结束）"] = [v if p else None for v, p in zip(now, partial)]
        series["去年同期（相同天数）"] = [(v or 0) if p else None for v, p in zip(before, partial)]
    return {"type": "line", "categories": cats, "series": series,
            "markers_only": [name for name in series if name.endswith("）")]}


# --- PowerPoint ------------------------------------------------------------------------------

def _text(frame, text: str, size: int, bold: bool = False, color: RGBColor = GREY) -> None:
    tf = frame.text_frame
    tf.word_wrap = True
    p = tf.paragraphs[0]
    p.text = text
    for r in p.runs:
        r.font.size, r.font.bold, r.font.name = Pt(size), bold, FONT
        r.font.color.rgb = color


def _box(slide, x, y, w, h, text, size, bold=False, color=GREY):
    shape = slide.shapes.add_textbox(Emu(x), Emu(y), Emu(w), Emu(h))
    _text(shape, text, size, bold, color)
    return shape


def _chart(slide, spec: dict) -> None:
    data = CategoryChartData()
    data.categories = spec["categories"]
    for name, values in spec["series"].items():
        # A line's missing point stays a gap (a partial month is not drawn as zero).
        data.add_series(name, [None if v is None and spec["type"] == "line" else float(v or 0) for v in values])
    kind = {"line": XL_CHART_TYPE.LINE_MARKERS, "bar": XL_CHART_TYPE.BAR_CLUSTERED,
            "column": XL_CHART_TYPE.COLUMN_CLUSTERED}[spec["type"]]
    frame = slide.shapes.add_chart(kind, Emu(600000), Emu(1900000), Emu(11000000), Emu(4300000), data)
    chart = frame.chart
    chart.font.size, chart.font.name = Pt(14), FONT
    chart.has_legend = len(spec["series"]) > 1
    if chart.has_legend:
        chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.TOP, False
    for series in chart.plots[0].series:
        if series.name in spec.get("markers_only", ()):
            series.format.line.fill.background()
            series.marker.style, series.marker.size = XL_MARKER_STYLE.CIRCLE, 11
    if spec["type"] != "line":
        plot = chart.plots[0]
        plot.has_data_labels = True
        plot.data_labels.font.size = Pt(12)
        plot.data_labels.number_format, plot.data_labels.number_format_is_linked = "#,##0", False


def _table(slide, df: pl.DataFrame) -> None:
    rows, cols = df.height + 1, df.width
    shape = slide.shapes.add_table(rows, cols, Emu(600000), Emu(1900000), Emu(11000000), Emu(380000 * rows))
    table = shape.table
    for c, name in enumerate(df.columns):
        _text(table.cell(0, c), name, 14, bold=True, color=RGBColor(0xFF, 0xFF, 0xFF))
    for r, row in enumerate(df.iter_rows(), start=1):
        for c, value in enumerate(row):
            _text(table.cell(r, c), "—" if value is None else (f"{value:,}" if isinstance(value, int) else str(value)),
                  12, color=RGBColor(0x11, 0x11, 0x11))


def to_pptx(deck: Deck, account: str) -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = W_, H_
    blank = prs.slide_layouts[6]
    stamp = f"{deck.scope_line}　　{account} 生成于 {datetime.now():%Y-%m-%d %H:%M}"
    for i, s in enumerate(deck.slides, start=1):
        slide = prs.slides.add_slide(blank)
        if s.key == "title":
            _box(slide, 700000, 2300000, 10800000, 1200000, s.title, 40, bold=True, color=NAVY)
            _box(slide, 700000, 3600000, 10800000, 600000, s.message, 22)
            _box(slide, 700000, 4300000, 10800000, 500000, "演示数据" if "示例市" in s.title else "", 16)
            if deck.partial_note:
                _box(slide, 700000, 4900000, 10800000, 600000, deck.partial_note, 16)
        else:
            _box(slide, 600000, 350000, 11000000, 700000, s.title, 30, bold=True, color=NAVY)
            _box(slide, 600000, 1100000, 11000000, 700000, s.message, 20, color=RGBColor(0xC0, 0x39, 0x2B))
            if s.chart:
                _chart(slide, s.chart)
            elif s.table is not None:
                _table(slide, s.table)
            elif s.bullets:
                box = _box(slide, 600000, 1900000, 11000000, 4300000, s.bullets[0], 20)
                for line in s.bullets[1:]:
                    p = box.text_frame.add_paragraph()
                    p.text = line
                    for r in p.runs:
                        r.font.size, r.font.name = Pt(20), FONT
        _box(slide, 600000, 6350000, 11000000, 350000, f"{stamp}　　{i}/{len(deck.slides)}", 11)
        slide.notes_slide.notes_text_frame.text = DEFINITIONS.get(s.key, deck.scope_line)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def summary_html(deck: Deck, account: str) -> str:
    """A printable A4 page with the headline sentences and the top warnings, for a leader who
    will not open a deck. Self-contained HTML (no outside fonts or scripts)."""
    import html as h

    kpis = next((s for s in deck.slides if s.key == "kpis"), None)
    warn = next((s for s in deck.slides if s.key == "warnings"), None)
    slow = next((s for s in deck.slides if s.key == "slow"), None)

    def table(df: pl.DataFrame | None) -> str:
        if df is None or df.is_empty():
            return "<p>本期无数据</p>"
        head = "".join(f"<th>{h.escape(c)}</th>" for c in df.columns)
        body = "".join("<tr>" + "".join(f"<td>{h.escape(str(v) if v is not None else '—')}</td>" for v in r) + "</tr>"
                       for r in df.iter_rows())
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    lines = ([kpis.message] + [b for b in kpis.bullets if b not in deck.persons_lines]) if kpis else []
    forms = next((s for s in deck.slides if s.key == "forms"), None)
    persons_lines = ([forms.message] if forms else []) + deck.persons_lines
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{h.escape(deck.title)}</title>
<style>@page {{ size: A4; margin: 16mm; }} body {{ font-family: "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
font-size: 11pt; color: #111; }} h1 {{ color: #1f4e79; font-size: 18pt; margin: 0 0 4pt; }}
.scope {{ color: #555; margin-bottom: 10pt; }} h2 {{ font-size: 13pt; color: #1f4e79; border-bottom: 1px solid #1f4e79; }}
table {{ border-collapse: collapse; width: 100%; font-size: 9.5pt; }} th, td {{ border: 1px solid #bbb; padding: 2pt 4pt; text-align: left; }}
th {{ background: #1f4e79; color: #fff; }} footer {{ margin-top: 12pt; color: #777; font-size: 8.5pt; }}</style></head>
<body><h1>{h.escape(deck.title)}</h1><div class="scope">{h.escape(deck.scope_line)}</div>
{f'<p class="partial">{h.escape(deck.partial_note)}</p>' if deck.partial_note else ""}
<h2>核心指标</h2><ul>{"".join(f"<li>{h.escape(l)}</li>" for l in lines)}</ul>
<h2>四种形态与五个环节</h2><ul>{"".join(f"<li>{h.escape(l)}</li>" for l in persons_lines)}</ul>
<h2>重点预警</h2><p>{h.escape(warn.message) if warn else ""}</p>{table(warn.table if warn else None)}
<h2>推进缓慢乡镇（街道）</h2>{table(slow.table.head(5) if slow and slow.table is not None else None)}
<footer>{h.escape(account)} 生成于 {datetime.now():%Y-%m-%d %H:%M}　内部资料　注意保密</footer></body></html>"""
