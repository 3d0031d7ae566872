"""总览: the cockpit leadership opens first. It answers three questions before the figures:
where problems concentrate, what got worse against last year, and who is slow."""
import streamlit as st

from dashboard import components, components_overview as ov, filterbar
from dashboard.ui import tr

view: filterbar.View = st.session_state["view"]

st.title(tr("overview.title"))
st.caption(filterbar.caption(view))
head = st.container()  # the three answers in a line, filled once the sections below are known

st.subheader(tr("overview.q.where"))
where = ov.concentration(view)

st.subheader(tr("overview.q.worse"))
worse = ov.worsened(view)

st.subheader(tr("overview.q.slow"))
slowest = ov.slow(view)

st.subheader(tr("overview.warn_groups"))
ov.warning_groups(view)
st.page_link("app_pages/warnings.py", label=tr("warn.more"), icon=":material/arrow_forward:")

st.subheader(tr("overview.kpis"))
compared = components.kpi_cards(view)

with head:
    if components.period_is_empty(compared):
        st.info(f"{tr('empty.period')}。{tr('empty.hint')}")
    ov.headline(where, worse, slowest)
