"""Sign-in gate, session expiry, sign-out and the on-screen watermark.

The signed-in account lives only in server-side session state; nothing the browser sends (URL,
widget values) can set or widen it. Every sign-in attempt is audited.
"""
from __future__ import annotations

import html
import os
import time
from datetime import datetime
from urllib.parse import quote

import streamlit as st

from dashboard.ui import tr
from queries import accounts, audit, store
from queries.accounts import Account

IDLE_TIMEOUT_S = 30 * 60


def _source() -> str | None:
    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - not available in every runtime (tests, bare mode)
        return None
    return ip if isinstance(ip, str) else None


def _demo_autologin(url: str) -> Account | None:
    """Kiosk and screenshot mode for the demo only: OVERSIGHT_DEMO_AUTOLOGIN names a demo account
    to sign in without a password. It never applies to real data or to non-demo accounts."""
    username = os.environ.get("OVERSIGHT_DEMO_AUTOLOGIN")
    if not username or store.get_meta(url, "dataset") != "demo":
        return None
    account = accounts.get(store.engine_for(url), username)
    if account is None or not account.demo:
        return None
    audit.record(store.engine_for(url), event="signin", account=username, outcome="success",
                 source=_source(), detail={"method": "demo-autologin"})
    st.session_state["account"] = account
    st.session_state["last_seen"] = time.time()
    return account


def _oidc_account(url: str) -> Account | None:
    """After an OIDC sign-in (st.login), the local account whose user name is the e-mail:
    the identity provider proves who it is, the local account says what it may see."""
    if not (_has_secrets() and st.secrets.get("auth")):
        return None
    try:
        user = st.user
        if not user.is_logged_in:
            return None
        email = str(user.get("email") or "")
    except Exception:  # noqa: BLE001 - st.user is unavailable without an auth config
        return None
    found = accounts.get(store.engine_for(url), email) if email else None
    disabled = found is not None and any(a["username"] == email and a["disabled"]
                                         for a in accounts.list_all(store.engine_for(url)))
    audit.record(store.engine_for(url), event="signin", account=email or "-", source=_source(),
                 outcome="success" if found and not disabled else "failure", detail={"method": "oidc"})
    if found is None or disabled:
        return None
    st.session_state["account"] = found
    st.session_state["last_seen"] = time.time()
    return found


def current(url: str) -> Account | None:
    """The signed-in account, or None when signed out or idle for too long."""
    account = st.session_state.get("account")
    if not isinstance(account, Account):
        if st.session_state.get("signed_out"):
            return None
        return _oidc_account(url) or _demo_autologin(url)
    last = st.session_state.get("last_seen", 0.0)
    if time.time() - last > IDLE_TIMEOUT_S:
        st.session_state.pop("account", None)
        st.session_state["expired"] = True
        return None
    st.session_state["last_seen"] = time.time()
    return account


def sign_out(url: str) -> None:
    account = st.session_state.pop("account", None)
    st.session_state["signed_out"] = True
    if isinstance(account, Account):
        audit.record(store.engine_for(url), event="signout", account=account.username,
                     outcome="success", source=_source())


def _demo_accounts(url: str) -> list[dict]:
    return [a for a in accounts.list_all(store.engine_for(url)) if a["demo"] and not a["disabled"]]


def sign_in_page(url: str, region_names: dict[str, str]) -> None:
    """The sign-in form; on success stores the account and reruns into the app."""
    _, mid, _ = st.columns([1, 2, 1])
    with mid:
        st.title(tr("app.title"))
        if st.session_state.pop("expired", False):
            st.warning(tr("auth.expired"))
        with st.form("signin", border=True):
            st.subheader(tr("auth.signin"))
            username = st.text_input(tr("auth.username"), key="signin_user")
            password = st.text_input(tr("auth.password"), type="password", key="signin_password")
            code = st.text_input(tr("auth.totp"), key="signin_totp", help=tr("auth.totp_help"),
                                 max_chars=6)
            submitted = st.form_submit_button(tr("auth.submit"), type="primary", width="stretch")
        if submitted:
            result = accounts.authenticate(store.engine_for(url), username.strip(), password, code or None)
            audit.record(store.engine_for(url), event="signin", account=username.strip() or "-",
                         outcome="success" if result.account else "failure", source=_source(),
                         detail=None if result.account else {"reason": result.reason})
            if result.account:
                st.session_state.pop("signed_out", None)
                st.session_state["account"] = result.account
                st.session_state["last_seen"] = time.time()
                st.session_state["totp_offer"] = not result.account.totp_enabled  # see components_setup
                st.rerun()
            elif result.locked_seconds:
                minutes = max(1, round(result.locked_seconds / 60))
                st.error(tr("auth.locked", minutes=minutes))
            elif result.needs_totp:
                st.warning(tr("auth.need_totp"))
            else:
                st.error(tr("auth.failed"))
        demo = _demo_accounts(url)
        if demo:
            with st.expander(tr("auth.demo_accounts"), expanded=True):
                st.caption(tr("auth.demo_hint"))
                st.dataframe(
                    [{tr("auth.username"): a["username"], tr("auth.role"): tr(f"role.{a['role']}"),
                      tr("auth.region"): region_names.get(a["region_code"], a["region_code"])
                      if a["region_code"] else tr("auth.whole_city")} for a in demo],
                    hide_index=True, key="signin_demo_table")
        if st.secrets.get("auth") if _has_secrets() else False:
            st.divider()
            if st.button(tr("auth.oidc"), key="signin_oidc"):
                st.login()


def _has_secrets() -> bool:
    try:
        return bool(st.secrets)
    except Exception:  # noqa: BLE001 - no secrets file is the normal case
        return False


def watermark(account: Account) -> None:
    """A light, repeated watermark of account and time over the whole page, against photos of
    the screen leaking; drawn as an inline SVG so it needs nothing from outside."""
    stamp = f"{account.display_name} {account.username} {datetime.now():%Y-%m-%d %H:%M}"
    svg = (f"<svg xmlns='http://www.w3.org/2000/svg' width='420' height='240'>"
           f"<text x='20' y='140' transform='rotate(-22 210 120)' fill='#000' fill-opacity='0.07' "
           f"font-size='18' font-family='sans-serif'>{html.escape(stamp)}</text></svg>")
    st.html(f"""<style>
      [data-testid="stApp"]::after {{
        content: ""; position: fixed; inset: 0; pointer-events: none; z-index: 999990;
        background-image: url("data:image/svg+xml;charset=utf-8,{quote(svg)}");
      }}</style>""")
