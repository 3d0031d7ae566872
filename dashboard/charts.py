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


def ranking_bar(df: pl.DataFrame, value_col: str, axis_title: str, number_format: str,
                highlight_worst: bool = False) -> go.Figure:
    """Children of a region ranked by one metric, largest on top, each bar labelled.

    `number_format` is a d3 format (",.0f", ",.2f", ".1%"); `highlight_worst` colours the top
    bar red for metrics where more is worse (overdue items)."""
    ranked = df.select("name", value_col).fill_null(0).sort(value_col, descending=False)
    colors = [PRIMARY] * ranked.height
    if highlight_worst and ranked.height:
        colors[-1] = ACCENT
    fig = go.Figure(go.Bar(
        x=ranked[value_col].to_list(), y=ranked["name"].to_list(), orientation="h",
        marker_color=colors, texttemplate=f"%{{x:{number_format}}}", textposition="outside",
        hovertemplate=f"%{{y}}：%{{x:{number_format}}}<extra></extra>", cliponaxis=False,
    ))
    fig.update_xaxes(title_text=axis_title, tickformat=number_format, gridcolor="#e5e5e5",
                     zeroline=True, zerolinecolor="#999")
    fig.update_yaxes(title_text=None, automargin=True)
    return _base_layout(fig, height=max(240, 34 * ranked.height + 60))
