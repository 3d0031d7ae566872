"""What makes 趋势 open faster keeps its charts as they were: the handling-time boxes built from
arrays hold the same figure as built from lists, and a chart cached by `data.figure` is built
once per key and handed back unchanged. No timing here (see benchmarks/pages.py)."""
from __future__ import annotations

import base64
import json

import numpy as np
import plotly.graph_objects as go
import polars as pl

from dashboard import charts_trends as ct
from dashboard import data, safe
from dashboard.charts import ACCENT, PRIMARY, _base_layout


def _reference_handling_box(df: pl.DataFrame, axis_title: str, limit_label: str) -> go.Figure:
    """handling_box as it was before (lists of Python values), to compare the figures with."""
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


def _plain(value):
    """A figure dict with its arrays as lists, to compare values whatever their container
    (plotly keeps a numeric array as a typed array: its dtype and its bytes in base64)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict) and set(value) in ({"dtype", "bdata"}, {"dtype", "bdata", "shape"}):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _same_figure(new: go.Figure, old: go.Figure) -> None:
    """The same boxes and layout; the limit ticks the same (region, limit) pairs (their order
    comes from a group_by, unordered in both builders)."""
    a, b = _plain(new.to_dict()), _plain(old.to_dict())
    assert a["layout"] == b["layout"] and a["data"][0] == b["data"][0]
    ticks = lambda d: sorted(zip(d["x"], d["y"]))  # noqa: E731
    assert ticks(a["data"][1]) == ticks(b["data"][1])
    assert {k: v for k, v in a["data"][1].items() if k not in "xy"} == {
        k: v for k, v in b["data"][1].items() if k not in "xy"}


def _frame(days: list[int | None]) -> pl.DataFrame:
    regions = ["甲街道", "<b>乙</b>镇", None, "甲街道", "丙乡"][: len(days)]
    return pl.DataFrame({"region": regions, "days": days, "limit": [15, 15, 30, 15, 60][: len(days)]},
                        schema={"region": pl.String, "days": pl.Int64, "limit": pl.Int64})


def test_handling_boxes_from_arrays_are_the_figure_the_lists_made():
    df = _frame([3, 12, 40, 7, 25])
    new, old = ct.handling_box(df, "天", "时限"), _reference_handling_box(df, "天", "时限")
    _same_figure(new, old)
    assert list(new.data[0].x) == ["甲街道", "&lt;b&gt;乙&lt;/b&gt;镇", "", "甲街道", "丙乡"]
    assert list(new.data[0].y) == [3, 12, 40, 7, 25]


def test_handling_boxes_with_a_missing_day_count_keep_the_gap():
    df = _frame([3, None, 40])
    new, old = ct.handling_box(df, "天", "时限"), _reference_handling_box(df, "天", "时限")
    _same_figure(new, old)
    assert list(new.data[0].y) == [3, None, 40]


def test_handling_boxes_serialise_to_the_same_values_for_the_browser():
    """What st.plotly_chart sends (plotly.io.to_json): typed arrays instead of lists, the same
    numbers once decoded."""
    df = _frame([3, 12, 40, 7, 25])
    spec = json.loads(ct.handling_box(df, "天", "时限").to_json())
    assert _plain(spec["data"][0]["y"]) == [3, 12, 40, 7, 25]
    assert spec["data"][0]["x"] == ["甲街道", "&lt;b&gt;乙&lt;/b&gt;镇", "", "甲街道", "丙乡"]


def test_a_cached_figure_is_built_once_per_key_and_returned_as_built():
    built: list[str] = []

    def build(name: str):
        built.append(name)
        return go.Figure(go.Bar(x=[name], y=[1]))

    data.figure.clear()
    first = data.figure(("test_chart", "sqlite:///x.db", 1, "zh"), lambda: build("一"))
    again = data.figure(("test_chart", "sqlite:///x.db", 1, "zh"), lambda: build("二"))
    other = data.figure(("test_chart", "sqlite:///x.db", 2, "zh"), lambda: build("三"))  # a new data version
    assert built == ["一", "三"]
    assert again is first and list(first.data[0].x) == ["一"] and list(other.data[0].x) == ["三"]
