"""Chart builders: a DataFrame in, a plotly Figure out. Pure, so tests read the figure's data."""
from __future__ import annotations

import plotly.graph_objects as go
import polars as pl


FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
PRIMARY = "#1f4e79"
ACCENT = "#c0392b"


def _base_layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height, margin=dict(l=8, r=24, t=8, b=8), font=dict(family=FONT, size=15),
        plot_bgcolor="white", paper_bgcolor="white", showlegend=False, separators=".,",
    )
    return fig


def count_axis(fig: go.Figure, values: list, axis: str = "y") -> go.Figure:
    """A count axis ticks whole numbers only ("0 1 2 3", not "0 1 1 2 2 3 3") and starts at 0;
    an all-zero (or empty) chart gets 0…1 instead of plotly's −1…1."""
    nums = [v for v in values if v is not None]
    top = max(nums) if nums else 0
    kw: dict = dict(tickformat=",d", rangemode="tozero")
    if top <= 5:
        kw.update(dtick=1, range=[0, max(top, 1) * 1.15])
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(**kw)
    return fig


def progress_history(updates: pl.DataFrame, started_on, due_on, plan_label: str, actual_label: str,
                     axis_title: str) -> go.Figure:
    """A rectification's monthly reports against the straight line from start (0 %) to due (100 %)."""
    fig = go.Figure()
    if started_on is not None and due_on is not None:
        fig.add_trace(go.Scatter(x=[started_on, due_on], y=[0, 100], mode="lines", name=plan_label,
                                 line=dict(color="#888", dash="dash", width=2)))
    fig.add_trace(go.Scatter(x=updates["reported_on"].to_list(), y=updates["progress_pct"].to_list(),
                             mode="lines+markers", name=actual_label, line=dict(color=PRIMARY, width=3),
                             hovertemplate="%{x|%Y-%m-%d}：%{y:.0f}%<extra></extra>"))
    fig.update_yaxes(title_text=axis_title, range=[0, 105], gridcolor="#e5e5e5")
    fig.update_xaxes(tickformat="%Y-%m", gridcolor="#f0f0f0")
    fig = _base_layout(fig, height=320)
    fig.update_layout(showlegend=True, legend=dict(orientation="h", y=1.12))
    return fig

