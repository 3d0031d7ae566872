"""The map with drill-down: choropleth of the children of the viewed region, breadcrumb,
legend, optional record and density layers. Clicking a polygon narrows the shared filter bar
(and so the URL and every other page) to that region."""
from __future__ import annotations

from functools import partial

import polars as pl
import streamlit as st

from dashboard import data, fmt, map_svg, maps, safe
from dashboard.filterbar import View
from dashboard.ui import lang, own_level_names, tr
from queries import geo
from queries.metrics import METRICS
from queries.regions import OWN_LEVEL, level_of, path, root_code

MAP_METRICS = ("complaints_received", "cases_filed", "persons_disciplined", "funds_recovered_wan",
               "rectifications_overdue", "closure_rate", "satisfaction_rate", "completion_rate")
FILTER_KEYS = {"district": "district", "township": "township", "village": "village"}
RECORDS_SHOWN = 20  # newest rows of each ledger in a village's records panel
COMPACT_WIDTH = 480  # the small map's drawing width in px (st.image scales it to its column)


def chart_key(key_prefix: str, region: str) -> str:
    """The map's widget key: one per viewed region, so each level is a chart of its own.

    Streamlit identifies a keyed deck by its key alone (not its data) and keeps its selection
    in the browser: under one key for every level, the polygon clicked at one level stayed
    selected at the next, re-pointed at the polygon with the same index — that level came
    washed out (Streamlit fades unselected objects) with that one polygon fully drawn, unlike
    the same region opened by link, and the next rerun (any widget) drilled into it. Keyed by
    the region, a drilled map is the chart its deep link draws, with nothing selected."""
    return f"{key_prefix}_chart_{region}"


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


def _on_drill(key: str) -> None:
    code = st.session_state.get(key)
    if code:
        _set_region(code, level_of(code))


def drill(view: View, table: pl.DataFrame, key_prefix: str) -> None:
    """The small map's way down: one button per sub-region on the map (largest value first),
    as a click on it would. Keyed by the viewed region, so each level starts with none chosen."""
    ranked = table.sort("value", descending=True, nulls_last=True)
    names = dict(zip(ranked["key"].to_list(), ranked["name"].to_list()))
    key = f"{key_prefix}_drill_{view.region or 'top'}"
    st.pills(tr("map.drill"), list(names), key=key, format_func=lambda c: safe.md(names[c]),
             on_change=_on_drill, args=(key,), wrap=True)


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
    leaf = partial(records_panel if controls else _records_links, view, level_of(current) == "village", key_prefix)
    if table.is_empty():
        leaf()
        return
    own, table = table.filter(pl.col(OWN_LEVEL)), table.filter(~pl.col(OWN_LEVEL))  # 本级 has no polygon
    if table.is_empty():  # only records coded to the region itself: no sub-region to draw
        _own_level_note(own, metric, per10k)
        leaf()
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
    if controls:
        key = chart_key(key_prefix, current)
        tooltip = (f"<b>{{name}}</b><br/>{tr(f'metric.{metric}')}{tr('map.per10k_suffix') if per10k else ''}："
                   f"{{value_text}}<br/>{tr('map.rank')}：{{rank}} / {table.height}<br/>{tr('change.yoy')}：{{yoy_text}}"
                   f"<br/>{tr('map.warnings')}：{{warnings}}")
        cfg = data.map_config()
        deck = maps.build_deck(rows, labels=labels, key_watch=key_watch, points=pts, density=dens,
                               tooltip_html=tooltip, style=maps.map_style(cfg), shift=cfg.shift,
                               circles=circles, outline=outline)
        st.pydeck_chart(deck, key=key, height=height, on_select=partial(_on_select, key),
                        selection_mode="single-object")
    else:  # the overview's small map: a still picture (dashboard/map_svg.py says why)
        circle_codes = {c["code"] for c in circles}
        named_points = [] if labels is None else [r for r in labels.to_dicts() if r["key"] not in circle_codes]
        st.image(map_svg.compact_svg(rows, labels=named_points, key_watch=key_watch, width=COMPACT_WIDTH,
                                     height=height, circles=circles, outline=outline),
                 width="stretch", alt=tr("overview.map_alt"))
    if circles:
        st.caption(tr("map.circles_note") if not rows else tr("map.circles_partial", n=len(circles)))
    if breaks:
        _legend(breaks, unit if not per10k else "per10k")
    _own_level_note(own, metric, per10k)
    if controls:
        st.caption(tr("map.click_hint") if child_level != "village" else tr("map.village_hint"))
    else:
        drill(view, table, key_prefix)
        st.page_link("app_pages/map.py", label=tr("overview.open_map"), icon=":material/map:")


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


def _found(view: View) -> dict:
    """Per ledger, which of its rows the detail page lists for the viewed region and period."""
    return {page_table(page): data.detail_index(*view.args(), page_table(page), "", False, "")
            for page, _, _ in RECORD_PAGES}


def _records_links(view: View, village: bool, key_prefix: str) -> None:
    """The lowest level on a small map (overview, briefing): its records, one link per ledger
    with their number. The filter bar already holds the region, and it is shared by every page,
    so the detail pages open filtered to it."""
    found = _found(view)
    st.caption(tr("map.village_records") if village else tr("map.leaf_records"))
    row = st.container(horizontal=True, gap="small")
    for page, label, icon in RECORD_PAGES:
        row.page_link(page, label=tr("map.records_tab", ledger=tr(label), n=f"{found[page_table(page)].len():,}"),
                      icon=icon)


def records_panel(view: View, village: bool, key_prefix: str = "map") -> None:
    """The lowest level on the 地图 page (a village, or a region without sub-regions): its
    records instead of a map of nothing — per ledger the number in the period and the newest
    rows, as the detail page lists them, and a link to that page (already filtered to the
    region through the shared filter bar) for all of them. Tables show ledger values as text."""
    from dashboard.components_details import PERSON_COLS, _config
    from queries.schema import polars_schema

    account = st.session_state.get("account")
    persons = account is not None and account.can("see_persons")
    st.caption(tr("map.village_records") if village else tr("map.leaf_records"))
    found = _found(view)
    labels = [tr("map.records_tab", ledger=tr(label), n=f"{found[page_table(page)].len():,}")
              for page, label, _ in RECORD_PAGES]
    first = next((l for l, (page, _, _) in zip(labels, RECORD_PAGES) if found[page_table(page)].len()), labels[0])
    # Keyed by the region like the map: each village opens on its first ledger with records.
    tabs = st.tabs(labels, default=first, key=f"{key_prefix}_records_tabs_{view.region}")
    for tab, (page, label, icon) in zip(tabs, RECORD_PAGES):
        table = page_table(page)
        index = found[table]
        with tab:
            if index.is_empty():
                st.caption(tr("empty.period"))
            else:
                cols = [c for c in polars_schema(table) if c != "region_code" and (persons or c not in PERSON_COLS)]
                rows = data.detail_rows(view.url, view.version, table, index.head(RECORDS_SHOWN)).select(cols)
                st.dataframe(fmt.blank_nulls(rows), hide_index=True, column_config=_config(table, cols),
                             key=f"{key_prefix}_records_{table}", height="auto")
                if index.len() > RECORDS_SHOWN:
                    st.caption(tr("map.records_newest", shown=RECORDS_SHOWN, n=f"{index.len():,}"))
            st.page_link(page, label=tr("map.records_all", ledger=tr(label)), icon=icon)


def page_table(page: str) -> str:
    """app_pages/cases.py → cases: the ledger a detail page lists."""
    return page.rsplit("/", 1)[-1].removesuffix(".py")
