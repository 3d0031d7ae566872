"""A store that is not set up yet: each role is told its next step instead of an empty cockpit;
and the offer to enrol a second factor (TOTP) after signing in without one."""
from __future__ import annotations

import dataclasses

import polars as pl
import pyotp
import streamlit as st

from dashboard.ui import tr
from queries import accounts, audit, store
from queries.accounts import Account
from queries.schema import Tables

ISSUER = "基层监督驾驶舱"


def needs_setup(tables: Tables) -> bool:
    """No city in the region ledger yet (an `init`-ed store, or regions not imported): nothing
    any page can compute; every business page shows `next_steps` instead."""
    return tables.regions.filter(pl.col("level") == "city").is_empty()


def next_steps(account: Account, brief: bool = False) -> None:
    """What this role does next on a store without regions (fixed texts only). `brief`: above
    the page where that step is done (no link to it, no second set of templates)."""
    if account.can("manage_accounts"):
        st.info(tr("setup.sysadmin"), icon=":material/manage_accounts:")
    elif account.can("import") and account.region_code is None:
        st.info(tr("setup.staff"), icon=":material/upload_file:")
        for i in range(1, 4):
            st.markdown(tr(f"setup.staff.step{i}"))
        if brief:
            return
        st.page_link("app_pages/data_admin.py", label=tr("setup.go_data"), icon=":material/arrow_forward:")
        from dashboard import components_data

        components_data.template_panel()
    else:
        st.info(tr("setup.wait"), icon=":material/hourglass_empty:")


def totp_offer(url: str, account: Account) -> None:
    """After a password sign-in without a second factor (auth sets "totp_offer"): offer to enrol
    one now, skippable and asked again at the next sign-in. The secret is saved only once a code
    from the user's app checks out, so a half-done enrolment never locks anyone out."""
    if account.totp_enabled or account.demo or not st.session_state.get("totp_offer"):
        return
    box = st.container(border=True)
    box.markdown(tr("setup.totp_offer"))
    if not st.session_state.get("totp_offer_open"):
        row = box.container(horizontal=True)
        if row.button(tr("setup.totp_enable"), key="totp_offer_enable", type="primary"):
            st.session_state["totp_offer_open"] = True
            st.session_state["totp_offer_secret"] = pyotp.random_base32()
            st.rerun()
        if row.button(tr("setup.totp_skip"), key="totp_offer_skip"):
            st.session_state["totp_offer"] = False
            st.rerun()
        return
    secret = st.session_state["totp_offer_secret"]
    box.caption(tr("setup.totp_scan"))
    box.code(pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name=ISSUER), language=None)
    code = box.text_input(tr("setup.totp_code"), key="totp_offer_code", max_chars=6)
    row = box.container(horizontal=True)
    if row.button(tr("setup.totp_confirm"), key="totp_offer_confirm", type="primary"):
        if pyotp.TOTP(secret).verify((code or "").strip(), valid_window=1):
            accounts.enable_totp(store.engine_for(url), account.username, secret=secret)
            audit.record(store.engine_for(url), event="account", account=account.username,
                         target=account.username, outcome="success", detail={"action": "totp_on", "self": True})
            st.session_state["account"] = dataclasses.replace(account, totp_enabled=True)
            st.session_state["totp_offer"] = False
            st.session_state.pop("totp_offer_open", None)
            st.toast(tr("setup.totp_done"), icon=":material/verified_user:")
            st.rerun()
        box.error(tr("setup.totp_wrong"))
    if row.button(tr("setup.totp_skip"), key="totp_offer_later"):
        st.session_state["totp_offer"] = False
        st.session_state.pop("totp_offer_open", None)
        st.rerun()
