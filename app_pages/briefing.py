"""汇报: the cockpit's figures as slides for a meeting, and the editable deck."""
import streamlit as st

from dashboard import components_briefing

components_briefing.show(st.session_state["view"])

