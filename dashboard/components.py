"""Page building blocks: KPI cards and the sub-region ranking. They fetch through dashboard.data
and draw; the numbers themselves come from queries/."""
from __future__ import annotations

import streamlit as st

from dashboard import charts, data, fmt
from dashboard.filterbar import View
from dashboard.i18n import CATALOGUE
from dashboard.ui import lang, own_level_names, tr
from queries.metrics import METRICS, last_months

OVERVIEW_KPIS = (
    "cases_filed", "persons_disciplined", "funds_recovered_wan", "complaints_received",
    "closure_rate", "satisfaction_rate", "completion_rate", "rectifications_overdue",
)

# How a 同比 change reads: rates and completion are better up, overdue better down, and plain
# volumes (cases filed, complaints) carry no judgement, so they are shown in grey.
_DELTA_COLOR = {"rectifications_overdue": "inverse"}


def _delta_color(key: str) -> str:
    if key in _DELTA_COLOR:
        return _DELTA_COLOR[key]
    return "normal" if METRICS[key].is_rate else "off"


def _help(key: str) -> str | None:
    return tr(f"def.{key}") if f"def.{key}" in CATALOGUE else None


def kpi_cards(view: View, keys: tuple[str, ...] = OVERVIEW_KPIS, per_row: int = 4) -> dict:
    """Cards with value, 同比 delta and a 12-month sparkline; returns the compared values."""
    compared = data.compare(*view.args(), keys)
    s_start, s_end = last_months(view.end, 12)
    series = data.monthly(view.url, view.version, s_start, s_end, view.region, view.fields,
                          view.scope_region, view.as_of, keys)
    for row_start in range(0, len(keys), per_row):
        cols = st.columns(per_row)
        for col, key in zip(cols, keys[row_start:row_start + per_row]):
            m = METRICS[key]
            c = compared[key]
            delta = fmt.change(c["yoy_change"], m.is_rate, lang())
            spark = [v if v is not None else 0 for v in series[key].to_list()]
            col.metric(
                tr(f"metric.{key}"), fmt.metric_value(c["value"], m.unit, lang()),
                delta=delta, delta_description=tr("change.yoy") if delta else None,
                delta_color=_delta_color(key), border=True, help=_help(key),
                chart_data=spark, chart_type="bar" if not m.is_rate else "line",
            )
    return compared


def period_is_empty(compared: dict) -> bool:
    """No record in the period: every flow metric is zero or undefined (stocks like overdue
    items ignore the period, so they do not count)."""
    return all(not v["value"] for k, v in compared.items() if not METRICS[k].is_stock)


RANKABLE = ("cases_filed", "persons_disciplined", "funds_recovered_wan", "complaints_received",
            "closure_rate", "satisfaction_rate", "completion_rate", "rectifications_overdue")


def _number_format(unit: str, per10k: bool) -> str:
    if unit == "rate":
        return ".1%"
    if unit == "money" or per10k:
        return ",.2f"
    return ",.0f"


@st.fragment
def ranking(view: View, key_prefix: str = "overview") -> None:
    """Children of the viewed region ranked by a chosen metric, optionally per 10,000 residents.

    A fragment: switching the metric or the per-10,000 toggle reruns this chart only, not the
    cards, map and warning list around it."""
    left, right = st.columns([3, 2])
    metric = left.selectbox(tr("overview.ranking_metric"), RANKABLE, key=f"{key_prefix}_rank_metric",
                            format_func=lambda k: tr(f"metric.{k}"))
    m = METRICS[metric]
    per10k = right.toggle(tr("overview.per10k"), key=f"{key_prefix}_rank_per10k",
                          disabled=m.is_rate) and not m.is_rate
    df = data.rollup(*view.args(), (metric,))
    if df.is_empty():
        st.info(tr("overview.no_children"))
        return
    col = f"{metric}_per10k" if per10k else metric
    label = tr(f"metric.{metric}")
    if per10k:
        label = tr("overview.rank_axis_per10k", metric=label)
    elif m.unit == "money":
        label = f"{label}（{tr('unit.wan')}）"
    fig = charts.ranking_bar(own_level_names(df), col, label, _number_format(m.unit, per10k),
                             highlight_worst=not m.higher_is_better)
    st.plotly_chart(fig, key=f"{key_prefix}_rank_chart", config={"displaylogo": False})
