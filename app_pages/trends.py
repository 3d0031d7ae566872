"""趋势: better or worse, and compared to whom."""
import streamlit as st

from dashboard import components_trends as ctr
from dashboard import filterbar, layout
from dashboard.ui import tr

view: filterbar.View = st.session_state["view"]

st.title(tr("trend.title"))
st.caption(filterbar.caption(view))
metric, every = ctr.controls()
layout.open_tab([
    (tr("trend.tab.series"), lambda: ctr.series_tab(view, metric, every)),
    (tr("trend.tab.composition"), lambda: ctr.composition_tab(view, metric, every)),
    (tr("trend.tab.regions"), lambda: ctr.regions_tab(view, metric, every)),
    (tr("trend.tab.funnel"), lambda: ctr.funnel_tab(view)),
    (tr("trend.tab.handling"), lambda: ctr.handling_tab(view)),
    (tr("trend.tab.forms"), lambda: ctr.forms_tab(view)),
    (tr("trend.tab.leads"), lambda: ctr.leads_tab(view)),
], key="trend_tab")
