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
from queries import details
from queries import ledger_headers as lh
from queries.accounts import Account
from queries.details import PATH
from queries.filters import Scope
from queries.metrics import DISPOSITION_KEYS
from queries.schema import DISPOSITIONS, polars_schema
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


def _disposition_filter(table: str) -> tuple[str, ...]:
    """信访举报 only: the 处置方式 kept ("" for not yet disposed); none chosen keeps all."""
    if table != "complaints":
        return ()
    labels = {**{w: tr(f"metric.{DISPOSITION_KEYS[w]}") for w in DISPOSITIONS}, "": tr("details.disposition.none")}
    left, _ = st.columns([2, 1])
    return tuple(left.multiselect(tr("details.disposition"), tuple(labels), key=f"{table}_disposition",
                                  format_func=labels.get, placeholder=tr("details.disposition.all")))


def detail_page(view: View, table: str) -> None:
    account: Account = st.session_state["account"]
    c1, c2 = st.columns([3, 1])
    search = c1.text_input(tr("details.search"), key=f"{table}_search")
    open_only = c2.toggle(tr("details.open_only"), key=f"{table}_open_only")
    due = _due_filter(table)
    disposed = _disposition_filter(table)
    index = data.detail_index(*view.args(), table, search, open_only, due)
    if disposed:
        index = details.with_disposition(data.tables_at(view.url, view.version), index, disposed)
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
        if table == "cases" and account.can("see_persons"):
            case_links(view, record_id, page_rows["persons"][picked[0]])
    else:
        st.caption(tr("details.select_hint"))
    if handout.may_take(account, "details"):
        export_panel(view, account, table, index, cols, search, open_only, due, disposed)


# The persons columns the case panel shows: the case, its region and the stored region are the
# selected case's, so left out; the 四种形态 last.
PANEL_PERSON_COLS = [c for c in details.PERSON_COLUMNS if c not in ("case_id", "region_code")]
PANEL_EVENT_COLS = ["event_id", "link", "held_on", "times"]


def _panel_config(columns: list[str]) -> dict:
    """Labels of the case panel's tables in the page's language (in 中文 the ledger headers)."""
    cfg = {}
    for c in columns:
        label = tr(f"details.col.{c}")
        if c == "held_on":
            cfg[c] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        elif c == "times":
            cfg[c] = st.column_config.NumberColumn(label, format="%d")
        elif polars_schema("persons").get(c) == pl.Boolean:
            cfg[c] = st.column_config.CheckboxColumn(label)
        else:
            cfg[c] = st.column_config.Column(label)
    return cfg


def case_links(view: View, case_id: str, stated_persons: int | None) -> None:
    """The selected case's persons (pseudonymous: no name, no ID number) and link events, inside
    the account's jurisdiction (queries.details.case_persons / case_events). A blank date reads
    同本案 (the case's), a blank yes/no 否, as an import reads them."""
    tables = data.tables_at(view.url, view.version)
    scope = Scope(view.scope_region)
    persons = details.case_persons(tables, [case_id], scope)
    st.markdown(f"**{tr('details.persons', n=persons.height)}**")
    if persons.is_empty():
        st.caption(tr("details.persons_none", n=stated_persons if stated_persons is not None else 1))
    else:
        forms = {w: tr(f"metric.form{i}_persons") for i, w in details.FORM_WORDS.items()}
        shown = persons.select(PANEL_PERSON_COLS)
        shown = fmt.blank_nulls(shown.with_columns(
            pl.col(lh.STATED_FORM).replace_strict(forms, default=None, return_dtype=pl.String),
            *[pl.col(c).dt.strftime("%Y-%m-%d").fill_null(tr("details.as_case")) for c in ("filed_on", "decided_on")],
            *[pl.col(c).fill_null(False) for c, t in shown.schema.items() if t == pl.Boolean]))
        st.dataframe(shown, hide_index=True, column_config=_panel_config(PANEL_PERSON_COLS),
                     key="cases_persons_table")
        st.caption(tr("details.persons_note"))
    events = details.case_events(tables, [case_id], scope)
    st.markdown(f"**{tr('details.events', n=events.height)}**")
    if events.is_empty():
        st.caption(tr("details.events_none"))
    else:
        shown = fmt.blank_nulls(events.select(PANEL_EVENT_COLS).with_columns(pl.col("times").fill_null(1)))
        st.dataframe(shown, hide_index=True, column_config=_panel_config(PANEL_EVENT_COLS),
                     key="cases_events_table")


def _export_choice(account: Account, table: str) -> str:
    """On the 案件 page: the cases, or the persons or link events of the cases listed."""
    if table != "cases" or not account.can("see_persons"):
        return table
    labels = {t: tr(f"details.export_what.{t}") for t in ("cases", "persons", "link_events")}
    return st.segmented_control(tr("details.export_what"), tuple(labels), default="cases", required=True,
                                key=f"{table}_export_what", format_func=labels.get) or table


def _export_frame(view: View, table: str, what: str, index: pl.Series, cols: list[str]) -> pl.DataFrame:
    if what == table:
        return data.detail_rows(view.url, view.version, table, index).select(cols)
    tables = data.tables_at(view.url, view.version)
    case_ids = tables.cases["case_id"].gather(index)
    pick = details.case_persons if what == "persons" else details.case_events
    return pick(tables, case_ids, Scope(view.scope_region))


def export_panel(view: View, account: Account, table: str, index: pl.Series, cols: list[str], search: str,
                 open_only: bool, due: str = "", disposed: tuple[str, ...] = ()) -> None:
    """Exports are built only on request (large tables), after a purpose is given; each
    download is a door of dashboard/handout.py (audited when clicked, then handed out). The 案件
    page also exports the persons or the link events of the cases it lists, in their ledger
    sheets (an exported sheet imports back unchanged)."""
    st.subheader(tr("details.export_header"))
    what = _export_choice(account, table)
    purpose = st.text_input(tr("details.purpose"), key=f"{table}_purpose")
    if st.button(tr("details.prepare"), key=f"{table}_prepare", icon=":material/description:"):
        if not purpose.strip():
            st.warning(tr("details.need_purpose"))
        else:
            frame = _export_frame(view, table, what, index, cols)
            stamp = f"{account.display_name}（{account.username}） {datetime.now():%Y-%m-%d %H:%M}"
            notes = [("台账", lh_table_label(what)),
                     *([("范围", f"所列{lh_table_label(table)}（{index.len():,} 件）的{lh_table_label(what)}")]
                       if what != table else []),
                     ("统计期间", f"{view.start} 至 {view.end}"),
                     ("区域", view.region_name), ("管辖范围", view.scope_region or "全部"),
                     ("领域", "、".join(view.fields) or "全部"), ("搜索", search or "—"),
                     ("仅未办结", "是" if open_only else "否"),
                     *([("到期情况", {"overdue": "逾期", "due_soon": "临期"}[due])] if due else []),
                     *([("处置方式", "、".join(d or "未处置" for d in disposed))] if disposed else []),
                     ("截至日期", view.as_of.isoformat()),
                     ("导出事由", purpose.strip()), ("导出时间", f"{datetime.now():%Y-%m-%d %H:%M:%S}"),
                     ("导出账户", f"{account.display_name}（{account.username}）"), ("行数", f"{frame.height:,}")]
            st.session_state[f"{table}_export"] = _start_job(frame, what, notes, stamp, {
                "table": what, "rows": frame.height, "purpose": purpose.strip(),
                "filters": {"start": view.start.isoformat(), "end": view.end.isoformat(), "region": view.region,
                            "fields": list(view.fields), "search": search, "open_only": open_only,
                            **({"due": due} if due else {}), **({"disposition": list(disposed)} if disposed else {}),
                            **({"of": table} if what != table else {})}})
    _export_status(view, account, table, what)


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


def _export_status(view: View, account: Account, table: str, what: str | None = None) -> None:
    """The prepared files' doors once the job is done; until then a fragment that polls it.
    The doors are drawn by the page run, not the polling fragment, so a button is not
    redrawn (and its click target replaced) every second. Files prepared for another choice
    of `what` are not offered under this one."""
    ready = st.session_state.get(f"{table}_export")
    if not ready or ready.get("table", table) != (what or table):
        return
    what = ready.get("table", table)
    if ready["error"]:
        st.error(ready["error"])
        return
    if ready["xlsx"] is None:
        _export_progress(table)
        return
    detail = {"purpose": ready["purpose"], "filters": ready["filters"]}
    c1, c2 = st.columns(2)
    stem = f"{lh_table_label(what)}_{view.as_of:%Y%m%d}"
    for col, kind, label, mime in ((c1, "xlsx", "details.download_xlsx",
                                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                                  (c2, "csv", "details.download_csv", "text/csv")):
        handout.door(tr(label), key=f"{what}_dl_{kind}", door="details", url=view.url, account=account,
                     target=what, rows=ready["rows"], detail={"format": kind, **detail},
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

