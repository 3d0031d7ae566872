"""Page building blocks: the KPI cards. They fetch through dashboard.data and draw; the numbers
themselves come from queries/. The overview's three answers are in components_overview."""
from __future__ import annotations

import streamlit as st

from dashboard import data, fmt, layout
from dashboard.charts_trends import partial_label
from dashboard.filterbar import View
from dashboard.i18n import CATALOGUE
from dashboard.ui import lang, tr
from queries import periods
from queries.metrics import METRICS, last_months

OVERVIEW_KPIS = (
    "cases_filed", "persons_disciplined", "funds_recovered_wan", "complaints_received",
    "closure_rate", "satisfaction_rate", "completion_rate", "rectifications_overdue",
    "cases_closed", "forms_total",
)
# Cards stated in 件 and 人 ("立案 1,661 件 1,803 人"): the case metric → its persons metric.
PAIRED_PERSONS = {"cases_filed": "persons_filed", "cases_closed": "persons_closed"}

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
    """Cards with value, 同比 delta and a 12-month sparkline; returns the compared values. A case
    count with persons (`PAIRED_PERSONS`) reads "X 件 Y 人"; its delta and sparkline are the 件.

    The partial-period rule (queries.periods): a sparkline holds finished months only (a month
    not over at as_of would end every line with a fall), a complaint rate's only months whose
    complaints are all due; a chosen period not yet over is said to be so under the cards."""
    paired = tuple(PAIRED_PERSONS[k] for k in keys if k in PAIRED_PERSONS)
    compared = data.compare(*view.args(), (*keys, *paired))
    s_start, s_end = last_months(view.end, 12)
    series = data.monthly(view.url, view.version, s_start, s_end, view.region, view.fields,
                          view.scope_region, view.as_of, keys)
    series = series.filter([not periods.bucket_is_partial(m, "1mo", view.as_of) for m in series["month"]])
    unripe = data.unripe_months(view.url, view.version, s_start, s_end, view.region, view.fields,
                                view.scope_region, view.as_of)
    cards = st.container(key=layout.CARDS_KEY)  # two per row on a phone (dashboard/layout.py)
    for row_start in range(0, len(keys), per_row):
        row = keys[row_start:row_start + per_row]
        # "1,661 件 1,803 人" needs about half as much width again as a single figure.
        cols = layout.card_columns(cards, [1.5 if k in PAIRED_PERSONS else 1 for k in row]
                                   + [1] * (per_row - len(row)), len(row))
        for col, key in zip(cols, row):
            m = METRICS[key]
            c = compared[key]
            delta = fmt.change(c["yoy_change"], m.is_rate, lang())
            # A complaint rate's line stops before months whose complaints are not all due yet.
            spark = [v if v is not None else 0 for v, mth in zip(series[key].to_list(), series["month"])
                     if key not in periods.MATURING_RATES or mth not in unripe]
            value = fmt.metric_value(c["value"], m.unit, lang())
            if key in PAIRED_PERSONS:
                value = fmt.cases_and_persons(c["value"], compared[PAIRED_PERSONS[key]]["value"], lang())
            col.metric(
                tr(f"metric.{key}"), value,
                delta=delta, delta_description=tr("change.yoy") if delta else None,
                delta_color=_delta_color(key), border=True, help=_help(key), height="stretch",
                chart_data=spark, chart_type="bar" if not m.is_rate else "line",
            )
    partial = periods.period_bucket(view.start, view.end, view.as_of)
    if partial:
        st.caption(tr("partial.cards", period=partial_label(*partial, lang(), min(view.end, view.as_of)),
                      as_of=min(view.end, view.as_of).isoformat()))
    return compared


def period_is_empty(compared: dict) -> bool:
    """No record in the period: every flow metric is zero or undefined (stocks like overdue
    items ignore the period, so they do not count)."""
    return all(not v["value"] for k, v in compared.items() if not METRICS[k].is_stock)
