"""预警: who is late, by how much, and who is responsible."""
import streamlit as st

from dashboard import components_warnings as cw
from dashboard import filterbar, layout
from dashboard.ui import tr

view: filterbar.View = st.session_state["view"]

st.title(tr("warn.title"))
st.caption(filterbar.caption(view))
layout.open_tab([
    (tr("warn.tab.list"), lambda: cw.warning_list(view)),
    (tr("warn.tab.units"), lambda: cw.slow_boards(view)),
    (tr("warn.tab.projects"), lambda: cw.project_board(view)),
], key="warn_tab")
