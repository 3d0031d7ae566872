"""The system administrator's accounts page and the audit administrator's log page.

Every account change is audited; the audit page reads the log and can export it, and nothing
here (or anywhere in the app) can change or delete a log row."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone

import polars as pl
import streamlit as st

from dashboard import export, handout, safe
from dashboard.ui import tr
from queries import accounts, audit, store
from queries.accounts import Account, AccountError


def _audit(url: str, who: Account, target: str, detail: dict, outcome: str = "success") -> None:
    audit.record(store.engine_for(url), event="account", account=who.username, target=target,
                 detail=detail, outcome=outcome)


def _region_options(regions: pl.DataFrame) -> list[str | None]:
    """Jurisdictions an account can carry: the whole store, a district or a township."""
    return [None, *regions.filter(pl.col("level").is_in(["district", "township"])).sort("code")["code"].to_list()]


def _change(url: str, me: Account, target: dict, action: str, change: Callable[[], object],
            detail: dict | None = None, new_role: str | None = None) -> object | None:
    """One administrative change: refused by the separation of duties or by `accounts`, or
    done; audited either way. Returns what `change` returned, or None when refused."""
    why = accounts.refusal(me, action, target, new_role)
    result = None
    if why is None:
        try:
            result = change()
        except AccountError as exc:
            why = str(exc)
    _audit(url, me, target["username"], {"action": action, **(detail or {}),
                                         **({"error": why} if why else {})},
           outcome="failure" if why else "success")
    if why:
        st.error(why)
        return None
    return result if result is not None else True


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
        "failed_count": None, "locked_until": tr("acct.col.locked_until"), "totp_enabled": tr("acct.col.totp"),
        "must_change": tr("acct.col.must_change")})

    left, right = st.columns(2)
    with left, st.form("acct_create", border=True):
        # No password field: a new account gets a one-time password, shown once here, which its
        # holder must replace at first sign-in; the administrator never chooses or keeps one.
        st.markdown(f"**{tr('acct.create')}**")
        username = st.text_input(tr("auth.username"), key="acct_new_user")
        display = st.text_input(tr("acct.display_name"), key="acct_new_name")
        role = st.selectbox(tr("acct.role"), accounts.ROLES, key="acct_new_role", format_func=lambda r: tr(f"role.{r}"))
        region = st.selectbox(tr("acct.region"), _region_options(regions), key="acct_new_region", format_func=region_label)
        if st.form_submit_button(tr("acct.submit_create"), type="primary"):
            name = username.strip()
            try:
                pw = accounts.create_with_one_time_password(engine, name, role, region,
                                                            display.strip() or name)
                _audit(url, me, name, {"action": "create", "role": role, "region": region})
                st.success(tr("acct.created", username=safe.md(name), password=pw))
            except AccountError as exc:
                _audit(url, me, name, {"action": "create", "error": str(exc)}, outcome="failure")
                st.error(safe.md(exc))

    with right, st.container(border=True):
        usernames = [r["username"] for r in rows]
        if not usernames:
            return
        pick = st.selectbox(tr("acct.pick"), usernames, key="acct_pick")
        current = next(r for r in rows if r["username"] == pick)
        if pick == me.username:
            st.info(tr("acct.self"))
            return
        new_role = st.selectbox(tr("acct.role"), accounts.ROLES, index=accounts.ROLES.index(current["role"]),
                                key="acct_edit_role", format_func=lambda r: tr(f"role.{r}"))
        options = _region_options(regions)
        new_region = st.selectbox(tr("acct.region"), options, key="acct_edit_region", format_func=region_label,
                                  index=options.index(current["region_code"]) if current["region_code"] in options else 0)
        row = st.container(horizontal=True)
        if row.button(tr("acct.save"), key="acct_save"):
            if _change(url, me, current, "update",
                       lambda: accounts.update(engine, pick, role=new_role, region_code=new_region),
                       {"role": new_role, "region": new_region}, new_role=new_role):
                st.success(tr("acct.saved"))
        toggle = tr("acct.enable") if current["disabled"] else tr("acct.disable")
        if row.button(toggle, key="acct_toggle"):
            action = "enable" if current["disabled"] else "disable"
            if _change(url, me, current, action,
                       lambda: accounts.update(engine, pick, disabled=not current["disabled"])):
                st.rerun()
        if row.button(tr("acct.reset"), key="acct_reset"):
            pw = _change(url, me, current, "reset", lambda: accounts.reset_password(engine, pick))
            if pw:
                st.success(tr("acct.reset_done", password=pw))
        if current["totp_enabled"] and row.button(tr("acct.totp_off"), key="acct_totp_off"):
            if _change(url, me, current, "totp_off", lambda: accounts.disable_totp(engine, pick)):
                st.rerun()


def auditor_accounts(url: str, me: Account) -> None:
    """For an 审计管理员: reset another 审计管理员's password (the one reset a 系统管理员 may not do)."""
    engine = store.engine_for(url)
    others = [r for r in accounts.list_all(engine)
              if r["role"] == "auditor" and r["username"] != me.username and not r["disabled"]]
    with st.expander(tr("acct.auditors")):
        st.caption(tr("acct.auditors_hint"))
        if not others:
            st.caption(tr("acct.no_other_auditor"))
            return
        pick = st.selectbox(tr("acct.pick"), [r["username"] for r in others], key="auditor_pick")
        if st.button(tr("acct.reset"), key="auditor_reset"):
            target = next(r for r in others if r["username"] == pick)
            pw = _change(url, me, target, "reset", lambda: accounts.reset_password(engine, pick))
            if pw:
                st.success(tr("acct.reset_done", password=pw))


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

    purpose = st.text_input(tr("details.purpose"), key="audit_export_purpose")
    handout.door(tr("audit.export"), key="audit_export", door="audit_log", url=url, account=me,
                 target="audit_log", rows=log.height,
                 detail={"events": events, "account": who, "since": str(since) if since else None},
                 build=lambda: export.csv_bytes(log.with_columns(pl.col("at").dt.strftime("%Y-%m-%d %H:%M:%S%z"))),
                 file_name=f"审计日志_{date.today():%Y%m%d}.csv", mime="text/csv", purpose=purpose)
