"""Trend chart builders: frames in, plotly figures out (pure, tested on the figure data)."""
from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import polars as pl

from dashboard import fmt as nf
from dashboard import safe
from dashboard.charts import ACCENT, PRIMARY, _base_layout, count_axis
from dashboard.i18n import t

# One colour per field, the same on every chart (Okabe–Ito plus two greys: colour-blind safe).
FIELD_COLORS = {
    "集体三资": "#0072B2", "惠民惠农": "#E69F00", "乡村振兴": "#009E73", "教育医疗": "#CC79A7",
    "养老社保": "#56B4E9", "生态环保": "#D55E00", "食品药品": "#F0E442", "执法司法": "#000000",
    "工程建设": "#999999", "其他": "#BBBBBB",
}
# Composition splits only counted metrics (a money stack keeps its decimals).
_COUNT_METRICS = ("cases_filed", "complaints_received", "persons_disciplined", "exposed",
                  "rectifications_total", "rectifications_completed")
SERIES_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
                 "#999999", "#882255", "#44AA99", "#117733"]


def period_label(d: date, every: str, lang: str) -> str:
    """2025年3月 / 2025年第1季度 / 2025年 (or Mar 2025 / Q1 2025 / 2025)."""
    if every == "1y":
        return f"{d.year}年" if lang == "zh" else str(d.year)
    if every == "3mo":
        q = (d.month - 1) // 3 + 1
        return f"{d.year}年第{q}季度" if lang == "zh" else f"Q{q} {d.year}"
    return f"{d.year}年{d.month}月" if lang == "zh" else d.strftime("%b %Y")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def partial_label(d: date, every: str, lang: str, to: date | None) -> str:
    """A bucket's label, with "（截至2日）" / " (to 2nd)" when it is partial (counted to `to`):
    a month names the day, a quarter or year the month and day."""
    label = period_label(d, every, lang)
    if to is None:
        return label
    if every == "1mo":
        return label + t("partial.to_day", lang, day=to.day, ordinal=_ordinal(to.day))
    return label + t("partial.to_date", lang, month=to.month, day=to.day, mon=to.strftime("%b"))


def _labels(df: pl.DataFrame, every: str, lang: str) -> list[str]:
    """Bucket labels; a frame from trends.with_last_year carries `partial_to` for the partial one."""
    tos = df["partial_to"].to_list() if "partial_to" in df.columns else [None] * df.height
    return [partial_label(d, every, lang, to) for d, to in zip(df["period"], tos)]


def _partial_flags(df: pl.DataFrame) -> list[bool]:
    return df["partial"].to_list() if "partial" in df.columns else [False] * df.height


PARTIAL_OPACITY = 0.45


def _tick(unit: str) -> str:
    return nf.PCT_D3 if unit == "rate" else (",.2f" if unit == "money" else ",.0f")


def trend_with_last_year(df: pl.DataFrame, every: str, lang: str, unit: str, this_label: str,
                         last_label: str, axis_title: str, marked: set[date] | None = None) -> go.Figure:
    """Bars for this period, a line for the same buckets a year earlier, red rings on the
    buckets flagged as anomalies. Each bar carries its bucket start in customdata (drill-down).
    A partial bucket (queries.periods) is drawn light with a dashed outline and labelled
    "（截至2日）"; an immature rate there is not drawn and reads "未到期"."""
    x = _labels(df, every, lang)
    partial = _partial_flags(df)
    immature = df["immature"].to_list() if "immature" in df.columns else [False] * df.height
    fmt = _tick(unit)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=df["value"].to_list(), name=this_label, marker_color=PRIMARY,
                         marker=dict(opacity=[PARTIAL_OPACITY if p else 1.0 for p in partial],
                                     pattern=dict(shape=["/" if p else "" for p in partial], fgcolor="white",
                                                  fillmode="overlay"),
                                     line=dict(color=PRIMARY, width=[2 if p else 0 for p in partial])),
                         customdata=[d.isoformat() for d in df["period"]],
                         texttemplate=f"%{{y:{fmt}}}", textposition="outside", cliponaxis=False,
                         hovertemplate=f"%{{x}}：%{{y:{fmt}}}<extra></extra>"))
    last_year = df["last_year"].to_list()
    # Last year's same elapsed days are not joined to its line (the line would plunge): an open marker.
    fig.add_trace(go.Scatter(x=x, y=[None if p else v for v, p in zip(last_year, partial)], name=last_label,
                             mode="lines+markers", line=dict(color="#E69F00", width=3),
                             hovertemplate=f"%{{x}}（{last_label}）：%{{y:{fmt}}}<extra></extra>"))
    if any(partial):
        same_days = t("partial.same_days", lang)
        fig.add_trace(go.Scatter(x=x, y=[v if p else None for v, p in zip(last_year, partial)],
                                 name=f"{last_label}{same_days}", mode="markers",
                                 marker=dict(symbol="circle-open", size=14, color="#E69F00", line=dict(width=3)),
                                 hovertemplate=f"%{{x}}（{last_label}{same_days}）：%{{y:{fmt}}}<extra></extra>"))
    for i, imm in enumerate(immature):
        if imm:
            fig.add_annotation(x=x[i], y=0, yref="y", text=t("partial.immature", lang), showarrow=False,
                               yshift=14, font=dict(color="#666"), name="immature")
    if marked:
        idx = [i for i, d in enumerate(df["period"]) if d in marked]
        # The ring sits mid-bar so that it never covers the value printed above the bar.
        fig.add_trace(go.Scatter(x=[x[i] for i in idx], y=[(df["value"][i] or 0) / 2 for i in idx], mode="markers",
                                 name="异常" if lang == "zh" else "Anomaly", hoverinfo="skip",
                                 marker=dict(symbol="circle-open", size=26, color=ACCENT, line=dict(width=3))))
    fig.update_yaxes(title_text=axis_title, tickformat=fmt, gridcolor="#e5e5e5", rangemode="tozero")
    if unit in ("count", "people"):
        count_axis(fig, df["value"].to_list() + df["last_year"].to_list())
    fig.update_xaxes(type="category")
    fig = _base_layout(fig, height=420)
    fig.update_layout(showlegend=True, legend=dict(orientation="h", y=1.1), bargap=0.3)
    return fig


def change_bars(df: pl.DataFrame, every: str, lang: str, is_rate: bool, title: str) -> go.Figure:
    """环比: the change from the previous bucket, green up / red down (rates in points). A partial
    bucket's change (against the same elapsed days, see queries.periods) is drawn light."""
    x = _labels(df, every, lang)
    y = [None if v is None else v for v in df["prev_change"].to_list()]
    partial = _partial_flags(df)
    colors = ["#2e7d32" if (v or 0) >= 0 else ACCENT for v in y]
    fmt = nf.PCT_D3_SIGNED
    fig = go.Figure(go.Bar(x=x, y=y, marker_color=colors,
                           marker=dict(opacity=[PARTIAL_OPACITY if p else 1.0 for p in partial]),
                           texttemplate=f"%{{y:{fmt}}}", textposition="outside",
                           cliponaxis=False, hovertemplate=f"%{{x}}：%{{y:{fmt}}}<extra></extra>"))
    fig.update_yaxes(title_text=title, tickformat=nf.PCT_D3, zeroline=True, zerolinecolor="#666", gridcolor="#eee")
    fig.update_xaxes(type="category")
    return _base_layout(fig, height=260)


def composition(df: pl.DataFrame, metric: str, every: str, lang: str, axis_title: str) -> go.Figure:
    """Stacked bars by category (field, source or channel), fields in their fixed colours."""
    fig = go.Figure()
    cats = df.group_by("category").agg(pl.col(metric).sum()).sort(metric, descending=True)["category"].to_list()
    for i, cat in enumerate(cats):
        sub = df.filter(pl.col("category") == cat).sort("period")
        fig.add_trace(go.Bar(x=[period_label(d, every, lang) for d in sub["period"]], y=sub[metric].to_list(),
                             name=safe.plot(cat), marker_color=FIELD_COLORS.get(cat, SERIES_COLORS[i % len(SERIES_COLORS)]),
                             hovertemplate=f"{safe.plot(cat)} %{{x}}：%{{y:,.0f}}<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text=axis_title, tickformat=",.0f", gridcolor="#e5e5e5")
    if metric in _COUNT_METRICS:
        totals = df.group_by("period").agg(pl.col(metric).sum())[metric].to_list()
        count_axis(fig, totals)
    fig.update_xaxes(type="category")
    fig = _base_layout(fig, height=420)
    fig.update_layout(showlegend=True, legend=dict(orientation="h", y=-0.15))
    return fig


def regions_lines(df: pl.DataFrame, metric: str, every: str, lang: str, unit: str, axis_title: str,
                  per10k: bool = False) -> go.Figure:
    """One line per child region; the legend is ordered by the latest value (a bump reading)."""
    fig = go.Figure()
    last = df.sort("period").group_by("name", maintain_order=True).agg(pl.col(metric).last()).sort(metric, descending=True)
    for i, name in enumerate(last["name"].to_list()):
        sub = df.filter(pl.col("name") == name).sort("period")
        fig.add_trace(go.Scatter(x=[period_label(d, every, lang) for d in sub["period"]], y=sub[metric].to_list(),
                                 name=safe.plot(name), mode="lines+markers", customdata=sub["code"].to_list(),
                                 line=dict(width=3, color=SERIES_COLORS[i % len(SERIES_COLORS)])))
    fig.update_yaxes(title_text=axis_title, tickformat=_tick(unit), gridcolor="#e5e5e5")
    if unit in ("count", "people") and not per10k:
        count_axis(fig, df[metric].to_list())
    fig.update_xaxes(type="category")
    fig = _base_layout(fig, height=440)
    fig.update_layout(showlegend=True)
    return fig


def funnel(df: pl.DataFrame) -> go.Figure:
    """The five links for the whole region, with the share of closed cases at each step."""
    total = df.filter(pl.col("district_code") == "__all__").sort("step")
    fig = go.Figure(go.Funnel(y=total["link"].to_list(), x=total["count"].to_list(),
                              texttemplate=f"%{{value:,d}}<br>%{{percentInitial:{nf.PCT_D3}}}",
                              marker=dict(color=PRIMARY)))
    return _base_layout(fig, height=360)


def handling_box(df: pl.DataFrame, axis_title: str, limit_label: str) -> go.Figure:
    """Days used per region as boxes, with each region's median time limit as a red tick."""
    fig = go.Figure()
    order = [safe.plot(r) for r in
             df.group_by("region").agg(pl.col("days").median()).sort("days", descending=True)["region"]]
    # One value per record (tens of thousands): handed over as arrays, which plotly takes as they
    # are (and sends as typed arrays) instead of validating a list element by element, most of
    # the 趋势 page's server time. The same figure: the same values, names escaped per region.
    names = df["region"].fill_null("")
    escaped = {r: safe.plot(r) for r in names.unique().to_list()}
    days = df["days"]
    fig.add_trace(go.Box(x=names.replace_strict(escaped, return_dtype=pl.String).to_numpy(),
                         y=days.to_numpy() if days.null_count() == 0 else days.to_list(), marker_color=PRIMARY,
                         boxpoints=False, name=axis_title))
    lim = df.group_by("region").agg(pl.col("limit").median())
    fig.add_trace(go.Scatter(x=[safe.plot(r) for r in lim["region"]], y=lim["limit"].to_list(), mode="markers",
                             name=limit_label,
                             marker=dict(symbol="line-ew-open", size=36, color=ACCENT, line=dict(width=3))))
    fig.update_xaxes(categoryorder="array", categoryarray=order)
    fig.update_yaxes(title_text=axis_title, gridcolor="#e5e5e5", rangemode="tozero")
    fig = _base_layout(fig, height=380)
    fig.update_layout(showlegend=True, legend=dict(orientation="h", y=1.12))
    return fig


FORM_COLORS = ("#56B4E9", "#E69F00", "#D55E00", "#882255")  # first → fourth: light to grave


def forms_by_region(df: pl.DataFrame, form_labels: list[str], axis_title: str) -> go.Figure:
    """四种形态 人次 per child region, stacked first to fourth form (columns name,
    form1_persons … form4_persons), regions with the most handled first."""
    keys = [f"form{i}_persons" for i in range(1, 5)]
    order = df.with_columns(pl.sum_horizontal(keys).alias("_total")).sort("_total", descending=True)
    fig = go.Figure()
    for key, label, color in zip(keys, form_labels, FORM_COLORS):
        fig.add_trace(go.Bar(x=order["name"].to_list(), y=order[key].to_list(), name=label, marker_color=color,
                             hovertemplate=f"%{{x}} · {label}：%{{y:,.0f}}<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text=axis_title, tickformat=",.0f", gridcolor="#e5e5e5", rangemode="tozero")
    fig.update_xaxes(type="category")
    fig = _base_layout(fig, height=380)
    fig.update_layout(showlegend=True, legend=dict(orientation="h", y=1.12))
    return fig


def counts_bar(labels: list[str], values: list[int], axis_title: str) -> go.Figure:
    """Counts per category as horizontal bars, largest on top (dispositions, channels)."""
    pairs = sorted(zip(labels, values), key=lambda p: p[1])
    fig = go.Figure(go.Bar(y=[p[0] for p in pairs], x=[p[1] for p in pairs], orientation="h", marker_color=PRIMARY,
                           texttemplate="%{x:,.0f}", textposition="outside", cliponaxis=False,
                           hovertemplate="%{y}：%{x:,.0f}<extra></extra>"))
    fig.update_xaxes(title_text=axis_title, tickformat=",.0f", gridcolor="#e5e5e5", rangemode="tozero")
    fig.update_yaxes(type="category")
    return _base_layout(fig, height=max(240, 40 * len(pairs) + 80))
