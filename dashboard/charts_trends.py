"""Trend chart builders: frames in, plotly figures out (pure, tested on the figure data)."""
from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import polars as pl

from dashboard import safe
from dashboard.charts import ACCENT, PRIMARY, _base_layout

# One colour per field, the same on every chart (Okabe–Ito plus two greys: colour-blind safe).
FIELD_COLORS = {
    "集体三资": "#0072B2", "惠民惠农": "#E69F00", "乡村振兴": "#009E73", "教育医疗": "#CC79A7",
    "养老社保": "#56B4E9", "生态环保": "#D55E00", "食品药品": "#F0E442", "执法司法": "#000000",
    "工程建设": "#999999", "其他": "#BBBBBB",
}
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


def _tick(unit: str) -> str:
    return ".1%" if unit == "rate" else (",.2f" if unit == "money" else ",.0f")


def trend_with_last_year(df: pl.DataFrame, every: str, lang: str, unit: str, this_label: str,
                         last_label: str, axis_title: str, marked: set[date] | None = None) -> go.Figure:
    """Bars for this period, a line for the same buckets a year earlier, red rings on the
    buckets flagged as anomalies. Each bar carries its bucket start in customdata (drill-down)."""
    x = [period_label(d, every, lang) for d in df["period"]]
    fmt = _tick(unit)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=df["value"].to_list(), name=this_label, marker_color=PRIMARY,
                         customdata=[d.isoformat() for d in df["period"]],
                         texttemplate=f"%{{y:{fmt}}}", textposition="outside", cliponaxis=False,
                         hovertemplate=f"%{{x}}：%{{y:{fmt}}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=df["last_year"].to_list(), name=last_label, mode="lines+markers",
                             line=dict(color="#E69F00", width=3),
                             hovertemplate=f"%{{x}}（{last_label}）：%{{y:{fmt}}}<extra></extra>"))
    if marked:
        idx = [i for i, d in enumerate(df["period"]) if d in marked]
        fig.add_trace(go.Scatter(x=[x[i] for i in idx], y=[df["value"][i] for i in idx], mode="markers",
                                 name="异常" if lang == "zh" else "Anomaly", hoverinfo="skip",
                                 marker=dict(symbol="circle-open", size=26, color=ACCENT, line=dict(width=3))))
    fig.update_yaxes(title_text=axis_title, tickformat=fmt, gridcolor="#e5e5e5", rangemode="tozero")
    fig.update_xaxes(type="category")
    fig = _base_layout(fig, height=420)
    fig.update_layout(showlegend=True, legend=dict(orientation="h", y=1.1), bargap=0.3)
    return fig


def change_bars(df: pl.DataFrame, every: str, lang: str, is_rate: bool, title: str) -> go.Figure:
    """环比: the change from the previous bucket, green up / red down (rates in points)."""
    x = [period_label(d, every, lang) for d in df["period"]]
    y = [None if v is None else v for v in df["prev_change"].to_list()]
    colors = ["#2e7d32" if (v or 0) >= 0 else ACCENT for v in y]
    fmt = "+.1%" if not is_rate else "+.1%"
    fig = go.Figure(go.Bar(x=x, y=y, marker_color=colors, texttemplate=f"%{{y:{fmt}}}", textposition="outside",
                           cliponaxis=False, hovertemplate=f"%{{x}}：%{{y:{fmt}}}<extra></extra>"))
    fig.update_yaxes(title_text=title, tickformat=".0%", zeroline=True, zerolinecolor="#666", gridcolor="#eee")
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
    fig.update_xaxes(type="category")
    fig = _base_layout(fig, height=420)
    fig.update_layout(showlegend=True, legend=dict(orientation="h", y=-0.15))
    return fig


def regions_lines(df: pl.DataFrame, metric: str, every: str, lang: str, unit: str, axis_title: str) -> go.Figure:
    """One line per child region; the legend is ordered by the latest value (a bump reading)."""
    fig = go.Figure()
    last = df.sort("period").group_by("name", maintain_order=True).agg(pl.col(metric).last()).sort(metric, descending=True)
    for i, name in enumerate(last["name"].to_list()):
        sub = df.filter(pl.col("name") == name).sort("period")
        fig.add_trace(go.Scatter(x=[period_label(d, every, lang) for d in sub["period"]], y=sub[metric].to_list(),
                                 name=safe.plot(name), mode="lines+markers", customdata=sub["code"].to_list(),
                                 line=dict(width=3, color=SERIES_COLORS[i % len(SERIES_COLORS)])))
    fig.update_yaxes(title_text=axis_title, tickformat=_tick(unit), gridcolor="#e5e5e5")
    fig.update_xaxes(type="category")
    fig = _base_layout(fig, height=440)
    fig.update_layout(showlegend=True)
    return fig


def funnel(df: pl.DataFrame) -> go.Figure:
    """The five links for the whole region, with the share of closed cases at each step."""
    total = df.filter(pl.col("district_code") == "__all__").sort("step")
    fig = go.Figure(go.Funnel(y=total["link"].to_list(), x=total["count"].to_list(),
                              textinfo="value+percent initial", marker=dict(color=PRIMARY)))
    return _base_layout(fig, height=360)


def handling_box(df: pl.DataFrame, axis_title: str, limit_label: str) -> go.Figure:
    """Days used per region as boxes, with each region's median time limit as a red tick."""
    fig = go.Figure()
    order = [safe.plot(r) for r in
             df.group_by("region").agg(pl.col("days").median()).sort("days", descending=True)["region"]]
    fig.add_trace(go.Box(x=[safe.plot(r) for r in df["region"]], y=df["days"].to_list(), marker_color=PRIMARY,
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
