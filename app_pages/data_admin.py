"""数据管理: bring ledgers in (checked whole, written all or nothing), templates, boundaries."""
import streamlit as st

from dashboard import components_data, data
from dashboard.ui import tr

st.title(tr("data.title"))
account = st.session_state["account"]
components_data.import_panel(data.db_url(), account)
components_data.template_panel()
components_data.geo_panel(data.db_url(), account)
