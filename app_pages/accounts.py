"""账户管理: the system administrator's page (accounts only, no business data)."""
import streamlit as st

from dashboard import components_admin, data
from dashboard.ui import tr

st.title(tr("acct.title"))
url = data.db_url()
components_admin.accounts_page(url, data.tables(url).regions, st.session_state["account"])
