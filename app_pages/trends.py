"""趋势: better or worse, and compared to whom."""
import streamlit as st

from dashboard import components_trends as ctr
from dashboard import filterbar
from dashboard.ui import lang, tr

view: filterbar.View = st.session_state["view"]

st.title(tr("trend.title"))
st.caption(filterbar.caption(view))
metric, every = ctr.controls()
# Only the open tab is drawn (a tab switch reruns the page; the key holds a label, so one
# per language): with all seven drawn, a new
# session's browser laid out ten plotly charts it did not show (python -m benchmarks.pages).
for tab, draw in ctr.tabs(f"trend_tab.{lang()}"):
    if tab.open:
        with tab:
            draw(view, metric, every)
