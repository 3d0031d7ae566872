"""数据管理: upload → check → preview → confirm, blank templates, and boundary import."""
from __future__ import annotations

from datetime import date

import polars as pl
import sqlalchemy as sa
import streamlit as st

from dashboard import data, safe, templates
from dashboard.ui import tr
from queries import audit, geo, ingest, jurisdiction, store
from queries.accounts import Account
from queries.filters import Scope


def _refused_write(url: str, account: Account, target: str, exc: Exception) -> bool:
    """Show a read-only or full store as its one line (nothing was written: one transaction)
    and audit the failed attempt if the store still takes that row; True when shown, False for
    an error that is not the storage's (raised on)."""
    message = str(exc) if isinstance(exc, store.StoreError) else store.storage_problem(exc)
    if message is None:
        return False
    st.error(message)
    _audit(url, event="import", account=account.username, target=target, outcome="failure",
           detail={"error": message})
    return True


def _audit(url: str, **row) -> None:
    """An audit row, unless the store cannot take one (read-only, full: then nothing else was
    written either, and the user has already been told)."""
    try:
        audit.record(store.engine_for(url), **row)
    except (sa.exc.DBAPIError, OSError) as exc:
        if store.storage_problem(exc) is None:
            raise


def _problem_table(problems: list[ingest.Problem], with_sheet: bool = True) -> pl.DataFrame:
    return pl.DataFrame([{**({tr("data.col.sheet"): p.sheet} if with_sheet else {}), tr("data.col.row"): p.row,
                          tr("data.col.column"): p.column, tr("data.col.value"): p.value,
                          tr("data.col.problem"): p.message} for p in problems],
                        schema={**({tr("data.col.sheet"): pl.String} if with_sheet else {}),
                                tr("data.col.row"): pl.Int64, tr("data.col.column"): pl.String,
                                tr("data.col.value"): pl.String, tr("data.col.problem"): pl.String})


def import_panel(url: str, account: Account) -> None:
    uploads = st.file_uploader(tr("data.upload"), type=["xlsx", "csv"], accept_multiple_files=True,
                               key="data_upload")
    if not uploads:
        return
    if len(uploads) == 1 and uploads[0].name.lower().endswith(".csv") and uploads[0].size > ingest.STREAM_THRESHOLD_BYTES:
        _import_large_csv(url, account, uploads[0])
        return
    files = [(u.name, u.getvalue()) for u in uploads]
    tables = data.tables(url)
    result = ingest.ingest(files, tables.regions, today=date.today())
    # Jurisdiction: an account writes only inside its region (the CLI, an operator's tool, is unscoped).
    result.problems += jurisdiction.check(result, tables.as_dict(), Scope(account.region_code))
    st.subheader(tr("data.preview"))
    for note in result.notes:
        st.text(note)  # a sheet name is the user's text: never markdown
    names = ", ".join(n for n, _ in files)
    if not result.ok:
        st.error(tr("data.problems", n=len(result.problems)))
        st.dataframe(_problem_table(result.problems), hide_index=True, key="data_problems")
        if st.session_state.get("data_audited") != names:
            _audit(url, event="import", account=account.username, target=names,
                   outcome="failure", detail={"problems": len(result.problems)})
            st.session_state["data_audited"] = names
        return
    st.success(tr("data.ready"))
    result = ingest.carry_link_dates(result, tables.cases)
    st.dataframe(pl.DataFrame([{tr("data.col.sheet"): s, tr("data.col.table"): ingest.table_label(t),
                                tr("data.col.rows"): n} for s, t, n in result.sheets]),
                 hide_index=True, key="data_summary")
    for table, frame in result.frames.items():
        with st.expander(ingest.table_label(table)):
            st.dataframe(frame.head(20), hide_index=True, key=f"data_preview_{table}")
    if st.button(tr("data.confirm"), type="primary", key="data_confirm"):
        bar = st.progress(0.0, text=tr("data.writing"))
        try:
            counts = store.upsert(url, result.writes(), progress=lambda done, total: bar.progress(
                done / max(total, 1), text=tr("data.writing")))
        except (store.StoreError, sa.exc.DBAPIError, OSError) as exc:
            bar.empty()
            if not _refused_write(url, account, names, exc):
                raise
            return
        _audit(url, event="import", account=account.username, target=names,
               outcome="success", rows=sum(counts.values()), detail=counts)
        st.success(tr("data.done", counts=" · ".join(f"{ingest.table_label(t)} {n:,}" for t, n in counts.items())))


def _import_large_csv(url: str, account: Account, upload) -> None:
    """A large CSV: checked and written in batches (memory bounded by the batch), with progress."""
    import tempfile
    from pathlib import Path

    tmp = Path(tempfile.mkdtemp(prefix="oversight-upload-")) / upload.name
    tmp.write_bytes(upload.getvalue())
    tables = data.tables(url)
    in_jurisdiction = jurisdiction.batch_checker(tables.as_dict(), Scope(account.region_code))
    with st.spinner(tr("data.preview")):
        table, problems, batches = ingest.stream_csv(tmp, tables.regions, today=date.today(),
                                                     check_batch=in_jurisdiction)
    if problems:
        st.error(tr("data.problems", n=len(problems)))
        st.dataframe(_problem_table(problems, with_sheet=False), hide_index=True, key="data_problems")
        return
    st.success(tr("data.ready"))
    if st.button(tr("data.confirm"), type="primary", key="data_confirm"):
        bar = st.progress(0.0, text=tr("data.writing"))
        size = max(upload.size, 1)
        try:
            n = store.upsert_batches(url, table, batches(), progress=lambda done: bar.progress(
                min(1.0, done * 100 / size), text=f"{done:,}"))
        except (store.StoreError, sa.exc.DBAPIError, OSError) as exc:
            bar.empty()
            if not _refused_write(url, account, upload.name, exc):
                raise
            return
        _audit(url, event="import", account=account.username, target=upload.name,
               outcome="success", rows=n, detail={table: n})
        st.success(tr("data.done", counts=f"{ingest.table_label(table)} {n:,}"))


@st.cache_data(show_spinner=False)
def _template(table: str) -> bytes:
    """Built once per process: the templates never change while it runs."""
    return templates.template(table)


def template_panel() -> None:
    st.subheader(tr("data.templates"))
    row = st.container(horizontal=True)
    for table in ("cases", "complaints", "rectifications", "progress_updates", "persons", "link_events", "regions"):
        label = ingest.table_label(table)
        row.download_button(tr("data.template", table=label), _template(table),
                            file_name=f"{label}台账模板.xlsx", key=f"data_template_{table}",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def geo_panel(url: str, account: Account) -> None:
    """Boundaries shape every account's map: replaced only by a city-wide account."""
    if not jurisdiction.may_change_regions(Scope(account.region_code)):
        st.subheader(tr("data.geo"))
        st.caption(tr("data.geo_city_only"))
        return
    up = st.file_uploader(tr("data.geo"), type=["geojson", "json"], key="data_geo")
    c1, c2 = st.columns(2)
    crs = c1.selectbox(tr("data.geo_crs"), geo.CRS_CHOICES, key="data_geo_crs",
                       format_func=lambda k: tr(f"data.geo_crs.{k}"))
    code_property = c2.text_input(tr("data.geo_code_property"), key="data_geo_code_property",
                                  placeholder="code / adcode").strip() or None
    if not up:
        return
    too_big = geo.size_error(up.size, up.name)
    if too_big:
        st.error(too_big)
        return
    regions = data.tables(url).regions
    check = geo.check_files([(up.name, up.getvalue())], regions, code_property=code_property, crs=crs)
    for note in check.notes:
        st.info(safe.md(note))
    if check.errors:
        st.error(tr("data.problems", n=len(check.errors)))
        for e in check.errors:
            st.markdown(f"- {safe.md(e)}")
        return
    if st.button(tr("data.confirm"), key="data_geo_confirm"):
        try:
            diff = store.save_boundaries(url, check.collection)
        except (store.StoreError, sa.exc.DBAPIError, OSError) as exc:
            if not _refused_write(url, account, up.name, exc):
                raise
            return
        _audit(url, event="import", account=account.username, target=up.name,
               outcome="success", rows=len(check.collection["features"]),
               detail={"kind": "boundaries", "crs": crs, **{k: len(v) for k, v in diff.items()}})
        st.success(tr("data.geo_done", n=len(check.collection["features"]), diff=geo.diff_report(diff)))
        missing = geo.missing_report(regions, {f["properties"]["code"] for f in store.load_boundaries(url)["features"]})
        if missing:
            st.caption(missing)
