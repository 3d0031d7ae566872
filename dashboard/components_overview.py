"""The overview's three answers: where problems concentrate, what got worse (同比), who is slow.
They fetch through dashboard.data and draw; the numbers come from queries/ (metrics.rollup,
worsened.worsened, boards.slow_townships / slow_units, boards.warning_groups)."""
from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import components_map, data, fmt, safe, small_table
from dashboard.components_warnings import LEVEL_MD, load as load_warnings
from dashboard.filterbar import View
from dashboard.ui import lang, lang_key, own_level_names, remember, tr
from queries import boards
from queries import worsened as W
from queries.metrics import METRICS
from queries.regions import OWN_LEVEL

DEFAULT_RANK_METRIC = "complaints_received"

RANKABLE = ("cases_filed", "persons_disciplined", "funds_recovered_wan", "complaints_received",
            "closure_rate", "satisfaction_rate", "completion_rate", "rectifications_overdue")


RANK_ROWS = 12  # the ranking's rows on the overview; the 地图 page and 趋势 have every region
BAR_CELLS = 10  # the text bar's full length in character cells
_EIGHTHS = " ▏▎▍▌▋▊▉"


def text_bar(share: float, cells: int = BAR_CELLS) -> str:
    """`share` (0–1) of a bar `cells` characters long, in eighth-block characters: a bar that
    prints, copies and reads on a phone like the text beside it, and needs no chart library."""
    eighths = round(max(0.0, min(1.0, share)) * cells * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def _bar_cell(bar: str) -> str:
    # Block characters only (text_bar), never data: coloured in the theme's primary colour.
    return small_table.Markup(f":primary[{bar}]") if bar else small_table.EMPTY


def ranking_rows(df: pl.DataFrame, col: str, per10k: bool, unit: str) -> pl.DataFrame:
    """The sub-regions ranked by `col`, largest first (regions without a figure last, unranked):
    rank, name, the figure as text, its bar against the largest, and the figure itself."""
    ranked = df.select("name", pl.col(col).alias("raw")).sort("raw", descending=True, nulls_last=True)
    values = ranked["raw"].to_list()
    top = max((abs(v) for v in values if v is not None), default=0)
    show = (lambda v: "—" if v is None else f"{v:,.2f}") if per10k else (
        lambda v: fmt.metric_value(v, unit, lang()))
    return ranked.with_columns(
        rank=pl.Series([i + 1 if v is not None else None for i, v in enumerate(values)], dtype=pl.Int64),
        value=pl.Series([show(v) for v in values], dtype=pl.String),
        bar=pl.Series([text_bar(abs(v) / top) if v is not None and top else "" for v in values], dtype=pl.String),
    ).select("rank", "name", "value", "bar", "raw")


def _has_population(df: pl.DataFrame) -> bool:
    """Every sub-region (本级 aside: it has none) has a population to divide by."""
    kids = df.filter(~pl.col(OWN_LEVEL)) if OWN_LEVEL in df.columns else df
    return kids.height > 0 and bool((kids["population"].fill_null(0) > 0).all())


def concentration(view: View) -> dict | None:
    """问题集中在哪里: the sub-regions ranked by a chosen metric, per 10,000 residents by default
    where every sub-region has a population (the basis is said under the controls), and the
    compact map of the same metric and basis. Returns the top row for the headline."""
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    if "overview_rank_metric" not in st.session_state:
        st.session_state["overview_rank_metric"] = DEFAULT_RANK_METRIC
    metric = c1.selectbox(tr("overview.ranking_metric"), RANKABLE, key=lang_key("overview_rank_metric"),
                          format_func=lambda k: tr(f"metric.{k}"))
    remember("overview_rank_metric", metric)
    m = METRICS[metric]
    df = data.rollup(*view.args(), (metric,))
    with_pop = _has_population(df)
    if "overview_rank_per10k" not in st.session_state:
        st.session_state["overview_rank_per10k"] = with_pop
    per10k = c2.toggle(tr("overview.per10k"), key="overview_rank_per10k",
                       disabled=m.is_rate or not with_pop) and not m.is_rate and with_pop
    if m.is_rate:
        st.caption(tr("overview.basis_rate"))
    elif per10k:
        st.caption(tr("overview.basis_per10k"))
    else:
        st.caption(tr("overview.basis_volume") if with_pop else tr("overview.basis_total"))
    left, right = st.columns([1, 1])
    top = None
    with left:
        if df.is_empty():
            st.info(tr("overview.no_children"))
        else:
            col = f"{metric}_per10k" if per10k else metric
            label = tr(f"metric.{metric}")
            if per10k:
                label = tr("overview.rank_axis_per10k", metric=label)
            ranked = ranking_rows(own_level_names(df), col, per10k, m.unit)
            small_table.show(ranked.head(RANK_ROWS), {
                "rank": (tr("overview.rank.no"), fmt.count), "name": (tr("overview.rank.region"), small_table.text),
                "value": (label, small_table.text), "bar": (tr("overview.rank.bar"), _bar_cell),
            }, key="overview_rank_table")
            if ranked.height > RANK_ROWS:
                st.caption(tr("overview.rank_more", shown=RANK_ROWS, n=f"{ranked.height:,}"))
            first = ranked.row(0, named=True) if ranked.height else None
            if first and first["raw"]:
                top = {"name": first["name"], "value": first["raw"], "metric": metric, "per10k": per10k}
    with right:
        shown_metric = tr(f"metric.{metric}") + (tr("map.per10k_suffix") if per10k else "")
        st.markdown(f"**{tr('overview.map_of', metric=shown_metric)}**")
        components_map.map_panel(view, key_prefix="overview", height=360, controls=False,
                                 metric=metric, per10k=per10k)
    return top


def _change_text(row: dict, with_diff: bool = True) -> str:
    """A rate's change in points; a count's relative change (and, `with_diff`, its difference),
    or only the difference where last year's base is too small to state a percentage."""
    m = METRICS[row["metric"]]
    if m.is_rate:
        return fmt.change(row["diff"], True, lang()) or "—"
    diff = int(round(row["diff"]))
    n = tr("overview.count_diff", sign="+" if diff >= 0 else "−", n=f"{abs(diff):,}")
    if row["change"] is None:
        return n
    relative = fmt.change(row["change"], False, lang())
    if not with_diff:
        return relative
    return f"{relative}（{n}）" if lang() == "zh" else f"{relative} ({n})"


def worse_rows(df: pl.DataFrame) -> pl.DataFrame:
    """The list as shown: region, indicator, both values and the change as text."""
    rows = own_level_names(df).to_dicts()
    value = lambda v, k: fmt.metric_value(v, METRICS[k].unit, lang())  # noqa: E731
    return pl.DataFrame({
        "region": [r["name"] for r in rows],
        "metric": [tr(f"metric.{r['metric']}") for r in rows],
        "this": [value(r["this"], r["metric"]) for r in rows],
        "last": [value(r["last"], r["metric"]) for r in rows],
        "change": [_change_text(r, with_diff=False) for r in rows],
    }, schema={c: pl.String for c in ("region", "metric", "this", "last", "change")})


def worsened(view: View, n: int = 8) -> dict | None:
    """哪些方面变差了: the sub-region × indicator pairs that worsened most against the same
    period last year (queries/worsened.py), all indicators or one. Returns the first row."""
    choices = ("all", *W.WORSENING)
    pick, rule = st.columns([1, 2], vertical_alignment="bottom")
    picked = pick.selectbox(tr("overview.worse_metric"), choices, key=lang_key("overview_worse_metric"),
                          format_func=lambda k: tr("overview.worse_all") if k == "all" else tr(f"metric.{k}"))
    remember("overview_worse_metric", picked)
    rule.caption(tr("overview.worse_rule", n=W.MIN_BASE))
    result = data.worsened(*view.args(), n=1000)
    found = result["rows"]
    if found.is_empty():
        st.info(tr("overview.worse_none") if result["last_year"] else tr("overview.worse_no_last"))
        return None
    first = found.row(0, named=True)
    if picked and picked != "all":
        found = found.filter(pl.col("metric") == picked)
    if found.is_empty():
        st.info(tr("overview.worse_none"))
        return first
    shown = worse_rows(found.head(n))
    small_table.show(shown, {c: (tr(f"overview.worse.{c}"), small_table.text) for c in shown.columns},
                     key="overview_worse_table")
    return first


def slow(view: View, n: int = 5) -> dict | None:
    """谁推进缓慢: the top of the 推进缓慢 boards (queries/boards.py), townships and units."""
    b = data.boards(view.url, view.version, view.region, view.fields, view.scope_region, view.as_of)
    towns = b["townships"].filter(pl.col("overdue") > 0).head(n)
    units = b["units"].filter(pl.col("overdue") > 0).head(n)
    if towns.is_empty() and units.is_empty():
        st.info(tr("overview.slow_none"))
        return None
    towns_col, units_col = st.columns(2, gap="medium")
    with towns_col:
        _slow_townships(towns)
    with units_col:
        _slow_units(units)
    if towns.is_empty():
        return None
    top = own_level_names(towns, "township").row(0, named=True)
    return {"name": top["township"], "overdue": top["overdue"], "warnings": top["open_warnings"]}


def _slow_townships(towns: pl.DataFrame) -> None:
    st.markdown(f"**{tr('overview.slow_townships')}**")
    if towns.is_empty():
        st.caption(tr("overview.slow_none"))
        return
    t = own_level_names(towns, "township")
    small_table.show(t, _slow_columns(("rank", "township", "district", "overdue", "open_warnings", "overdue_change")),
                     key="overview_slow_townships")


def _slow_units(units: pl.DataFrame) -> None:
    st.markdown(f"**{tr('overview.slow_units')}**")
    if units.is_empty():
        st.caption(tr("overview.slow_no_units"))
    else:
        small_table.show(units, _slow_columns(("rank", "unit", "overdue", "open_warnings", "overdue_change")),
                         key="overview_slow_units")


def _slow_columns(names: tuple[str, ...]) -> dict:
    """The boards' columns as the overview shows their tops: labels and cell texts."""
    known = {"rank": ("board.rank", fmt.count), "township": ("warn.col.township", small_table.text),
             "district": ("warn.col.district", small_table.text), "unit": ("warn.col.unit", small_table.text),
             "overdue": ("board.overdue", fmt.count),
             "open_warnings": ("board.open_warnings", fmt.count),
             "overdue_change": ("overview.vs_last_month", small_table.signed)}
    return {c: (tr(known[c][0]), known[c][1]) for c in names}


def warning_groups(view: View, n: int = 10) -> None:
    """The most serious warnings grouped by rule and responsible unit (queries/boards.py
    `warning_groups`): how many, and how serious the worst of them is."""
    warnings = load_warnings(view)
    counts = dict(warnings.group_by("level").len().iter_rows()) if warnings.height else {}
    st.caption(tr("overview.warn_line", as_of=view.as_of.isoformat(), n=f"{warnings.height:,}",
                  red=f"{counts.get('红', 0):,}", orange=f"{counts.get('橙', 0):,}",
                  yellow=f"{counts.get('黄', 0):,}"))
    groups = boards.warning_groups(warnings, n=n)
    if groups.is_empty():
        st.info(tr("warn.none"))
        return
    small_table.show(group_rows(groups), {
        # The level is the rules' own vocabulary (红/橙/黄), never a ledger value: a coloured badge.
        "level": (tr("warn.col.level"),
                  lambda lv: small_table.Markup(f":{LEVEL_MD[lv]}-badge[{tr(f'warn.level.{lv}')}]")),
        "rule": (tr("warn.col.rule"), small_table.text),
        "who": (tr("overview.group.who"), small_table.text),
        "warnings": (tr("overview.group.warnings"), fmt.count),
        "worst": (tr("overview.group.worst"), small_table.text),
    }, key="overview_warn_groups")


def group_rows(groups: pl.DataFrame) -> pl.DataFrame:
    """The grouped warnings as shown: the unit, or where the warnings lie when they have none."""
    rows = groups.to_dicts()
    worst = [tr(f"warn.worst.{r['rule']}", n=f"{r['worst']:,.0f}") if r["worst"] is not None else "—" for r in rows]
    return pl.DataFrame({
        "level": [r["level"] for r in rows],
        "rule": [tr(f"rule.{r['rule']}") for r in rows],
        "who": [r["unit"] or r["area"] or "—" for r in rows],
        "warnings": [r["warnings"] for r in rows],
        "worst": worst,
    }, schema={"level": pl.String, "rule": pl.String, "who": pl.String, "warnings": pl.Int64,
               "worst": pl.String})


def headline(where: dict | None, worse: dict | None, slowest: dict | None) -> None:
    """The three answers in one row of boxes, above their sections. Names come from ledgers:
    escaped for markdown."""
    cols = st.columns(3)
    with cols[0].container(border=True, height="stretch"):
        if where:
            m = METRICS[where["metric"]]
            title = tr("overview.head.where", metric=tr(f"metric.{where['metric']}")
                       + (tr("map.per10k_suffix") if where["per10k"] else ""))
            value = f"{where['value']:,.2f}" if where["per10k"] else fmt.metric_value(where["value"], m.unit, lang())
            st.caption(title)
            st.markdown(f"**{safe.md(where['name'])}** · {safe.md(value)}")
        else:
            st.caption(tr("overview.q.where"))
            st.markdown(tr("overview.head.none"))
    with cols[1].container(border=True, height="stretch"):
        st.caption(tr("overview.head.worse"))
        if worse:
            name = own_level_names(pl.DataFrame([worse]))["name"][0] if OWN_LEVEL in worse else worse["name"]
            label = tr(f"metric.{worse['metric']}")
            st.markdown(f"**{safe.md(name)}** · {safe.md(label)} {safe.md(_change_text(worse))}")
        else:
            st.markdown(tr("overview.head.none"))
    with cols[2].container(border=True, height="stretch"):
        st.caption(tr("overview.head.slow"))
        if slowest:
            st.markdown(f"**{safe.md(slowest['name'])}** · "
                        f"{safe.md(tr('overview.head.slow_line', overdue=slowest['overdue'], warnings=slowest['warnings']))}")
        else:
            st.markdown(tr("overview.head.none"))

