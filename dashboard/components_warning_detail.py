"""A warning's detail as a cadre acts on it: what is late, by how much, by which rule, who is
responsible, what happened so far, what it is related to, and the next step (加入督办单).

The data comes assembled from queries/warning_detail.py; here it is only put into words
(dashboard/i18n.py) and drawn. Every ledger value goes through safe.md or into a table cell."""
from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboard import charts, fmt, safe
from dashboard.i18n import reason
from dashboard.ui import lang, tr

LEVEL_MD = {"红": "red", "橙": "orange", "黄": "yellow"}
SHEET = "warn_sheet"  # session state: the 督办单 being put together, {key: warning row}
MONEY = {"amount_involved", "amount_recovered", "funds_recovered"}
TABLE = {"rectification": "rectifications", "complaint": "complaints", "case": "cases"}


# --- the 督办单 being put together --------------------------------------------------------------

def sheet_key(row: dict) -> str:
    return f"{row['rule']}|{row['record_type']}|{row['record_id']}"


def sheet() -> dict[str, dict]:
    return st.session_state.setdefault(SHEET, {})


def sheet_rows(schema: pl.Schema) -> pl.DataFrame:
    """The warnings added to the 督办单, in the order they were added, as warning rows."""
    rows = list(sheet().values())
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _add(row: dict) -> None:
    sheet()[sheet_key(row)] = row


def _remove(key: str) -> None:
    sheet().pop(key, None)


def clear_sheet() -> None:
    st.session_state[SHEET] = {}


# --- values in words ---------------------------------------------------------------------------

def value_text(col: str, value: object) -> str:
    """A ledger value as the detail shows it: blank as "—", never "None"; yes / no in words;
    dates as YYYY-MM-DD; progress in %; money in 万元."""
    if value is None:
        return fmt.BLANK
    if isinstance(value, bool):
        return tr("wd.yes") if value else tr("wd.no")
    if isinstance(value, date):
        return value.isoformat()
    if col == "progress_pct":
        return f"{value:.0f}%"
    if col in MONEY:
        return fmt.money_wan(float(value), lang())
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _field_label(record_type: str, col: str) -> str:
    return tr(f"wd.field.{TABLE[record_type]}.{col}")


def _event_label(event: str) -> str:
    return tr(f"wd.link.{event[5:]}") if event.startswith("link:") else tr(f"wd.event.{event}")


def _event_detail(e: dict) -> str:
    parts = []
    if e["event"] == "report" and e["value"] is not None:
        parts.append(tr("wd.report_value", pct=f"{e['value']:.0f}"))
    elif e["event"].startswith("link:") and e["value"] is not None:
        parts.append(tr("wd.times", n=e["value"]))
    elif e["value"] is not None:
        parts.append(str(e["value"]))
    if e["note"]:
        parts.append(str(e["note"]))
    return tr("wd.join").join(parts) or fmt.BLANK


def _table(rows: list[tuple[str, ...]], headers: tuple[str, ...], key: str) -> None:
    """Rows of text as a table headed by `headers` (every cell text: no markup, no "None")."""
    frame = pl.DataFrame([list(r) for r in rows], schema={h: pl.String for h in headers}, orient="row")
    st.dataframe(fmt.blank_nulls(frame), hide_index=True, key=key)


# --- the detail --------------------------------------------------------------------------------

def render(got: dict, warnings: list[dict], *, may_take: bool, key: str = "warn_detail") -> None:
    """`got` from queries.warning_detail.build; `warnings` the warning rows it was built for
    (the chosen one first), which the 加入督办单 button adds."""
    record_type, record_id = got["record_type"], got["record_id"]
    st.subheader(f"{tr('detail.title')} · {safe.md(record_id)}")
    if not got["found"]:
        st.warning(tr("detail.not_found"))
        return
    if got["rules"]:
        _summary(got)
        _next_step(got, warnings, may_take, key)
    else:
        _responsibility(got)
    if record_type == "village":  # a C3 hot spot: its repeat complaints are its history
        st.markdown(f"**{tr('wd.related.repeat')}**")
        _related_table("complaint", got["related"]["complaint"], f"{key}_repeat")
        return
    history, record, related = st.tabs([tr("wd.history"), tr("wd.record"), tr("wd.related")])
    with history:
        _history(got, key)
    with record:
        _table([(_field_label(record_type, c), value_text(c, v)) for c, v in got["fields"]],
               (tr("wd.col.field"), tr("wd.col.value")), f"{key}_record")
    with related:
        _related(got, key)


def _summary(got: dict) -> None:
    first, others = got["rules"][0], got["rules"][1:]
    with st.container(border=True):
        level, rule = first["level"], first["rule"]
        st.markdown(f":{LEVEL_MD[level]}-badge[{tr('warn.level.' + level)}] **{tr('rule.' + rule)}** · "
                    f"{tr('record.' + got['record_type'])}")
        st.markdown(f"{tr('wd.rule_text')}{tr('wd.sep')}{tr('wd.rule.' + rule, **first['params'])}")
        if got["subject"]:
            st.markdown(" · ".join(f"{_field_label(got['record_type'], c)}{tr('wd.sep')}{safe.md(v)}"
                                   for c, v in got["subject"]))
        if first["reason"]:
            st.markdown(f"{tr('wd.reason')}{tr('wd.sep')}{safe.md(reason(first['reason'], lang()))}")
        c1, c2, c3, c4 = st.columns(4)
        if got["record_type"] == "village":
            c1.metric(tr("wd.repeats"), fmt.count(first["days"], tr("unit.count"), lang()))
            with c2:
                st.caption(tr("wd.region"))
                st.markdown(f"**{_path_text(got['region'])}**")
            return
        c1.metric(tr("wd.due_on"), got["due_on"].isoformat() if got["due_on"] else fmt.BLANK)
        if got["days_overdue"] is not None:
            c2.metric(tr("wd.days_overdue"), tr("wd.days", n=f"{got['days_overdue']:,}"))
        elif got["days_left"] is not None:
            c2.metric(tr("wd.days_left"), tr("wd.days", n=f"{got['days_left']:,}"))
        else:
            c2.metric(tr("wd.days_overdue"), tr("wd.done") if got["done"] else fmt.BLANK)
        if got["record_type"] in ("rectification", "case"):
            who = [(c3, "wd.unit", got["unit"])]
            if got["record_type"] == "rectification":  # a case ledger names no person (docs/data-model.md)
                who.append((c4, "wd.person", got["person"]))
            for col, label, value in who:
                with col:
                    st.caption(tr(label))
                    st.markdown(f"**{safe.md(value or fmt.BLANK)}**")
            st.markdown(f"{tr('wd.region')}{tr('wd.sep')}{_path_text(got['region'])}")
        else:  # a complaint names no unit: where it is, in the unit's place
            with c3:
                st.caption(tr("wd.region"))
                st.markdown(f"**{_path_text(got['region'])}**")
        if others:
            st.caption(f"{tr('wd.also')}{tr('wd.sep')}" + "、".join(tr(f"rule.{r['rule']}") for r in others))


def _responsibility(got: dict) -> None:
    """A record without a warning (a detail table's row): who is responsible, and where."""
    parts = []
    if got["record_type"] in ("rectification", "case"):
        parts.append(f"{tr('wd.unit')}{tr('wd.sep')}**{safe.md(got['unit'] or fmt.BLANK)}**")
    if got["record_type"] == "rectification":
        parts.append(f"{tr('wd.person')}{tr('wd.sep')}**{safe.md(got['person'] or fmt.BLANK)}**")
    parts.append(f"{tr('wd.region')}{tr('wd.sep')}{_path_text(got['region'])}")
    st.markdown("　".join(parts))


def _path_text(region: dict) -> str:
    names = [region[c] for c in ("district", "township", "village") if region.get(c)]
    return safe.md(" / ".join(names)) if names else fmt.BLANK


def _next_step(got: dict, warnings: list[dict], may_take: bool, key: str) -> None:
    first = got["rules"][0]
    with st.container(border=True):
        st.markdown(f"**{tr('wd.next')}**{tr('wd.sep')}{tr('wd.next.' + first['rule'])}")
        if not may_take:
            st.caption(tr("wd.no_export"))
            return
        row = warnings[0]
        k = sheet_key(row)
        if k in sheet():
            st.button(tr("wd.remove"), key=f"{key}_remove", icon=":material/playlist_remove:",
                      on_click=_remove, args=(k,))
            st.caption(tr("wd.in_sheet", n=len(sheet())))
        else:
            st.button(tr("wd.add"), key=f"{key}_add", icon=":material/playlist_add:", type="primary",
                      on_click=_add, args=(row,))


def _history(got: dict, key: str) -> None:
    history = got["history"]
    if got["record_type"] == "rectification":
        reports = [e for e in history if e["event"] == "report"]
        if reports:
            started = dict(got["fields"]).get("started_on")
            updates = pl.DataFrame({"reported_on": [e["on"] for e in reports],
                                    "progress_pct": [e["value"] for e in reports]})
            fig = charts.progress_history(updates, started, dict(got["fields"]).get("due_on"),
                                          tr("detail.plan"), tr("detail.actual"), tr("detail.progress_axis"))
            st.plotly_chart(fig, key=f"{key}_progress", config={"displaylogo": False})
    if history:
        _table([(e["on"].isoformat(), _event_label(e["event"]), _event_detail(e)) for e in history],
               (tr("wd.col.on"), tr("wd.col.event"), tr("wd.col.detail")), f"{key}_history")
    else:
        st.caption(tr("wd.no_history"))
    if got["links"]:
        st.markdown(f"**{tr('wd.links')}**")
        _table([(tr(f"wd.link.{link['link']}"), link["on"].isoformat() if link["on"] else fmt.BLANK,
                 tr("wd.link_done") if link["on"] else tr("wd.link_missing"), f"{link['times']:,}")
                for link in got["links"]],
               (tr("wd.col.link"), tr("wd.col.on"), tr("wd.col.status"), tr("wd.col.events")), f"{key}_links")


def _related(got: dict, key: str) -> None:
    related = got["related"]
    shown = False
    for kind in ("case", "complaint", "rectification"):
        if related[kind]:
            st.markdown(f"**{tr(f'wd.related.{kind}')}**")
            _related_table(kind, related[kind], f"{key}_related_{kind}")
            shown = True
    if related["hidden"]:
        st.caption(tr("wd.related_hidden", n=related["hidden"]))
    if shown:
        st.caption(tr("wd.related_hint"))
    elif not related["hidden"]:
        st.caption(tr("wd.no_related"))


def _related_table(kind: str, rows: list[dict], key: str) -> None:
    if not rows:
        st.caption(tr("wd.no_related"))
        return
    cols = list(rows[0])
    _table([tuple(value_text(c, r[c]) for c in cols) for r in rows], tuple(_field_label(kind, c) for c in cols), key)
