"""Warning counts, the warning list with its detail panel, the boards, and the 督办 export."""
from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import data, fmt, handout, layout
from dashboard import components_warning_detail as wd
from dashboard.export_warnings import to_xlsx
from dashboard.filterbar import View
from dashboard.i18n import reason
from dashboard.ui import lang, own_level_names, tr
from queries.accounts import Account
from queries.warnings import LEVEL_ORDER, RULES_INFO

# Colours of the three levels: the markdown colour names for labels, hex for table badges.
LEVEL_MD = {"红": "red", "橙": "orange", "黄": "yellow"}
LEVEL_HEX = {"红": "#c0392b", "橙": "#e67e22", "黄": "#d4ac0d"}


def load(view: View) -> pl.DataFrame:
    return data.warnings(view.url, view.version, view.region, view.fields, view.scope_region, view.as_of)


def level_counts(warnings: pl.DataFrame, key_prefix: str) -> None:
    """One card per level, red first."""
    counts = dict(warnings.group_by("level").len().iter_rows())
    n = len(LEVEL_ORDER) + 1  # two per row on a phone (dashboard/layout.py)
    cols = layout.card_columns(st.container(key=f"{layout.CARDS_KEY}_{key_prefix}"), [1] * n, n)
    cols[0].metric(tr("warn.counts"), fmt.count(warnings.height, tr("unit.count"), lang()), border=True)
    for col, level in zip(cols[1:], LEVEL_ORDER):
        col.metric(f":{LEVEL_MD[level]}[■] {tr(f'warn.level.{level}')}",
                   fmt.count(counts.get(level, 0), tr("unit.count"), lang()), border=True)


def _display(warnings: pl.DataFrame, show_persons: bool) -> pl.DataFrame:
    """The list as shown: level with its colour dot, rule and type in words."""
    cols = ["level", "rule", "record_type", "record_id", "district", "township", "village", "unit",
            "person", "project", "days", "due_on", "reason"]
    if not show_persons:
        cols.remove("person")
    texts = [c for c in cols if c not in ("level", "days", "due_on")]
    if lang() != "zh":  # reasons are written in Chinese by queries.warnings
        said = warnings["reason"].unique().to_list()
        warnings = warnings.with_columns(pl.col("reason").replace_strict(
            {r: reason(r, lang()) for r in said if r is not None}, default=pl.col("reason")))
    return warnings.select(cols).with_columns(
        pl.concat_list(pl.col("level")).alias("level"),
        *[pl.col(c).fill_null("—") for c in texts if c not in ("rule", "record_type")],
        pl.col("rule").replace_strict({r: tr(f"rule.{r}") for r in RULES_INFO}),
        pl.col("record_type").replace_strict({t: tr(f"record.{t}") for t in
                                              ("rectification", "complaint", "case", "village")}),
    )


# The table's order (not the list's): id (pinned while the table scrolls sideways), level, how
# long overdue and where first, so a phone shows them without scrolling.
KEY_COLUMNS = ("record_id", "level", "days", "district", "due_on", "rule", "record_type", "township")


def column_order(df: pl.DataFrame) -> list[str]:
    key = [c for c in KEY_COLUMNS if c in df.columns]
    return key + [c for c in df.columns if c not in key]


def _column_config(df: pl.DataFrame) -> dict:
    return {c: st.column_config.TextColumn(tr(f"warn.col.{c}")) for c in df.columns if c not in ("days", "due_on")} | {
        "level": st.column_config.MultiselectColumn(tr("warn.col.level"), options=list(LEVEL_HEX),
                                                    color=list(LEVEL_HEX.values()), width="small",
                                                    format_func=lambda lv: tr(f"warn.level.{lv}")),
        "days": st.column_config.NumberColumn(tr("warn.col.days"), format="%d"),
        "due_on": st.column_config.DateColumn(tr("warn.col.due_on"), format="YYYY-MM-DD"),
        "reason": st.column_config.TextColumn(tr("warn.col.reason"), width="large"),
        "record_id": st.column_config.TextColumn(tr("warn.col.record_id"), pinned=True),
    }


def _filtered(warnings: pl.DataFrame) -> pl.DataFrame:
    c1, c2, c3, c4 = st.columns(4)
    levels = c1.multiselect(tr("warn.filter.level"), list(LEVEL_ORDER), key="warn_level",
                            format_func=lambda lv: tr(f"warn.level.{lv}"), placeholder=tr("warn.filter.all"))
    rules = c2.multiselect(tr("warn.filter.rule"), list(RULES_INFO), key="warn_rule",
                           format_func=lambda r: tr(f"rule.{r}"), placeholder=tr("warn.filter.all"))
    units = c3.multiselect(tr("warn.filter.unit"), sorted(warnings["unit"].drop_nulls().unique().to_list()),
                           key="warn_unit", placeholder=tr("warn.filter.all"))
    projects = c4.multiselect(tr("warn.filter.project"),
                              sorted(warnings["project"].drop_nulls().unique().to_list()),
                              key="warn_project", placeholder=tr("warn.filter.all"))
    out = warnings
    for col, chosen in (("level", levels), ("rule", rules), ("unit", units), ("project", projects)):
        if chosen:
            out = out.filter(pl.col(col).is_in(chosen))
    return out


def warning_list(view: View) -> None:
    account: Account = st.session_state["account"]
    warnings = load(view)
    level_counts(warnings, "warn_page")
    st.caption(tr("warn.stock_note"))
    shown_rows = _filtered(warnings)
    st.caption(tr("warn.count_line", n=f"{shown_rows.height:,}"))
    if shown_rows.is_empty():
        st.info(tr("warn.none"))
        return
    shown = _display(shown_rows, account.can("see_persons"))
    # A case has no due date: its 时限 cell reads "—", not the "None" a date column shows.
    shown = shown.with_columns(pl.col("due_on").dt.strftime("%Y-%m-%d").fill_null(fmt.BLANK))
    config = _column_config(shown) | {"due_on": st.column_config.TextColumn(tr("warn.col.due_on"))}
    event = st.dataframe(shown, hide_index=True, column_config=config,
                         column_order=column_order(shown), key="warn_table",
                         on_select="rerun", selection_mode="single-row", height=420)
    if handout.may_take(account, "warnings"):
        export_button(view, account, shown_rows)
    picked = event.selection.rows if event is not None else []
    if picked:
        row = shown_rows.row(picked[0], named=True)
        detail(view, row["record_type"], row["record_id"], chosen=row)
    else:
        st.caption(tr("warn.select_hint"))


def export_button(view: View, account: Account, rows: pl.DataFrame) -> None:
    """The 督办单: built, audited and handed out only when clicked (dashboard/handout.py)."""
    title = f"{view.region_name} 预警督办单"
    who = f"{account.display_name}（{account.username}）"
    show_persons = account.can("see_persons")
    with st.container(horizontal=True, vertical_alignment="bottom"):
        purpose = st.text_input(tr("details.purpose"), key="warn_export_purpose")
        handout.door(tr("warn.export"), key="warn_export", door="warnings", url=view.url, account=account,
                     target="warnings", rows=rows.height,
                     detail={"region": view.region, "as_of": view.as_of.isoformat(), "format": "xlsx"},
                     build=lambda: to_xlsx(rows, title=title, account=who, as_of=view.as_of.isoformat(),
                                           show_persons=show_persons),
                     file_name=f"督办单_{view.as_of:%Y%m%d}.xlsx", purpose=purpose,
                     mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    picked = wd.sheet_rows(rows.schema)
    if picked.height:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.caption(tr("wd.sheet", n=f"{picked.height:,}"))
            handout.door(tr("wd.export_sheet", n=f"{picked.height:,}"), key="warn_export_sheet", door="warnings",
                         url=view.url, account=account, target="warnings", rows=picked.height,
                         detail={"region": view.region, "as_of": view.as_of.isoformat(), "format": "xlsx",
                                 "selection": [wd.sheet_key(r) for r in picked.iter_rows(named=True)]},
                         build=lambda: to_xlsx(picked, title=title, account=who, as_of=view.as_of.isoformat(),
                                               show_persons=show_persons),
                         file_name=f"督办单_选定_{view.as_of:%Y%m%d}.xlsx", purpose=purpose,
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            st.button(tr("wd.clear_sheet"), key="warn_sheet_clear", on_click=wd.clear_sheet,
                      icon=":material/delete_sweep:")


def detail(view: View, record_type: str, record_id: str, chosen: dict | None = None) -> None:
    """The record behind a warning (or a detail table's row): the warning in words, who is
    responsible, the history, related records and the next step (dashboard/components_warning_detail.py).
    `chosen` is the warning picked in the list; the record's other warnings follow it."""
    account: Account = st.session_state["account"]
    mine = load(view).filter((pl.col("record_type") == record_type) & (pl.col("record_id") == record_id))
    rows = mine.to_dicts()
    if chosen is not None:
        rows = [chosen] + [r for r in rows if r["rule"] != chosen["rule"]]
    got = data.warning_detail(view.url, view.version, view.scope_region, record_type, record_id, view.as_of,
                              rows, account.can("see_persons"))
    wd.render(got, rows, may_take=handout.may_take(account, "warnings"))


def _board_config(df: pl.DataFrame) -> dict:
    return {
        "rank": st.column_config.NumberColumn(tr("board.rank"), format="%d", width="small"),
        "township": st.column_config.TextColumn(tr("warn.col.township")),
        "district": st.column_config.TextColumn(tr("warn.col.district")),
        "unit": st.column_config.TextColumn(tr("warn.col.unit")),
        "items": st.column_config.NumberColumn(tr("board.items"), format="localized"),
        "overdue": st.column_config.NumberColumn(tr("board.overdue"), format="localized"),
        "overdue_rate": st.column_config.NumberColumn(tr("board.overdue_rate"), format=fmt.PCT_PRINTF),
        "open_warnings": st.column_config.NumberColumn(tr("board.open_warnings"), format="localized"),
        "overdue_change": st.column_config.NumberColumn(tr("board.overdue_change"), format="%+d"),
        "warnings_change": st.column_config.NumberColumn(tr("board.warnings_change"), format="%+d"),
        "project": st.column_config.TextColumn(tr("warn.col.project"), width="large"),
        "completed": st.column_config.NumberColumn(tr("board.completed"), format="localized"),
        "completion_rate": st.column_config.ProgressColumn(tr("board.completion_rate"), format=fmt.PCT_PRINTF,
                                                           min_value=0, max_value=100),
        "avg_lag": st.column_config.NumberColumn(tr("board.avg_lag"), format="%.1f"),
        "lead_unit": st.column_config.TextColumn(tr("board.lead_unit")),
    }


def _board_rows(df: pl.DataFrame) -> pl.DataFrame:
    """A board as shown: rates × 100 for the one percentage format, empty text cells as "—"."""
    return fmt.blank_nulls(fmt.as_percent(df, ("overdue_rate", "completion_rate")))


def slow_boards(view: View) -> None:
    b = data.boards(view.url, view.version, view.region, view.fields, view.scope_region, view.as_of)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{tr('board.townships')}**")
        t = _board_rows(own_level_names(b["townships"], "township").select(
            "rank", "district", "township", "overdue", "overdue_rate", "open_warnings", "overdue_change",
            "warnings_change"))
        st.dataframe(t, hide_index=True, column_config=_board_config(t), key="board_townships", height=420)
    with right:
        st.markdown(f"**{tr('board.units')}**")
        u = _board_rows(b["units"].select("rank", "unit", "overdue", "overdue_rate", "open_warnings",
                                          "overdue_change"))
        st.dataframe(u, hide_index=True, column_config=_board_config(u), key="board_units", height=420)


def project_board(view: View) -> None:
    b = data.boards(view.url, view.version, view.region, view.fields, view.scope_region, view.as_of)
    p = _board_rows(b["projects"].select("project", "lead_unit", "items", "completed", "completion_rate",
                                         "overdue", "avg_lag"))
    if p.is_empty():
        st.info(tr("empty.period"))
        return
    st.dataframe(p, hide_index=True, column_config=_board_config(p), key="board_projects")
