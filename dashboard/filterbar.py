"""The shared filter bar: period, region cascade, fields, as-of date, language.

Every widget is bound to the URL query string (`bind="query-params"`), so a copied link reopens
the same view and every page reads the same selection. The region choices start at the
account's jurisdiction: levels above it are shown but fixed, so no widget can widen it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from dashboard import data, safe
from dashboard.i18n import LANGS, t
from dashboard.ui import tr
from queries import filters as flt
from queries.regions import children, level_of, name_of, path, root_code
from queries.schema import Tables


@dataclass(frozen=True)
class View:
    """Everything a page needs to ask the query layer for its numbers."""

    url: str
    version: int
    start: date
    end: date
    region: str | None
    fields: tuple[str, ...]
    scope_region: str | None
    as_of: date
    region_name: str

    def args(self) -> tuple:
        """The primitive argument list of dashboard.data's cached functions."""
        return (self.url, self.version, self.start, self.end, self.region, self.fields,
                self.scope_region, self.as_of)

    @property
    def filters(self) -> flt.Filters:
        return flt.Filters(self.start, self.end, region=self.region, fields=self.fields)


def language_switch() -> None:
    st.segmented_control(
        t("lang.label"), LANGS, default="zh", key="lang", bind="query-params", required=True,
        format_func=lambda code: {"zh": "中文", "en": "English"}[code], width="stretch")


def _period(as_of: date) -> tuple[date, date]:
    preset = st.segmented_control(
        tr("filter.period"), flt.PRESETS, default="year", key="period", bind="query-params",
        required=True, format_func=lambda p: tr(f"period.{p}"), width="stretch")
    if preset != "custom":
        return flt.preset_period(preset or "year", as_of)
    default = flt.preset_period("year", as_of)
    picked = st.date_input(tr("filter.range"), value=default, key="range", bind="query-params",
                           format="YYYY-MM-DD")
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        start, end = picked
        return (start, end) if start <= end else (end, start)
    st.caption(tr("filter.range_incomplete"))
    return default


def _region_select(tables: Tables, parent: str, key: str, level_label: str, all_label: str,
                   fixed: str | None) -> str | None:
    """One level of the cascade: fixed (jurisdiction below this level) or free choice."""
    options = children(tables.regions, parent)["code"].to_list()
    if fixed is not None:
        st.selectbox(tr(level_label), [fixed], key=f"{key}_fixed", disabled=True,
                     format_func=lambda c: name_of(tables.regions, c))
        return fixed
    if not options:
        return None
    names = dict(zip(options, children(tables.regions, parent)["name"].to_list()))
    return st.selectbox(tr(level_label), options, index=None, key=key, bind="query-params",
                        placeholder=tr(all_label), format_func=lambda c: names.get(c, c))


def render(url: str, version: int, tables: Tables, scope_region: str | None) -> View:
    """Draw the filter bar in the sidebar and return the resulting view of data version
    `version` (the one `tables` is: see `data.version`)."""
    st.sidebar.subheader(tr("filter.header"))
    with st.sidebar:
        as_of = st.date_input(tr("filter.as_of"), value=date.today(), key="as_of",
                              bind="query-params", help=tr("filter.as_of_help"), format="YYYY-MM-DD")
        start, end = _period(as_of)
        root = root_code(tables.regions)
        # Ancestors of the jurisdiction (district, township) are fixed choices.
        fixed = {r["level"]: r["code"] for r in path(tables.regions, scope_region)} if scope_region else {}
        region: str | None = None
        parent = root
        for level, key, label, all_label in (
            ("district", "district", "filter.district", "filter.all_districts"),
            ("township", "township", "filter.township", "filter.all_townships"),
            ("village", "village", "filter.village", "filter.all_villages"),
        ):
            chosen = _region_select(tables, parent, key, label, all_label, fixed.get(level))
            if chosen is None:
                break
            region, parent = chosen, chosen
        picked = st.multiselect(tr("filter.fields"), data.field_options(url, version), key="fields",
                                bind="query-params", placeholder=tr("filter.fields_all"))
    region = region or scope_region
    region_name = name_of(tables.regions, region or root)
    return View(url=url, version=version, start=start, end=end, region=region,
                fields=tuple(sorted(picked)), scope_region=scope_region, as_of=as_of,
                region_name=region_name)


def caption(view: View) -> str:
    return tr("scope.caption", region=safe.md(view.region_name), start=view.start.isoformat(),
              end=view.end.isoformat(), as_of=view.as_of.isoformat())


def region_level(view: View, tables: Tables) -> str:
    return level_of(view.region or root_code(tables.regions))

