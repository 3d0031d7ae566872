"""A store that is not set up yet: each role is told its next step instead of an empty cockpit.
(The offer to enrol a second factor after a first sign-in is dashboard/auth.py's.)"""
from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.ui import tr
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
