"""The current UI language and a translator bound to it, for pages and components."""
from __future__ import annotations

import streamlit as st

from dashboard.i18n import DEFAULT_LANG, LANGS, t


def lang() -> str:
    value = st.session_state.get("lang")
    return value if value in LANGS else DEFAULT_LANG


def tr(key: str, **kwargs: object) -> str:
    return t(key, lang(), **kwargs)
