"""预警: who is late, by how much, and who is responsible."""
import streamlit as st

from dashboard import components_warnings as cw
from dashboard import filterbar
from dashboard.ui import lang, tr

view: filterbar.View = st.session_state["view"]

st.title(tr("warn.title"))
st.caption(filterbar.caption(view))

# Only the open tab is drawn (its key holds a label, so one per language), as on 趋势.
parts = (("warn.tab.list", cw.warning_list), ("warn.tab.units", cw.slow_boards),
         ("warn.tab.projects", cw.project_board))
for tab, (_, draw) in zip(st.tabs([tr(label) for label, _ in parts], key=f"warn_tab.{lang()}",
                                  on_change="rerun"), parts):
    if tab.open:
        with tab:
            draw(view)
