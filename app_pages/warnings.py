"""预警: who is late, by how much, and who is responsible."""
import streamlit as st

from dashboard import components_warnings as cw
from dashboard import filterbar
from dashboard.ui import tr

view: filterbar.View = st.session_state["view"]

st.title(tr("warn.title"))
st.caption(filterbar.caption(view))

tab_list, tab_units, tab_projects = st.tabs(
    [tr("warn.tab.list"), tr("warn.tab.units"), tr("warn.tab.projects")])
with tab_list:
    cw.warning_list(view)
with tab_units:
    cw.slow_boards(view)
with tab_projects:
    cw.project_board(view)
