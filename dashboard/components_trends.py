"""The trends page's parts: 同比/环比 series with anomaly marks, composition, region comparison,
the five-link funnel and handling times. Clicking a bar narrows the shared period."""
from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import streamlit as st

from dashboard import charts_trends as ct
from dashboard import data, fmt, safe
from dashboard.filterbar import View
from dashboard.ui import lang, tr
from queries.filters import add_months
from queries.metrics import EVERY_MONTHS, METRICS

TREND_METRICS = ("cases_filed", "complaints_received", "persons_disciplined", "funds_recovered_wan",
                 "rectifications_total", "rectifications_completed", "closure_rate", "on_time_rate",
                 "satisfaction_rate", "completion_rate", "rectifications_overdue", "exposed")
BREAKDOWN = {"cases_filed": ("field", "source"), "complaints_received": ("field", "channel"),
             "persons_disciplined": ("field", "source"), "exposed": ("field", "source"),
             "rectifications_total": ("source",), "rectifications_completed": ("source",)}


def controls(key_prefix: str = "trend") -> tuple[str, str]:
    c1, c2 = st.columns([3, 2])
    metric = c1.selectbox(tr("trend.metric"), TREND_METRICS, key=f"{key_prefix}_metric",
                          format_func=lambda k: tr(f"metric.{k}"))
    every = c2.segmented_control(tr("trend.every"), tuple(EVERY_MONTHS), default="1mo", required=True,
                                 key=f"{key_prefix}_every", format_func=lambda e: tr(f"trend.every.{e}"))
    return metric, every or "1mo"


def _axis(metric: str) -> str:
    label = tr(f"metric.{metric}")
    return f"{label}（{tr('unit.wan')}）" if METRICS[metric].unit == "money" else label


def _narrow_period(chart_key: str, every: str) -> None:
    """Callback: a clicked bar becomes the shared period (custom range), so every page follows."""
    points = (st.session_state.get(chart_key) or {}).get("selection", {}).get("points", [])
    picked = [p.get("customdata") for p in points if p.get("customdata")]
    if not picked:
        return
    start = date.fromisoformat(picked[0] if isinstance(picked[0], str) else picked[0][0])
    end = add_months(start, EVERY_MONTHS[every]) - timedelta(days=1)
    st.session_state["period"] = "custom"
    st.session_state["range"] = (start, end)


def series_tab(view: View, metric: str, every: str) -> None:
    df = data.trend(*view.args(), metric, every)
    if df.is_empty() or not any(v for v in df["value"].to_list()):
        st.info(tr("empty.period"))
    marks: set[date] = set()
    found = pl.DataFrame()
    if not METRICS[metric].is_rate and not METRICS[metric].is_stock and metric in BREAKDOWN \
            and "field" in BREAKDOWN[metric]:
        found = data.anomalies(*view.args(), metric)
        if every == "1mo":
            marks = set(found["month"].to_list())
    fig = data.figure(("trend", *view.args(), metric, every, lang(), tr("trend.this"), tr("trend.last"), _axis(metric)),
                      lambda: ct.trend_with_last_year(df, every, lang(), METRICS[metric].unit, tr("trend.this"),
                                                      tr("trend.last"), _axis(metric), marks))
    st.plotly_chart(fig, key="trend_chart", on_select=lambda: _narrow_period("trend_chart", every),
                    selection_mode="points", config={"displaylogo": False})
    st.caption(tr("trend.click_hint"))
    partial = df.filter(pl.col("partial")) if "partial" in df.columns else df.clear()
    if partial.height:
        row = partial.row(0, named=True)
        st.caption(tr("partial.caption", bucket=ct.period_label(row["period"], every, lang()),
                      as_of=row["partial_to"].isoformat()))
    if every == "1y":
        st.caption(tr("trend.mom_yearly"))
    else:
        st.plotly_chart(data.figure(("change", *view.args(), metric, every, lang(), tr("trend.mom_title")),
                                    lambda: ct.change_bars(df, every, lang(), METRICS[metric].is_rate,
                                                           tr("trend.mom_title"))),
                        key="trend_change_chart", config={"displaylogo": False})
    if metric in BREAKDOWN and "field" in BREAKDOWN[metric]:
        st.markdown(f"**{tr('trend.anomalies')}**")
        if found.is_empty():
            st.caption(tr("trend.no_anomalies"))
        for row in found.head(12).iter_rows(named=True):
            st.markdown("- " + tr("trend.anomaly_line", month=ct.period_label(row["month"], "1mo", lang()),
                                  region=safe.md(row["name"]), category=safe.md(row["category"]),
                                  metric=tr(f"metric.{metric}"), ratio=f"{row['ratio']:.1f}"))


def composition_tab(view: View, metric: str, every: str) -> None:
    options = BREAKDOWN.get(metric)
    if not options:
        st.info(tr("trend.no_breakdown"))
        return
    by = st.segmented_control(tr("trend.by"), options, default=options[0], required=True, key="trend_by",
                              format_func=lambda b: tr(f"trend.by.{b}")) or options[0]
    df = data.composition(*view.args(), metric, by, every)
    if df.is_empty():
        st.info(tr("empty.period"))
        return
    st.plotly_chart(data.figure(("composition", *view.args(), metric, by, every, lang(), _axis(metric)),
                                lambda: ct.composition(df, metric, every, lang(), _axis(metric))),
                    key="trend_composition_chart", config={"displaylogo": False})


def regions_tab(view: View, metric: str, every: str) -> None:
    per10k = st.toggle(tr("overview.per10k"), key="trend_per10k", disabled=METRICS[metric].is_rate)
    df = data.region_series(*view.args(), metric, every, per10k and not METRICS[metric].is_rate)
    if df.is_empty():
        st.info(tr("overview.no_children"))
        return
    per10k = per10k and not METRICS[metric].is_rate
    st.plotly_chart(data.figure(("regions", *view.args(), metric, every, per10k, lang(), _axis(metric)),
                                lambda: ct.regions_lines(df, metric, every, lang(), METRICS[metric].unit,
                                                         _axis(metric), per10k)),
                    key="trend_regions_chart", config={"displaylogo": False})


def funnel_tab(view: View) -> None:
    link_events(view)
    df = data.funnel(*view.args())
    total = df.filter(pl.col("district_code") == "__all__")
    if total.is_empty() or not total["count"][0]:
        st.info(tr("empty.period"))
        return
    left, right = st.columns([2, 3])
    left.plotly_chart(data.figure(("funnel", *view.args(), lang()), lambda: ct.funnel(df)), key="trend_funnel_chart",
                      config={"displaylogo": False})
    wide = (df.filter(pl.col("district_code") != "__all__")
            .pivot(on="link", index="district", values="count", aggregate_function="first")
            .rename({"district": tr("filter.district")}))
    with right:
        st.markdown(f"**{tr('trend.funnel_table')}**")
        st.dataframe(wide, hide_index=True, key="trend_funnel_table")


FORM_KEYS = ("form1_persons", "form2_persons", "form3_persons", "form4_persons")
LINK_EVENT_KEYS = ("notify_events", "expose_events", "reflections", "revisits", "feedbacks")


def forms_tab(view: View) -> None:
    """四种形态: 人次 per form with share and 同比, the sentence reports use, and by region."""
    from dashboard.sentences import forms_sentence

    keys = (*FORM_KEYS, *(k.replace("_persons", "_share") for k in FORM_KEYS), "forms_total")
    c = data.compare(*view.args(), keys)
    if not c["forms_total"]["value"]:
        st.info(tr("empty.period"))
        return
    st.text(forms_sentence(c))
    for col, key in zip(st.columns(4), FORM_KEYS):
        share = c[key.replace("_persons", "_share")]["value"]
        change = fmt.change(c[key]["yoy_change"], False, lang()) or tr("change.na")
        col.metric(tr(f"metric.{key}"), fmt.count(c[key]["value"], tr("trend.person_times"), lang()),
                   delta=fmt.change(c[key]["yoy_change"], False, lang()), delta_color="off",
                   delta_description=tr("change.yoy"), border=True,
                   help=tr("trend.share_yoy", share=fmt.rate(share), change=change))
    df = data.rollup(*view.args(), FORM_KEYS)
    if df.height:
        st.markdown(f"**{tr('trend.forms_by_region')}**")
        labels = [tr(f"metric.{k}") for k in FORM_KEYS]
        st.plotly_chart(data.figure(("forms", *view.args(), *labels, tr("trend.person_times")),
                                    lambda: ct.forms_by_region(df, labels, tr("trend.person_times"))),
                        key="trend_forms_chart", config={"displaylogo": False})


def leads_tab(view: View) -> None:
    """线索处置: disposed leads per disposition, 处置率, and complaints per channel."""
    from dashboard.sentences import leads_sentence
    from queries.metrics import DISPOSITION_KEYS

    keys = ("leads_disposed", "disposal_rate", *DISPOSITION_KEYS.values())
    c = data.compare(*view.args(), keys)
    st.text(leads_sentence(c))
    a, b = st.columns(2)
    a.metric(tr("metric.leads_disposed"), fmt.count(c["leads_disposed"]["value"], tr("unit.count"), lang()),
             delta=fmt.change(c["leads_disposed"]["yoy_change"], False, lang()), delta_color="off",
             delta_description=tr("change.yoy"), border=True)
    b.metric(tr("metric.disposal_rate"), fmt.rate(c["disposal_rate"]["value"]),
             delta=fmt.change(c["disposal_rate"]["yoy_change"], True, lang()),
             delta_description=tr("change.yoy"), border=True)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{tr('trend.dispositions')}**")
        values = [c[k]["value"] or 0 for k in DISPOSITION_KEYS.values()]
        st.plotly_chart(ct.counts_bar([tr(f"metric.{k}") for k in DISPOSITION_KEYS.values()], values,
                                      tr("trend.pieces")), key="trend_dispositions_chart", config={"displaylogo": False})
    with right:
        st.markdown(f"**{tr('trend.channels')}**")
        channels = data.by_category(*view.args(), "complaints_received", "channel")
        if channels:
            st.plotly_chart(ct.counts_bar(list(channels), list(channels.values()), tr("trend.pieces")),
                            key="trend_channels_chart", config={"displaylogo": False})
        else:
            st.info(tr("empty.period"))


def link_events(view: View) -> None:
    """The five links counted as events (次), beside the per-case funnel."""
    c = data.compare(*view.args(), LINK_EVENT_KEYS)
    st.markdown(f"**{tr('trend.link_events')}**")
    for col, key in zip(st.columns(5), LINK_EVENT_KEYS):
        col.metric(tr(f"metric.{key}"), fmt.count(c[key]["value"], tr("unit.times"), lang()),
                   delta=fmt.change(c[key]["yoy_change"], False, lang()), delta_color="off",
                   delta_description=tr("change.yoy"), border=True)


def handling_tab(view: View) -> None:
    d = data.handling(*view.args())
    comp, rect = d["complaints"], d["rectifications"]
    for col, (frame, label, key) in zip(st.columns(2), (
            (comp, "trend.complaint_days", "trend_handling_complaints"),
            (rect, "trend.rect_days", "trend_handling_rect"))):
        with col:
            st.markdown(f"**{tr(label)}**")
            if frame.is_empty():
                st.info(tr("empty.period"))
            else:
                fig = data.figure((key, *view.args(), lang(), tr("trend.days_axis"), tr("trend.limit")),
                                  lambda frame=frame: ct.handling_box(frame, tr("trend.days_axis"), tr("trend.limit")))
                st.plotly_chart(fig, key=key, config={"displaylogo": False})
