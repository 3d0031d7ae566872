"""趋势: better or worse, and compared to whom."""
import streamlit as st

from dashboard import components_trends as ctr
from dashboard import filterbar
from dashboard.ui import tr

view: filterbar.View = st.session_state["view"]

st.title(tr("trend.title"))
st.caption(filterbar.caption(view))
metric, every = ctr.controls()
tabs = st.tabs([tr("trend.tab.series"), tr("trend.tab.composition"), tr("trend.tab.regions"),
                tr("trend.tab.funnel"), tr("trend.tab.handling"), tr("trend.tab.forms"), tr("trend.tab.leads")])
with tabs[0]:
    ctr.series_tab(view, metric, every)
with tabs[1]:
    ctr.composition_tab(view, metric, every)
with tabs[2]:
    ctr.regions_tab(view, metric, every)
with tabs[3]:
    ctr.funnel_tab(view)
with tabs[4]:
    ctr.handling_tab(view)
with tabs[5]:
    ctr.forms_tab(view)
with tabs[6]:
    ctr.leads_tab(view)
