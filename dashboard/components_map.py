"""The map with drill-down: choropleth of the children of the viewed region, breadcrumb,
legend, optional record and density layers. Clicking a polygon narrows the shared filter bar
(and so the URL and every other page) to that region."""
from __future__ import annotations

from functools import partial

import polars as pl
import streamlit as st

from dashboard import data, fmt, maps, safe
from dashboard.filterbar import View
from dashboard.ui import lang, own_level_names, tr
from queries import geo
from queries.metrics import METRICS
from queries.regions import OWN_LEVEL, level_of, path, root_code

MAP_METRICS = ("complaints_received", "cases_filed", "persons_disciplined", "funds_recovered_wan",
               "rectifications_overdue", "closure_rate", "satisfaction_rate", "completion_rate")
FILTER_KEYS = {"district": "district", "township": "township", "village": "village"}
CHART_KEY = "map_chart"


def _set_region(code: str | None, level: str | None) -> None:
    """Point the filter bar's cascade at `code` (None = back to the top). Runs as a callback,
    before the widgets are drawn, which is when their state may be changed."""
    order = ["district", "township", "village"]
    cut = order.index(level) if level in order else -1
    for i, key in enumerate(order):
        if i > cut:
            st.session_state[key] = None
    if code is not None and level in order:
        for i, key in enumerate(order[: cut + 1]):
            n = {"district": 6, "township": 9, "village": 12}[key]
            st.session_state[key] = code[:n].ljust(12, "0")


def _on_select(chart_key: str) -> None:
    state = st.session_state.get(chart_key)
    chosen = (state or {}).get("selection", {}).get("objects", {})
    objects = chosen.get("regions") or chosen.get("circles") or []
    if objects:
        code = objects[0].get("code")
        if code:
            _set_region(code, level_of(code))


def _on_select_compact(chart_key: str) -> None:
    """The overview's plotly map: a clicked region arrives as its `location` (its code)."""
    state = st.session_state.get(chart_key)
    points = (state or {}).get("selection", {}).get("points", [])
    code = None
    if points:  # a polygon reports its location; a circle, its code as the last customdata
        custom = points[0].get("customdata") or [None]
        code = points[0].get("location") or (custom[-1] if isinstance(custom, list) else None)
    if code:
        _set_region(code, level_of(code))


def breadcrumb(view: View, regions: pl.DataFrame, key_prefix: str = "map") -> None:
    """示例市 / 某区 / 某街道: each step a button back up to that level (within the scope)."""
    current = view.region or root_code(regions)
    chain = path(regions, current)
    scope_depth = len(path(regions, view.scope_region)) if view.scope_region else 1
    row = st.container(horizontal=True, gap="small")
    for i, r in enumerate(chain):
        last = i == len(chain) - 1
        row.button(safe.md(r["name"]), key=f"{key_prefix}_crumb_{i}", disabled=last or i + 1 < scope_depth,
                   type="tertiary" if last else "secondary", icon=":material/chevron_right:" if i else None,
                   on_click=_set_region, args=(r["code"] if r["level"] != "city" else None, r["level"]))


def _legend(breaks: list[float], unit: str) -> None:
    colors = geo.palette_for(len(breaks) - 1)
    number = lambda v: fmt.legend_number(v, unit)  # noqa: E731  counts as whole numbers
    chips = "".join(
        f"<span style='display:inline-flex;align-items:center;margin-right:14px'>"
        f"<span style='width:22px;height:14px;background:rgb{tuple(c)};border:1px solid #999;"
        f"margin-right:6px;display:inline-block'></span>{number(breaks[i])} – {number(breaks[i + 1])}</span>"
        for i, c in enumerate(colors))
    st.html(f"<div style='font-size:15px;line-height:2'>{chips}"
            f"<span style='margin-left:8px;color:#1f4e79'>▭ {tr('map.key_watch')}</span></div>")


def _own_level_note(own: pl.DataFrame, metric: str, per10k: bool) -> None:
    """Records coded to the viewed region itself (本级) have no polygon among its children: their
    figure is stated under the map, so the map's parts add up to the region's total. Plain text:
    the name comes from a ledger."""
    for r in own.iter_rows(named=True):
        value = "—" if per10k else fmt.metric_value(r["value"], METRICS[metric].unit, lang())
        st.text(tr("map.own_level", name=r["name"], metric=tr(f"metric.{metric}"), value=value,
                      warnings=r.get("warnings", 0)))


def map_panel(view: View, key_prefix: str = "map", height: int = 560, controls: bool = True,
              metric: str = "complaints_received", per10k: bool = False) -> None:
    """The map; without `controls`, of `metric` (per 10,000 residents if `per10k`), no layers."""
    tables = data.tables_at(view.url, view.version)
    regions = tables.regions
    if controls:
        c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
        metric = c1.selectbox(tr("map.metric"), MAP_METRICS, key=f"{key_prefix}_metric",
                              format_func=lambda k: tr(f"metric.{k}"))
        per10k = c2.toggle(tr("overview.per10k"), key=f"{key_prefix}_per10k", disabled=METRICS[metric].is_rate)
        points = c3.selectbox(tr("map.points"), ("none", "cases", "complaints", "overdue"),
                              key=f"{key_prefix}_points", format_func=lambda k: tr(f"map.points.{k}"))
        density = c4.toggle(tr("map.density"), key=f"{key_prefix}_density")
    else:
        points, density = "none", False
    per10k = per10k and not METRICS[metric].is_rate
    breadcrumb(view, regions, key_prefix)
    table = own_level_names(data.choropleth(*view.args(), metric, per10k))
    current = view.region or root_code(regions)
    if table.is_empty():
        _records_links(level_of(current) == "village")
        return
    own, table = table.filter(pl.col(OWN_LEVEL)), table.filter(~pl.col(OWN_LEVEL))  # 本级 has no polygon
    if table.is_empty():  # only records coded to the region itself: no sub-region to draw
        _own_level_note(own, metric, per10k)
        _records_links(level_of(current) == "village")
        return
    child_level = level_of(table["key"][0])
    polys = data.level_polygons(view.url, view.version, tuple(table["key"].to_list()), child_level)
    breaks = geo.class_breaks(table["value"].to_list())
    unit = METRICS[metric].unit
    fmt_value = (lambda v: fmt.metric_value(v, unit, lang()) if not per10k else ("—" if v is None else f"{v:,.2f}"))
    fmt_change = lambda c: fmt.change(c, METRICS[metric].is_rate, lang()) or tr("change.na")  # noqa: E731
    rows = maps.choropleth_rows(polys, table, breaks, fmt_value, fmt_change)
    drawn = {p["code"] for p in polys}
    circles = maps.circle_rows(table.filter(~pl.col("key").is_in(list(drawn))), breaks, fmt_value, fmt_change)
    if not rows and not circles:
        st.warning(tr("map.no_boundaries"))
        _own_level_note(own, metric, per10k)
        return
    outline = _ancestor_outline(view, regions, current) if circles else []
    village_codes = tuple(regions.filter(pl.col("key_watch") & pl.col("code").str.starts_with(
        current[: {"city": 4, "district": 6, "township": 9, "village": 12}[level_of(current)]]))["code"].to_list())
    key_watch = data.level_polygons(view.url, view.version, village_codes, "village") if village_codes else []
    # Villages are named only as circles (their polygons are too many and small to label).
    named = table if child_level in ("district", "township") else table.filter(
        pl.col("key").is_in([c["code"] for c in circles]))
    labels = named.filter(pl.col("lon").is_not_null()).select("key", "name", "lon", "lat") if named.height else None
    pts = data.map_points(*view.args(), points) if points != "none" else None
    dens = data.map_points(*view.args(), "complaints") if density else None
    chart_key = CHART_KEY if key_prefix == "map" else f"{key_prefix}_chart"
    tooltip = (f"<b>{{name}}</b><br/>{tr(f'metric.{metric}')}{tr('map.per10k_suffix') if per10k else ''}："
               f"{{value_text}}<br/>{tr('map.rank')}：{{rank}} / {table.height}<br/>{tr('change.yoy')}：{{yoy_text}}"
               f"<br/>{tr('map.warnings')}：{{warnings}}")
    if controls:
        cfg = data.map_config()
        deck = maps.build_deck(rows, labels=labels, key_watch=key_watch, points=pts, density=dens,
                               tooltip_html=tooltip, style=maps.map_style(cfg), shift=cfg.shift,
                               circles=circles, outline=outline)
        st.pydeck_chart(deck, key=chart_key, height=height, on_select=partial(_on_select, chart_key),
                        selection_mode="single-object")
    else:  # the overview's small map: SVG, nothing redrawn while the page rests (see maps.py)
        fig = maps.compact_figure(rows, labels=labels, key_watch=key_watch, tooltip_html=tooltip, height=height,
                                  circles=circles, outline=outline)
        st.plotly_chart(fig, key=chart_key, on_select=partial(_on_select_compact, chart_key),
                        selection_mode="points", config=maps.COMPACT_CONFIG, theme=None)
    if circles:
        st.caption(tr("map.circles_note") if not rows else tr("map.circles_partial", n=len(circles)))
    if breaks:
        _legend(breaks, unit if not per10k else "per10k")
    _own_level_note(own, metric, per10k)
    st.caption(tr("map.click_hint") if child_level != "village" else tr("map.village_hint"))


def _ancestor_outline(view: View, regions: pl.DataFrame, current: str) -> list[dict]:
    """The polygon of the viewed region, or of its nearest ancestor that has one, to draw the
    circles of a level without boundaries in (nothing when no ancestor has a polygon)."""
    for r in reversed(path(regions, current)):
        found = data.level_polygons(view.url, view.version, (r["code"],), r["level"])
        if found:
            return found
    return []


RECORD_PAGES = (("app_pages/cases.py", "nav.cases", ":material/gavel:"),
                ("app_pages/complaints.py", "nav.complaints", ":material/mail:"),
                ("app_pages/rectifications.py", "nav.rectifications", ":material/task_alt:"))


def _records_links(village: bool) -> None:
    """The lowest level (a village, or a region without sub-regions): its records instead of a
    map of nothing. The filter bar already holds the region, and it is shared by every page, so
    the detail pages open filtered to it."""
    st.caption(tr("map.village_records") if village else tr("map.leaf_records"))
    row = st.container(horizontal=True, gap="small")
    for page, label, icon in RECORD_PAGES:
        row.page_link(page, label=tr(label), icon=icon)
