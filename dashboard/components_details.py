"""Detail pages: search, column chooser, paging (only the current page goes to the browser),
row detail with history, and exports that ask for a purpose and are audited."""
from __future__ import annotations

import math
import threading
from datetime import datetime

import polars as pl
import streamlit as st

from dashboard import auth, components_warnings, data, export, fmt, handout
from dashboard.filterbar import View
from dashboard.ui import tr
from queries.accounts import Account
from queries.details import PATH
from queries.schema import polars_schema
from queries.ingest import table_label

RECORD_TYPE = {"cases": "case", "complaints": "complaint", "rectifications": "rectification"}
ID_COL = {"cases": "case_id", "complaints": "complaint_id", "rectifications": "item_id"}
PERSON_COLS = {"responsible_person"}
# The columns a reader looks for first, the ones a phone shows without scrolling first of all:
# the record's id (pinned while the table scrolls sideways), where it is, its dates or progress,
# then the village; the other chosen columns follow in ledger order. Only the table's order:
# exports keep the ledger's.
KEY_COLUMNS = {
    "cases": ("case_id", "district", "township", "filed_on", "closed_on", "field", "problem_type", "village"),
    "complaints": ("complaint_id", "district", "township", "received_on", "due_on", "closed_on",
                   "satisfaction", "village"),
    "rectifications": ("item_id", "district", "township", "progress_pct", "due_on", "completed_on",
                       "project", "village"),
}


def column_order(table: str, columns: list[str]) -> list[str]:
    """`columns` with the table's key columns (`KEY_COLUMNS`) first."""
    key = [c for c in KEY_COLUMNS[table] if c in columns]
    return key + [c for c in columns if c not in key]


def _config(table: str, columns: list[str]) -> dict:
    cfg = {}
    for c, text in zip(columns, export.headers(table, columns)):
        if c.endswith("_on"):
            cfg[c] = st.column_config.DateColumn(text, format="YYYY-MM-DD")
        elif c == "progress_pct":
            cfg[c] = st.column_config.ProgressColumn(text, format=fmt.PCT_PRINTF, min_value=0, max_value=100)
        elif c in export.MONEY:
            cfg[c] = st.column_config.NumberColumn(text, format="%.2f 万元")
        else:
            cfg[c] = st.column_config.Column(text, pinned=True if c == ID_COL[table] else None)
    return cfg


def _due_filter(table: str) -> str:
    """整改事项 only: 全部 / 逾期 / 临期, the tests of warnings R1 / R2 (queries.warnings), so staff
    need not go through 预警 → R1 to list what is overdue."""
    if table != "rectifications":
        return ""
    days = data.warning_config().r2_days
    labels = {"": tr("details.due.all"), "overdue": tr("details.due.overdue"),
              "due_soon": tr("details.due.due_soon", days=days)}
    return st.segmented_control(tr("details.due"), tuple(labels), default="", required=True,
                                key=f"{table}_due", format_func=labels.get) or ""


def detail_page(view: View, table: str) -> None:
    account: Account = st.session_state["account"]
    c1, c2 = st.columns([3, 1])
    search = c1.text_input(tr("details.search"), key=f"{table}_search")
    open_only = c2.toggle(tr("details.open_only"), key=f"{table}_open_only")
    due = _due_filter(table)
    index = data.detail_index(*view.args(), table, search, open_only, due)
    all_cols = [*PATH, *(c for c in polars_schema(table)
                         if account.can("see_persons") or c not in PERSON_COLS)]
    labels = dict(zip(all_cols, export.headers(table, all_cols)))
    with st.popover(tr("details.columns"), icon=":material/view_column:"):
        shown = st.multiselect(tr("details.columns"), all_cols, default=all_cols, key=f"{table}_columns",
                               format_func=lambda c: labels.get(c, c), label_visibility="collapsed")
    if index.is_empty():
        st.info(f"{tr('empty.period')}。{tr('empty.hint')}")
        return
    p1, p2, p3 = st.columns([1, 1, 3])
    size = p1.selectbox(tr("details.page_size"), (50, 100, 500), key=f"{table}_page_size")
    pages = max(1, math.ceil(index.len() / size))
    page = int(p2.number_input(tr("details.page"), min_value=1, max_value=pages, value=1, step=1,
                               key=f"{table}_page"))
    p3.caption(tr("details.count", n=f"{index.len():,}", page=page, pages=pages))
    cols = [c for c in all_cols if c in shown] or [ID_COL[table]]
    page_rows = data.detail_rows(view.url, view.version, table, index.slice((page - 1) * size, size))
    view_rows = fmt.blank_nulls(page_rows.select(cols))  # no "None" in an empty cell
    event = st.dataframe(view_rows, hide_index=True, column_config=_config(table, cols),
                         column_order=column_order(table, cols), key=f"{table}_table", on_select="rerun", selection_mode="single-row", height=460)
    picked = event.selection.rows if event is not None else []
    if picked:
        record_id = page_rows[ID_COL[table]][picked[0]]
        components_warnings.detail(view, RECORD_TYPE[table], record_id)
    else:
        st.caption(tr("details.select_hint"))
    if handout.may_take(account, "details"):
        export_panel(view, account, table, index, cols, search, open_only, due)


def export_panel(view: View, account: Account, table: str, index: pl.Series, cols: list[str], search: str,
                 open_only: bool, due: str = "") -> None:
    """Exports are built only on request (large tables), after a purpose is given; each
    download is a door of dashboard/handout.py (audited when clicked, then handed out)."""
    st.subheader(tr("details.export_header"))
    purpose = st.text_input(tr("details.purpose"), key=f"{table}_purpose")
    if st.button(tr("details.prepare"), key=f"{table}_prepare", icon=":material/description:"):
        if not purpose.strip():
            st.warning(tr("details.need_purpose"))
        else:
            frame = data.detail_rows(view.url, view.version, table, index).select(cols)
            stamp = f"{account.display_name}（{account.username}） {datetime.now():%Y-%m-%d %H:%M}"
            notes = [("台账", lh_table_label(table)), ("统计期间", f"{view.start} 至 {view.end}"),
                     ("区域", view.region_name), ("管辖范围", view.scope_region or "全部"),
                     ("领域", "、".join(view.fields) or "全部"), ("搜索", search or "—"),
                     ("仅未办结", "是" if open_only else "否"),
                     *([("到期情况", {"overdue": "逾期", "due_soon": "临期"}[due])] if due else []),
                     ("截至日期", view.as_of.isoformat()),
                     ("导出事由", purpose.strip()), ("导出时间", f"{datetime.now():%Y-%m-%d %H:%M:%S}"),
                     ("导出账户", f"{account.display_name}（{account.username}）"), ("行数", f"{frame.height:,}")]
            st.session_state[f"{table}_export"] = _start_job(frame, table, notes, stamp, {
                "rows": frame.height, "purpose": purpose.strip(),
                "filters": {"start": view.start.isoformat(), "end": view.end.isoformat(), "region": view.region,
                            "fields": list(view.fields), "search": search, "open_only": open_only,
                            **({"due": due} if due else {})}})
    _export_status(view, account, table)


def _start_job(frame: pl.DataFrame, table: str, notes: list, stamp: str, meta: dict) -> dict:
    """Build the files in a worker thread so a 100,000-row Excel (≈15 s) never blocks the page;
    the worker touches only this dict, never Streamlit."""
    job = {**meta, "done": 0, "xlsx": None, "csv": None, "error": None}

    def work() -> None:
        try:
            job["csv"] = export.to_csv(frame, table)
            job["xlsx"] = export.to_xlsx(frame, table, notes, stamp, progress=lambda n: job.update(done=n))
        except Exception as exc:  # noqa: BLE001 - shown to the user instead of dying silently
            job["error"] = str(exc)

    threading.Thread(target=work, daemon=True).start()
    return job


def _export_status(view: View, account: Account, table: str) -> None:
    """The prepared files' doors once the job is done; until then a fragment that polls it.
    The doors are drawn by the page run, not the polling fragment, so a button is not
    redrawn (and its click target replaced) every second."""
    ready = st.session_state.get(f"{table}_export")
    if not ready:
        return
    if ready["error"]:
        st.error(ready["error"])
        return
    if ready["xlsx"] is None:
        _export_progress(table)
        return
    detail = {"purpose": ready["purpose"], "filters": ready["filters"]}
    c1, c2 = st.columns(2)
    stem = f"{lh_table_label(table)}_{view.as_of:%Y%m%d}"
    for col, kind, label, mime in ((c1, "xlsx", "details.download_xlsx",
                                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                                  (c2, "csv", "details.download_csv", "text/csv")):
        handout.door(tr(label), key=f"{table}_dl_{kind}", door="details", url=view.url, account=account,
                     target=table, rows=ready["rows"], detail={"format": kind, **detail},
                     build=lambda kind=kind: ready[kind], file_name=f"{stem}.{kind}", mime=mime, purpose=None,
                     container=col)


@auth.fragment(run_every=1.0)
def _export_progress(table: str) -> None:
    """Polls the export job once a second; when it is done, the page redraws with the doors."""
    ready = st.session_state.get(f"{table}_export")
    if ready and (ready["error"] or ready["xlsx"] is not None):
        st.rerun(scope="app")
    if ready:
        st.progress(min(1.0, ready["done"] / max(ready["rows"], 1)), text=tr("details.preparing"))


def lh_table_label(table: str) -> str:
    return table_label(table)

