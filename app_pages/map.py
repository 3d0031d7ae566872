"""地图: where problems are concentrated, with drill-down from district to village."""
import streamlit as st

from dashboard import components_map, filterbar
from dashboard.ui import tr

view: filterbar.View = st.session_state["view"]

st.title(tr("map.title"))
st.caption(filterbar.caption(view))
components_map.map_panel(view)
