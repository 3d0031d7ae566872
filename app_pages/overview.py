"""总览: the cockpit leadership opens first."""
import streamlit as st

from dashboard import components, components_map, components_warnings, filterbar
from dashboard.ui import tr

view: filterbar.View = st.session_state["view"]

st.title(tr("overview.title"))
st.caption(filterbar.caption(view))

st.subheader(tr("overview.kpis"))
compared = components.kpi_cards(view)
if components.period_is_empty(compared):
    st.info(f"{tr('empty.period')}。{tr('empty.hint')}")

left, right = st.columns([3, 2])
with left:
    st.subheader(tr("overview.ranking"))
    components.ranking(view)
with right:
    st.subheader(tr("map.compact"))
    components_map.map_panel(view, key_prefix="overview", height=380, controls=False)

st.subheader(tr("warn.top10"))
components_warnings.top(view)
st.page_link("app_pages/warnings.py", label=tr("warn.more"), icon=":material/arrow_forward:")
