"""Entry point and router: database check, language, filter bar, then the chosen page.

The shared chrome lives here and nowhere else; pages read the resulting view from session state.
"""
import streamlit as st

from dashboard import data, filterbar
from dashboard.ui import tr

st.set_page_config(page_title="基层监督驾驶舱", page_icon="static/favicon.png", layout="wide")

url = data.db_url()
try:
    with st.spinner(tr("app.first_run")):
        data.ensure_ready(url)
    tables = data.tables(url)
except Exception as exc:  # noqa: BLE001 - one readable line instead of a traceback
    st.error(tr("app.db_error", error=str(exc).splitlines()[0]))
    st.stop()

with st.sidebar:
    st.markdown(f"### {tr('app.title')}")
    if data.is_demo(url):
        st.badge(tr("app.demo_badge"), icon=":material/science:", color="orange")
    filterbar.language_switch()

# Sign-in and per-account jurisdiction arrive with accounts; until then the whole store is in scope.
scope_region = None
st.session_state["view"] = filterbar.render(url, tables, scope_region)

pages = {
    tr("nav.section.cockpit"): [
        st.Page("app_pages/overview.py", title=tr("nav.overview"), icon=":material/dashboard:",
                default=True, url_path="overview"),
        # more cockpit pages are added here (one line each)
    ],
}
st.navigation(pages, position="top").run()
