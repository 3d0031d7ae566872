"""审计日志: the audit administrator's page (the log only, read and export)."""
import streamlit as st

from dashboard import components_admin, data
from dashboard.ui import tr

st.title(tr("audit.title"))
components_admin.audit_page(data.db_url(), st.session_state["account"])
components_admin.auditor_accounts(data.db_url(), st.session_state["account"])
