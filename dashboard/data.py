"""The one cached bridge between Streamlit and the query layer.

Tables are loaded once per process and data version (`st.cache_resource`): a write bumps the
version, so an import shows on every page at the next rerun without a restart. Query results are
cached per argument set (`st.cache_data`), with primitive arguments only.
"""
from __future__ import annotations

import atexit
import gc
import logging
import os
import threading
from datetime import date

import polars as pl
import streamlit as st

from queries import ddl, metrics, refresh, store, warmup, warnings_config
from queries.deadlines import with_deadlines
from queries.filters import Filters, Scope, field_choices
from queries.schema import Tables
from queries.warnings_config import WarningConfig

# _tables freezes what is alive after a load; unfrozen at exit so the final collection still
# frees it (native extensions otherwise report their objects as leaked).
atexit.register(gc.unfreeze)


def db_url() -> str:
    """OVERSIGHT_DB_URL, then `db_url` in .streamlit/secrets.toml, then the SQLite default."""
    env = os.environ.get("OVERSIGHT_DB_URL")
    if env:
        return env
    try:
        secret = st.secrets.get("db_url")
    except (FileNotFoundError, KeyError, AttributeError):
        secret = None
    except Exception:  # noqa: BLE001 - a malformed secrets file must not hide the default
        secret = None
    return secret or store.DEFAULT_URL


@st.cache_resource(show_spinner=False)
def ensure_ready(url: str) -> bool:
    """Create the schema, and on first run of a store nobody has set up fill it with the demo
    city (never a store made by `init`: see `store.needs_demo`).

    Cached per process so concurrent first sessions do not generate twice, and under the
    database's schema lock so several processes started together on an empty database do not
    either: the others wait, then find it filled."""
    with ddl.schema_lock(store.engine_for(url)):
        store.init_schema(url)
        if store.needs_demo(url):
            from dashboard.demo import write_demo
            from dashboard.demo_accounts import print_passwords

            _, passwords = write_demo(url)
            print_passwords(passwords)  # the server console: the one place they are shown
    return True


# Per database: the newest data version this process has loaded, the newest the database had at
# the last rerun, and the background loads of newer ones (queries/refresh.py).
_held: dict[str, int] = {}
_newest: dict[str, int] = {}
_refresher = refresh.Refresher()


def version(url: str) -> int:
    """The data version this rerun reads: the database's newest, except while a newer version
    that has no snapshot is read in the background. Then the version already held is served
    (the page says so, see `refreshing`) instead of every user waiting half a minute or more;
    the switch comes with the snapshot. A first load, a version with a snapshot (every write
    made through the app) or a failed background load are loaded here, as before."""
    newest = _newest[url] = store.data_version(url)
    held = _held.get(url)
    if held is None or held >= newest or store.snapshot_dir(url) is None or store.has_snapshot(url, newest):
        return newest
    if _refresher.state(url, newest) is refresh.State.FAILED:
        return newest
    return held


def refreshing(url: str, served: int) -> bool:
    """Whether a newer version than `served` (what `version` just returned) is being loaded in
    the background: no second database query per rerun."""
    return served < _newest.get(url, served)


@st.cache_resource(show_spinner=False)
def warning_config() -> WarningConfig:
    """Loaded and validated once per process; a bad file stops the app with its message. The
    四种形态 table (config/forms.toml) is checked at the same moment, for the same reason."""
    from queries import forms

    forms.mapping()
    return warnings_config.load()


@st.cache_resource(max_entries=2, show_spinner=False)
def _tables(url: str, data_version: int) -> Tables:
    tables = with_deadlines(store.load_tables_cached(url, data_version), warning_config())
    _held[url] = max(_held.get(url, 0), data_version)
    # Everything alive now (the libraries' ~165k objects, the tables' own) lives as long as the
    # process: frozen, Python's full collections skip it, a 100 ms pause each time otherwise.
    gc.collect()
    gc.freeze()
    # The cubes and warning inputs of the default views, built while the first page renders
    # (queries/warmup.py); a daemon thread, so a shutdown never waits for it.
    if tables.regions.filter(pl.col("level") == "city").height:  # a store not set up has nothing to prepare
        threading.Thread(target=_prepare, args=(tables, date.today(), warning_config()),
                         name="oversight-warmup", daemon=True).start()
    return tables


def _prepare(tables: Tables, as_of: date, cfg: WarningConfig) -> None:
    try:
        warmup.prepare(tables, as_of, cfg)
    except Exception:  # noqa: BLE001 - only a head start: the page's own query reports any error
        logging.getLogger(__name__).exception("warm-up failed")


def query_mode() -> str:
    """"memory" (default: ledgers loaded into each app process) or "pushdown" (KPIs, map
    roll-ups and trend series summed inside the database; see queries/pushdown.py), from
    OVERSIGHT_QUERY_MODE or `query_mode` in .streamlit/secrets.toml."""
    mode = os.environ.get("OVERSIGHT_QUERY_MODE")
    if not mode:
        try:
            mode = st.secrets.get("query_mode")
        except Exception:  # noqa: BLE001 - no or malformed secrets: the default applies
            mode = None
    return "pushdown" if mode == "pushdown" else "memory"


@st.cache_resource(max_entries=2, show_spinner=False)
def _sql_source(url: str, data_version: int):
    from queries.pushdown import SqlSource

    return SqlSource(url)


def _metric_source(url: str, data_version: int):
    """What metric queries read: the loaded tables, or the database itself in pushdown mode."""
    if query_mode() == "pushdown":
        return _sql_source(url, data_version)
    return _tables(url, data_version)


def tables(url: str) -> Tables:
    return _tables(url, version(url))


def tables_at(url: str, data_version: int) -> Tables:
    return _tables(url, data_version)


@st.cache_resource(max_entries=2, show_spinner=False)
def field_options(url: str, data_version: int) -> list[str]:
    """The 领域 choices: every field in the case and complaint ledgers (a scan of 13M rows at
    1M cases, so once per data version, not per rerun)."""
    t = _tables(url, data_version)
    return field_choices(t.cases, t.complaints)


def is_demo(url: str) -> bool:
    """Only demo figures in the store (the first-run demo, nothing imported into it)."""
    return store.get_meta(url, "dataset") == "demo"


def demo_badge(url: str) -> str | None:
    """The i18n key of the badge over every page: 演示数据 for a pure demo store, 含演示数据 once
    real ledgers were imported into one (its figures are still partly invented), else none."""
    return {"demo": "app.demo_badge", "mixed": "app.mixed_badge"}.get(store.get_meta(url, "dataset") or "")


def _filters(start: date, end: date, region: str | None, fields: tuple[str, ...]) -> Filters:
    return Filters(start, end, region=region, fields=fields)


@st.cache_data(max_entries=512, show_spinner=False)
def compare(url: str, data_version: int, start: date, end: date, region: str | None,
            fields: tuple[str, ...], scope_region: str | None, as_of: date,
            keys: tuple[str, ...]) -> dict[str, dict]:
    return metrics.compare(_metric_source(url, data_version), _filters(start, end, region, fields),
                           Scope(scope_region), as_of, keys)


@st.cache_data(max_entries=512, show_spinner=False)
def monthly(url: str, data_version: int, start: date, end: date, region: str | None,
            fields: tuple[str, ...], scope_region: str | None, as_of: date,
            keys: tuple[str, ...]):
    return metrics.monthly(_metric_source(url, data_version), _filters(start, end, region, fields),
                           Scope(scope_region), as_of, keys)


@st.cache_data(max_entries=512, show_spinner=False)
def by_category(url: str, data_version: int, start: date, end: date, region: str | None,
                fields: tuple[str, ...], scope_region: str | None, as_of: date, metric: str, by: str) -> dict:
    """{category: count} over the period (complaints by channel): read from the loaded tables,
    as the composition charts are, whatever the query mode."""
    return metrics.by_category(_tables(url, data_version), _filters(start, end, region, fields),
                               Scope(scope_region), as_of, metric, by)


@st.cache_data(max_entries=512, show_spinner=False)
def rollup(url: str, data_version: int, start: date, end: date, region: str | None,
           fields: tuple[str, ...], scope_region: str | None, as_of: date,
           keys: tuple[str, ...]):
    return metrics.rollup(_metric_source(url, data_version), _filters(start, end, region, fields),
                          Scope(scope_region), as_of, keys)


@st.cache_data(max_entries=256, show_spinner=False)
def worsened(url: str, data_version: int, start: date, end: date, region: str | None,
             fields: tuple[str, ...], scope_region: str | None, as_of: date, n: int = 10) -> dict:
    """The children × indicators that worsened most against the same period last year
    (queries/worsened.py), from the roll-ups of the two windows it works out: {"rows": the
    list, "last_year": whether the earlier window holds anything to compare with}."""
    from queries import worsened as W

    src, scope, keys = _metric_source(url, data_version), Scope(scope_region), W.needed()
    (s, e, a), (ls, le, la) = W.yoy_windows(start, end, as_of)
    now = metrics.rollup(src, _filters(s, e, region, fields), scope, a, keys)
    last = metrics.rollup(src, _filters(ls, le, region, fields), scope, la, keys)
    return {"rows": W.worsened(now, last, n=n), "last_year": W.has_values(last)}


# The warning list and boards are kept as objects (`st.cache_resource`), not pickled copies:
# city-wide at 1M cases the list has hundreds of thousands of rows, and unpickling it on every
# rerun was two thirds of the overview's server time (py-spy) although it shows ten rows.
# Callers only read them (polars frames are not changed in place).
@st.cache_resource(max_entries=128, show_spinner=False)
def warnings(url: str, data_version: int, region: str | None, fields: tuple[str, ...],
             scope_region: str | None, as_of: date) -> pl.DataFrame:
    """The warning list at as_of (a stock: the period does not apply)."""
    from queries import warnings as W

    return W.evaluate(_tables(url, data_version), _filters(as_of, as_of, region, fields),
                      Scope(scope_region), as_of, warning_config())


@st.cache_resource(max_entries=128, show_spinner=False)
def boards(url: str, data_version: int, region: str | None, fields: tuple[str, ...],
           scope_region: str | None, as_of: date) -> dict[str, pl.DataFrame]:
    from queries import boards as B

    t, f, s, cfg = _tables(url, data_version), _filters(as_of, as_of, region, fields), Scope(scope_region), warning_config()
    return {"townships": B.slow_townships(t, f, s, as_of, cfg), "units": B.slow_units(t, f, s, as_of, cfg),
            "projects": B.project_board(t, f, s, as_of)}


def record_history(url: str, data_version: int, scope_region: str | None, record_type: str,
                   record_id: str) -> dict:
    """One record inside the jurisdiction and, for a rectification, its monthly progress
    reports (detail panels). A record outside the scope comes back as None."""
    from queries import filters as flt

    t = _tables(url, data_version)
    table, key = {"rectification": ("rectifications", "item_id"), "complaint": ("complaints", "complaint_id"),
                  "case": ("cases", "case_id")}[record_type]
    scoped = flt.apply(getattr(t, table), _filters(date.min, date.max, None, ()), Scope(scope_region))
    row = scoped.filter(pl.col(key) == record_id).collect()
    updates = t.progress_updates.filter(pl.col("item_id") == record_id).sort("reported_on")
    return {"record": row.row(0, named=True) if row.height else None, "updates": updates}


def warning_detail(url: str, data_version: int, scope_region: str | None, record_type: str, record_id: str,
                   as_of: date, warnings: list[dict], show_persons: bool) -> dict:
    """One record (or C3 village) as its warning detail shows it (queries.warning_detail.build):
    a few filters by id on the in-memory ledgers, so not cached."""
    from queries import warning_detail

    return warning_detail.build(_tables(url, data_version), Scope(scope_region), record_type, record_id, as_of,
                                warning_config(), warnings, show_persons)


@st.cache_resource(max_entries=2, show_spinner=False)
def _boundaries(url: str, data_version: int) -> dict:
    return store.load_boundaries(url)


@st.cache_data(max_entries=256, show_spinner=False)
def level_polygons(url: str, data_version: int, codes: tuple[str, ...], level: str) -> list[dict]:
    """Simplified polygons of `codes`, as deck.gl rings (cached: simplification is the slow part)."""
    from queries import geo

    return geo.polygons_for_deck(geo.level_features(_boundaries(url, data_version), list(codes), level))


@st.cache_data(max_entries=256, show_spinner=False)
def choropleth(url: str, data_version: int, start: date, end: date, region: str | None,
               fields: tuple[str, ...], scope_region: str | None, as_of: date, metric: str,
               per10k: bool) -> pl.DataFrame:
    from queries import geo

    warns = warnings(url, data_version, region, fields, scope_region, as_of)
    return geo.choropleth_table(_metric_source(url, data_version), _filters(start, end, region, fields),
                                Scope(scope_region), as_of, metric, per10k, warns)


@st.cache_data(max_entries=64, show_spinner=False)
def map_points(url: str, data_version: int, start: date, end: date, region: str | None,
               fields: tuple[str, ...], scope_region: str | None, as_of: date, kind: str) -> pl.DataFrame:
    """Record points for the map: cases filed / complaints received in the period, or the
    rectifications overdue at as_of; always inside the scope."""
    from dashboard.maps import record_points
    from queries import filters as flt
    from queries.metrics import PARTS

    t = _tables(url, data_version)
    f, s = _filters(start, end, region, fields), Scope(scope_region)
    if kind == "cases":
        rows, color = flt.apply(t.cases, f, s).filter(flt.in_period("filed_on", start, end)), [31, 78, 121, 200]
    elif kind == "complaints":
        rows, color = flt.apply(t.complaints, f, s).filter(flt.in_period("received_on", start, end)), [90, 90, 90, 160]
    else:
        rows = flt.apply(t.rectifications, f, s).filter(PARTS["rectifications_overdue"].value(as_of) == 1)
        color = [192, 57, 43, 230]
    return record_points(t.regions, rows.collect(), color)


@st.cache_resource(show_spinner=False)
def map_config():
    from dashboard.maps import load_config

    return load_config()


@st.cache_data(max_entries=256, show_spinner=False)
def unripe_months(url: str, data_version: int, start: date, end: date, region: str | None,
                  fields: tuple[str, ...], scope_region: str | None, as_of: date) -> set[date]:
    """Months holding complaints not yet due at as_of (queries.periods): their rates are 未到期."""
    from queries import periods

    return periods.unripe_buckets(_metric_source(url, data_version), _filters(start, end, region, fields),
                                  Scope(scope_region), as_of)


@st.cache_data(max_entries=256, show_spinner=False)
def trend(url: str, data_version: int, start: date, end: date, region: str | None, fields: tuple[str, ...],
          scope_region: str | None, as_of: date, metric: str, every: str) -> pl.DataFrame:
    from queries import trends

    return trends.with_last_year(_metric_source(url, data_version), _filters(start, end, region, fields),
                                 Scope(scope_region), as_of, metric, every)


@st.cache_data(max_entries=256, show_spinner=False)
def composition(url: str, data_version: int, start: date, end: date, region: str | None, fields: tuple[str, ...],
                scope_region: str | None, as_of: date, metric: str, by: str, every: str) -> pl.DataFrame:
    return metrics.breakdown(_tables(url, data_version), _filters(start, end, region, fields),
                             Scope(scope_region), as_of, metric, by, every)


@st.cache_data(max_entries=128, show_spinner=False)
def region_series(url: str, data_version: int, start: date, end: date, region: str | None, fields: tuple[str, ...],
                  scope_region: str | None, as_of: date, metric: str, every: str, per10k: bool) -> pl.DataFrame:
    from queries import trends

    return trends.by_child(_metric_source(url, data_version), _filters(start, end, region, fields),
                           Scope(scope_region), as_of, metric, every, per10k)


@st.cache_data(max_entries=128, show_spinner=False)
def funnel(url: str, data_version: int, start: date, end: date, region: str | None, fields: tuple[str, ...],
           scope_region: str | None, as_of: date) -> pl.DataFrame:
    from queries import trends

    return trends.funnel(_tables(url, data_version), _filters(start, end, region, fields), Scope(scope_region), as_of)


@st.cache_data(max_entries=128, show_spinner=False)
def handling(url: str, data_version: int, start: date, end: date, region: str | None, fields: tuple[str, ...],
             scope_region: str | None, as_of: date) -> dict:
    from queries import trends

    return trends.handling_times(_tables(url, data_version), _filters(start, end, region, fields),
                                 Scope(scope_region), as_of)


@st.cache_data(max_entries=128, show_spinner=False)
def anomalies(url: str, data_version: int, start: date, end: date, region: str | None, fields: tuple[str, ...],
              scope_region: str | None, as_of: date, metric: str) -> pl.DataFrame:
    from queries import trends

    return trends.anomalies(_tables(url, data_version), _filters(start, end, region, fields), Scope(scope_region),
                            as_of, trends.load_anomaly_config(), metric)


@st.cache_resource(max_entries=32, show_spinner=False)
def detail_index(url: str, data_version: int, start: date, end: date, region: str | None,
                 fields: tuple[str, ...], scope_region: str | None, as_of: date, table: str, search: str,
                 open_only: bool, due: str = "") -> pl.Series:
    """Which ledger rows a detail table shows, newest first. A resource, not data: at millions
    of matches a pickled copy per rerun would cost more than computing it; nobody mutates it."""
    from queries import details

    return details.match_index(_tables(url, data_version), table, _filters(start, end, region, fields),
                               Scope(scope_region), as_of, search, open_only, due, warning_config())


def detail_rows(url: str, data_version: int, table: str, index: pl.Series) -> pl.DataFrame:
    """The rows at `index` with their region path: one page, or an export."""
    from queries import details

    return details.rows(_tables(url, data_version), table, index)


@st.cache_resource(max_entries=256, show_spinner=False)
def figure(key: tuple, _build):
    """A chart built once per `key` and shared by every session: `key` holds everything the
    chart is drawn from (the page's query arguments, url and data version included, so a new
    version builds anew, and the language and labels), `_build` (not hashed) makes it.

    Plotly's validation of a figure's data is most of a chart page's server time (趋势 builds
    ten; its handling-time boxes hold every closed record), and a page opened again, by anyone,
    shows the same figures. Callers must not change the figure (st.plotly_chart does not: it
    serialises a copy)."""
    return _build()
