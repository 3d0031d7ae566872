"""案件明细 (cases) table: search, columns, pages, row history, export."""
import streamlit as st

from dashboard import components_details, filterbar
from dashboard.ui import tr

view: filterbar.View = st.session_state["view"]

st.title(tr("details.title.cases"))
st.caption(filterbar.caption(view))
components_details.detail_page(view, "cases")
