"""The system administrator's accounts page and the audit administrator's log page.

Every account change is audited; the audit page reads the log and can export it, and nothing
here (or anywhere in the app) can change or delete a log row."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

import polars as pl
import pyotp
import streamlit as st

from dashboard.ui import tr
from queries import accounts, audit, store
from queries.accounts import Account, AccountError


def _audit(url: str, who: Account, target: str, detail: dict, outcome: str = "success") -> None:
    audit.record(store.engine_for(url), event="account", account=who.username, target=target,
                 detail=detail, outcome=outcome)


def _region_options(regions: pl.DataFrame) -> list[str | None]:
    """Jurisdictions an account can carry: the whole store, a district or a township."""
    return [None, *regions.filter(pl.col("level").is_in(["district", "township"])).sort("code")["code"].to_list()]


def accounts_page(url: str, regions: pl.DataFrame, me: Account) -> None:
    engine = store.engine_for(url)
    names = dict(zip(regions["code"], regions["name"]))
    region_label = lambda c: tr("auth.whole_city") if c is None else f"{names.get(c, c)}（{c}）"  # noqa: E731
    rows = accounts.list_all(engine)
    st.subheader(tr("acct.list"))
    table = pl.DataFrame(rows).with_columns(
        pl.col("role").replace_strict({r: tr(f"role.{r}") for r in accounts.ROLES}),
        pl.col("region_code").map_elements(region_label, return_dtype=pl.String, skip_nulls=False)) if rows else pl.DataFrame()
    st.dataframe(table, hide_index=True, key="acct_table", column_config={
        "username": tr("auth.username"), "display_name": tr("acct.display_name"), "role": tr("acct.role"),
        "region_code": tr("acct.region"), "disabled": tr("acct.col.disabled"), "demo": tr("acct.col.demo"),
        "failed_count": None, "locked_until": tr("acct.col.locked_until"), "totp_enabled": tr("acct.col.totp")})

    left, right = st.columns(2)
    with left, st.form("acct_create", border=True):
        st.markdown(f"**{tr('acct.create')}**")
        username = st.text_input(tr("auth.username"), key="acct_new_user")
        display = st.text_input(tr("acct.display_name"), key="acct_new_name")
        role = st.selectbox(tr("acct.role"), accounts.ROLES, key="acct_new_role", format_func=lambda r: tr(f"role.{r}"))
        region = st.selectbox(tr("acct.region"), _region_options(regions), key="acct_new_region", format_func=region_label)
        password = st.text_input(tr("acct.password"), type="password", key="acct_new_password")
        if st.form_submit_button(tr("acct.submit_create"), type="primary"):
            pw = password or accounts.generate_password()
            try:
                accounts.create(engine, username.strip(), pw, role=role, display_name=display.strip() or username,
                                region_code=region)
                _audit(url, me, username, {"action": "create", "role": role, "region": region})
                st.success(tr("acct.created", username=username, password=pw if not password else "******"))
            except AccountError as exc:
                _audit(url, me, username, {"action": "create", "error": str(exc)}, outcome="failure")
                st.error(str(exc))

    with right, st.container(border=True):
        usernames = [r["username"] for r in rows]
        if not usernames:
            return
        pick = st.selectbox(tr("acct.pick"), usernames, key="acct_pick")
        current = next(r for r in rows if r["username"] == pick)
        new_role = st.selectbox(tr("acct.role"), accounts.ROLES, index=accounts.ROLES.index(current["role"]),
                                key="acct_edit_role", format_func=lambda r: tr(f"role.{r}"))
        options = _region_options(regions)
        new_region = st.selectbox(tr("acct.region"), options, key="acct_edit_region", format_func=region_label,
                                  index=options.index(current["region_code"]) if current["region_code"] in options else 0)
        row = st.container(horizontal=True)
        if row.button(tr("acct.save"), key="acct_save"):
            accounts.update(engine, pick, role=new_role, region_code=new_region)
            _audit(url, me, pick, {"action": "update", "role": new_role, "region": new_region})
            st.success(tr("acct.saved"))
        toggle = tr("acct.enable") if current["disabled"] else tr("acct.disable")
        if row.button(toggle, key="acct_toggle"):
            if pick == me.username:
                st.error(tr("acct.self"))
            else:
                accounts.update(engine, pick, disabled=not current["disabled"])
                _audit(url, me, pick, {"action": "enable" if current["disabled"] else "disable"})
                st.rerun()
        if row.button(tr("acct.reset"), key="acct_reset"):
            pw = accounts.generate_password()
            accounts.set_password(engine, pick, pw)
            _audit(url, me, pick, {"action": "reset_password"})
            st.success(tr("acct.reset_done", password=pw))
        if current["totp_enabled"]:
            if row.button(tr("acct.totp_off"), key="acct_totp_off"):
                accounts.disable_totp(engine, pick)
                _audit(url, me, pick, {"action": "totp_off"})
                st.rerun()
        elif row.button(tr("acct.totp_on"), key="acct_totp_on"):
            secret = accounts.enable_totp(engine, pick)
            _audit(url, me, pick, {"action": "totp_on"})
            st.code(tr("acct.totp_secret", uri=pyotp.TOTP(secret).provisioning_uri(name=pick, issuer_name="基层监督驾驶舱")))


def audit_page(url: str, me: Account) -> None:
    engine = store.engine_for(url)
    log = audit.read(engine)
    c1, c2, c3 = st.columns(3)
    events = c1.multiselect(tr("audit.event"), audit.EVENTS, key="audit_events",
                            format_func=lambda e: tr(f"audit.event.{e}"), placeholder=tr("warn.filter.all"))
    who = c2.text_input(tr("audit.account"), key="audit_account")
    since = c3.date_input(tr("audit.since"), value=None, key="audit_since", format="YYYY-MM-DD")
    if events:
        log = log.filter(pl.col("event").is_in(events))
    if who:
        log = log.filter(pl.col("account").str.contains(who, literal=True))
    if since:
        log = log.filter(pl.col("at") >= datetime(since.year, since.month, since.day, tzinfo=timezone.utc))
    st.caption(tr("audit.count", n=f"{log.height:,}"))
    st.dataframe(log, hide_index=True, key="audit_table", column_config={
        "at": st.column_config.DatetimeColumn("时间", format="YYYY-MM-DD HH:mm:ss"),
        "event": tr("audit.event"), "account": tr("audit.account")})
    buf = io.BytesIO()
    log.with_columns(pl.col("at").dt.strftime("%Y-%m-%d %H:%M:%S%z")).write_csv(buf)

    def _logged() -> None:
        audit.record(engine, event="export", account=me.username, target="audit_log", rows=log.height,
                     outcome="success", detail={"events": events, "account": who, "since": str(since) if since else None})

    st.download_button(tr("audit.export"), b"\xef\xbb\xbf" + buf.getvalue(),
                       file_name=f"审计日志_{date.today():%Y%m%d}.csv", mime="text/csv", key="audit_export",
                       on_click=_logged, icon=":material/download:")
