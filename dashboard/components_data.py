"""数据管理: upload → check → preview → confirm, blank templates, and boundary import."""
from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import data, safe, templates
from dashboard.ui import tr
from queries import audit, geo, ingest, store
from queries.accounts import Account


def import_panel(url: str, account: Account) -> None:
    uploads = st.file_uploader(tr("data.upload"), type=["xlsx", "csv"], accept_multiple_files=True,
                               key="data_upload")
    if not uploads:
        return
    if len(uploads) == 1 and uploads[0].name.lower().endswith(".csv") and uploads[0].size > ingest.STREAM_THRESHOLD_BYTES:
        _import_large_csv(url, account, uploads[0])
        return
    files = [(u.name, u.getvalue()) for u in uploads]
    result = ingest.ingest(files, data.tables(url).regions)
    st.subheader(tr("data.preview"))
    names = ", ".join(n for n, _ in files)
    if not result.ok:
        st.error(tr("data.problems", n=len(result.problems)))
        st.dataframe(pl.DataFrame([{tr("data.col.sheet"): p.sheet, tr("data.col.row"): p.row,
                                    tr("data.col.column"): p.column, tr("data.col.value"): p.value,
                                    tr("data.col.problem"): p.message} for p in result.problems]),
                     hide_index=True, key="data_problems")
        if st.session_state.get("data_audited") != names:
            audit.record(store.engine_for(url), event="import", account=account.username, target=names,
                         outcome="failure", detail={"problems": len(result.problems)})
            st.session_state["data_audited"] = names
        return
    st.success(tr("data.ready"))
    st.dataframe(pl.DataFrame([{tr("data.col.sheet"): s, tr("data.col.table"): ingest.table_label(t),
                                tr("data.col.rows"): n} for s, t, n in result.sheets]),
                 hide_index=True, key="data_summary")
    for table, frame in result.frames.items():
        with st.expander(ingest.table_label(table)):
            st.dataframe(frame.head(20), hide_index=True, key=f"data_preview_{table}")
    if st.button(tr("data.confirm"), type="primary", key="data_confirm"):
        bar = st.progress(0.0, text=tr("data.writing"))
        counts = store.upsert(url, result.frames,
                              progress=lambda done, total: bar.progress(done / max(total, 1), text=tr("data.writing")))
        audit.record(store.engine_for(url), event="import", account=account.username, target=names,
                     outcome="success", rows=sum(counts.values()), detail=counts)
        st.success(tr("data.done", counts=" · ".join(f"{ingest.table_label(t)} {n:,}" for t, n in counts.items())))


def _import_large_csv(url: str, account: Account, upload) -> None:
    """A large CSV: checked and written in batches (memory bounded by the batch), with progress."""
    import tempfile
    from pathlib import Path

    tmp = Path(tempfile.mkdtemp(prefix="oversight-upload-")) / upload.name
    tmp.write_bytes(upload.getvalue())
    with st.spinner(tr("data.preview")):
        table, problems, batches = ingest.stream_csv(tmp, data.tables(url).regions)
    if problems:
        st.error(tr("data.problems", n=len(problems)))
        st.dataframe(pl.DataFrame([{tr("data.col.row"): p.row, tr("data.col.column"): p.column,
                                    tr("data.col.value"): p.value, tr("data.col.problem"): p.message} for p in problems]),
                     hide_index=True, key="data_problems")
        return
    st.success(tr("data.ready"))
    if st.button(tr("data.confirm"), type="primary", key="data_confirm"):
        bar = st.progress(0.0, text=tr("data.writing"))
        size = max(upload.size, 1)
        n = store.upsert_batches(url, table, batches(),
                                 progress=lambda done: bar.progress(min(1.0, done * 100 / size), text=f"{done:,}"))
        audit.record(store.engine_for(url), event="import", account=account.username, target=upload.name,
                     outcome="success", rows=n, detail={table: n})
        st.success(tr("data.done", counts=f"{ingest.table_label(table)} {n:,}"))


@st.cache_data(show_spinner=False)
def _template(table: str) -> bytes:
    """Built once per process: the templates never change while it runs."""
    return templates.template(table)


def template_panel() -> None:
    st.subheader(tr("data.templates"))
    row = st.container(horizontal=True)
    for table in ("cases", "complaints", "rectifications", "progress_updates", "regions"):
        label = ingest.table_label(table)
        row.download_button(tr("data.template", table=label), _template(table),
                            file_name=f"{label}台账模板.xlsx", key=f"data_template_{table}",
                            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def geo_panel(url: str, account: Account) -> None:
    up = st.file_uploader(tr("data.geo"), type=["geojson", "json"], key="data_geo")
    if not up:
        return
    check = geo.check_geojson(up.getvalue().decode("utf-8-sig", errors="replace"), data.tables(url).regions)
    for note in check.notes:
        st.info(safe.md(note))
    if check.errors:
        st.error(tr("data.problems", n=len(check.errors)))
        for e in check.errors:
            st.markdown(f"- {safe.md(e)}")
        return
    if st.button(tr("data.confirm"), key="data_geo_confirm"):
        store.save_boundaries(url, check.collection)
        audit.record(store.engine_for(url), event="import", account=account.username, target=up.name,
                     outcome="success", rows=len(check.collection["features"]), detail={"kind": "boundaries"})
        st.success(tr("data.geo_done", n=len(check.collection["features"])))
