"""Sign-in gate, browser sessions that survive a reload, expiry, sign-out and the watermark.

A signed-in browser holds one random session token in a cookie (SameSite=Strict, Path=/, a
lifetime of the idle limit, Secure over https), never in a URL; the database keeps only its hash
(queries/sessions.py). Every rerun, fragment reruns included, checks the token and re-reads the
account with one primary-key query (`current`), so sign-out in another tab, idle expiry, a
disabled account or a changed role, jurisdiction or password ends the session everywhere.
Nothing the browser sends can set or widen the account: the cookie only names a server-side
session. Sign-ins, resumed sessions and ended sessions are audited.

Streamlit sets no cookies from the server, so the cookie is written by a fixed script in the
page (`st.html`, which runs scripts in the main document, not an iframe); the token travels in
a data attribute, so the script's text is constant and a Content-Security-Policy can allow it
by its hash (`COOKIE_SCRIPT_SHA256`).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import html
import os
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

import pyotp
import streamlit as st

from dashboard.ui import tr
from queries import accounts, audit, sessions, store
from queries.accounts import Account, AccountError

IDLE_TIMEOUT_S = 30 * 60
COOKIE = "oversight_session"
_TOKEN_KEY = "session_token"

# The one script that writes the session cookie; its text never changes (see module docstring).
COOKIE_SCRIPT = (
    "(function(){var d=document.currentScript.previousElementSibling.dataset;"
    "document.cookie=d.name+'='+d.value+'; Path=/; SameSite=Strict; Max-Age='+d.age"
    "+(location.protocol==='https:'?'; Secure':'');})();"
)
COOKIE_SCRIPT_SHA256 = base64.b64encode(hashlib.sha256(COOKIE_SCRIPT.encode()).digest()).decode()
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,128}")


def idle_limit_s() -> float:
    """The idle limit: OVERSIGHT_IDLE_TIMEOUT_S seconds if set (tests, or a site's policy),
    else 30 minutes."""
    raw = os.environ.get("OVERSIGHT_IDLE_TIMEOUT_S", "")
    try:
        value = float(raw)
    except ValueError:
        return IDLE_TIMEOUT_S
    return value if value > 0 else IDLE_TIMEOUT_S


def _source() -> str | None:
    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - not available in every runtime (tests, bare mode)
        return None
    return ip if isinstance(ip, str) else None


def _cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no cookies outside a browser session (AppTest, bare mode)
        return None
    return value if isinstance(value, str) and _TOKEN_RE.fullmatch(value) else None


def _start(url: str, account: Account, method: str) -> Account:
    """Open a server-side session for a successful sign-in and hand its token to the browser."""
    token = sessions.open_session(store.engine_for(url), account, method=method, source=_source())
    st.session_state.pop("signed_out", None)
    st.session_state["account"] = account
    st.session_state[_TOKEN_KEY] = token
    st.session_state["cookie_pending"] = True
    return account


def _ended(url: str, check: sessions.Check) -> None:
    """Forget a session that has ended; the check that ended it writes the audit row."""
    st.session_state.pop("account", None)
    st.session_state.pop(_TOKEN_KEY, None)
    st.session_state["clear_cookie"] = True
    if check.reason == sessions.ENDED_IDLE:
        st.session_state["expired"] = True
    if check.ended_now and check.username:
        audit.record(store.engine_for(url), event="signout", account=check.username, outcome="success",
                     source=_source(), detail={"reason": check.reason})


def _demo_autologin(url: str) -> Account | None:
    """Kiosk and screenshot mode for the demo only: OVERSIGHT_DEMO_AUTOLOGIN names a demo account
    to sign in without a password. It never applies to real data or to non-demo accounts."""
    username = os.environ.get("OVERSIGHT_DEMO_AUTOLOGIN")
    if not username or store.get_meta(url, "dataset") != "demo":
        return None
    account = accounts.get(store.engine_for(url), username)
    if account is None or not account.demo or account.must_change:
        return None
    audit.record(store.engine_for(url), event="signin", account=username, outcome="success",
                 source=_source(), detail={"method": "demo-autologin"})
    return _start(url, account, "demo-autologin")


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
    return _start(url, found, "oidc")


def _resume(url: str, activity: bool) -> Account | None:
    """A reload or a new tab: the browser's cookie names a live session, which continues."""
    token = _cookie_token()
    if token is None:
        return None
    check = sessions.check(store.engine_for(url), token, idle_s=idle_limit_s(), activity=activity)
    if check.account is None:
        _ended(url, check)
        return None
    audit.record(store.engine_for(url), event="signin", account=check.account.username, outcome="success",
                 source=_source(), detail={"method": "session-resume"})
    st.session_state.pop("signed_out", None)
    st.session_state["account"] = check.account
    st.session_state[_TOKEN_KEY] = token
    st.session_state["cookie_pending"] = True  # renew its lifetime
    return check.account


def current(url: str, *, activity: bool = True) -> Account | None:
    """The signed-in account as stored now, or None: signed out, idle past the limit, ended in
    another tab, or an account since disabled, removed or changed. Safe to call from pages,
    fragments and widget callbacks (download callbacks call it before handing anything out).
    `activity=False` for automatic reruns, which must not keep an idle session alive."""
    token = st.session_state.get(_TOKEN_KEY)
    if not isinstance(token, str):
        st.session_state.pop("account", None)  # an account without a server session is no sign-in
        resumed = _resume(url, activity)
        if resumed is not None or st.session_state.get("signed_out"):
            return resumed
        return _oidc_account(url) or _demo_autologin(url)
    check = sessions.check(store.engine_for(url), token, idle_s=idle_limit_s(), activity=activity)
    if check.account is None:
        _ended(url, check)
        return None
    st.session_state["account"] = check.account
    if check.touched:
        st.session_state["cookie_pending"] = True
    return check.account


def require(url: str | None = None, *, activity: bool = True) -> Account:
    """The signed-in account, checked now; when there is none the whole app reruns into the
    sign-in form (from a fragment too) and nothing after this call runs."""
    if url is None:
        from dashboard import data

        url = data.db_url()
    account = current(url, activity=activity)
    if account is None:
        st.rerun(scope="app")
    return account


def _fragment_rerun() -> bool:
    """Whether this run reruns fragments only (app.py, which checks the session, did not run)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
    except Exception:  # noqa: BLE001 - no runtime: a plain call
        return False
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def fragment(func: Callable | None = None, *, run_every: float | None = None) -> Callable:
    """`st.fragment` whose own reruns check the session first (`require`): a fragment rerun does
    not run app.py, so without this an expired or revoked session would still get fresh data.
    Automatic reruns (`run_every`) do not count as activity."""
    def wrap(f: Callable) -> Callable:
        @functools.wraps(f)
        def checked(*args, **kwargs):  # noqa: ANN202 - whatever the fragment returns
            if _fragment_rerun():
                require(activity=run_every is None)
            return f(*args, **kwargs)

        return st.fragment(checked, run_every=run_every)

    return wrap(func) if func is not None else wrap


def sign_out(url: str) -> None:
    token = st.session_state.pop(_TOKEN_KEY, None)
    account = st.session_state.pop("account", None)
    st.session_state["signed_out"] = True
    st.session_state["clear_cookie"] = True
    if isinstance(token, str):
        sessions.end(store.engine_for(url), token)
    if isinstance(account, Account):
        audit.record(store.engine_for(url), event="signout", account=account.username,
                     outcome="success", source=_source(), detail={"reason": sessions.ENDED_SIGNOUT})


def sync_cookie() -> None:
    """Write (or clear) the browser's session cookie when it changed or is due for renewal.
    Called once per run from app.py, after any st.rerun, so the element reaches the browser."""
    token = st.session_state.get(_TOKEN_KEY)
    if st.session_state.pop("clear_cookie", False) and not isinstance(token, str):
        value, age = "", 0
    elif st.session_state.pop("cookie_pending", False) and isinstance(token, str):
        value, age = token, int(idle_limit_s())
    else:
        return
    st.html(f'<span hidden data-name="{COOKIE}" data-value="{html.escape(value)}" data-age="{age}" '
            f'data-n="{secrets.token_hex(4)}"></span><script>{COOKIE_SCRIPT}</script>',
            unsafe_allow_javascript=True, width="content")


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
                         detail={"method": "password"} if result.account else {"reason": result.reason})
            if result.account:
                _start(url, result.account, "password")
                st.rerun()
            elif result.needs_totp:
                st.warning(tr("auth.need_totp"))
            else:
                st.error(tr("auth.failed", n=accounts.MAX_FAILURES,
                            minutes=int(accounts.LOCKOUT.total_seconds() // 60)))
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


def password_form(url: str, account: Account, *, first: bool) -> None:
    """Self-service password change (current password required, new one checked against the
    rules). `first`: the account holds a one-time password and may do nothing else until
    this succeeds. The change ends the account's other sessions; this browser continues in a
    new one."""
    with st.form("pw_change", border=True):
        st.subheader(tr("auth.pw_first") if first else tr("auth.pw_change"))
        if first:
            st.caption(tr("auth.pw_first_hint"))
        old = st.text_input(tr("auth.pw_current"), type="password", key="pw_current")
        new = st.text_input(tr("auth.pw_new"), type="password", key="pw_new")
        again = st.text_input(tr("auth.pw_again"), type="password", key="pw_again")
        st.caption(tr("auth.pw_rules", n=accounts.MIN_PASSWORD_LENGTH))
        submitted = st.form_submit_button(tr("auth.pw_submit"), type="primary")
    if not submitted:
        return
    engine = store.engine_for(url)
    try:
        if new != again:
            raise AccountError(tr("auth.pw_mismatch"))
        accounts.change_own_password(engine, account.username, old, new)
    except AccountError as exc:
        audit.record(engine, event="account", account=account.username, target=account.username,
                     outcome="failure", source=_source(), detail={"action": "change_password"})
        st.error(str(exc))
        return
    audit.record(engine, event="account", account=account.username, target=account.username,
                 outcome="success", source=_source(), detail={"action": "change_password"})
    old_token = st.session_state.get(_TOKEN_KEY)
    if isinstance(old_token, str):
        sessions.end(engine, old_token, sessions.ENDED_CHANGED)
    fresh = accounts.get(engine, account.username)
    if fresh is not None:
        _start(url, fresh, "password-change")
    st.session_state["pw_changed"] = True
    if first:  # a first sign-in: offer the second factor next
        st.session_state["offer_totp"] = not account.totp_enabled
    st.rerun()


def totp_enrolment(url: str, account: Account) -> None:
    """Offer a second factor to an account without one (opened by itself right after a first
    sign-in): a new secret is shown (as a provisioning URI for an authenticator app) and stored
    only once a current code proves the app has it."""
    if account.totp_enabled:
        return
    with st.expander(tr("auth.totp_enrol"), expanded=st.session_state.get("offer_totp", False)):
        secret = st.session_state.get("totp_pending_secret")
        if secret is None:  # the secret is made and shown only when asked for
            if not st.button(tr("auth.totp_start"), key="totp_enrol_start"):
                return
            secret = st.session_state["totp_pending_secret"] = accounts.new_totp_secret()
        st.caption(tr("auth.totp_enrol_hint"))
        st.code(pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name="基层监督驾驶舱"),
                language=None)
        code = st.text_input(tr("auth.totp"), key="totp_enrol_code", max_chars=6)
        if st.button(tr("auth.totp_confirm"), key="totp_enrol_confirm"):
            engine = store.engine_for(url)
            try:
                accounts.confirm_totp(engine, account.username, secret, code)
            except AccountError as exc:
                st.error(str(exc))
                return
            st.session_state.pop("totp_pending_secret", None)
            st.session_state.pop("offer_totp", None)
            audit.record(engine, event="account", account=account.username, target=account.username,
                         outcome="success", source=_source(), detail={"action": "totp_on"})
            st.success(tr("auth.totp_done"))


def first_sign_in_page(url: str, account: Account) -> None:
    """What a must-change account sees: the password form, nothing else."""
    _, mid, _ = st.columns([1, 2, 1])
    with mid:
        st.title(tr("app.title"))
        password_form(url, account, first=True)


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
