"""The current UI language and a translator bound to it, for pages and components."""
from __future__ import annotations

import streamlit as st

from dashboard.i18n import DEFAULT_LANG, LANGS, t


def lang() -> str:
    value = st.session_state.get("lang")
    return value if value in LANGS else DEFAULT_LANG


def tr(key: str, **kwargs: object) -> str:
    return t(key, lang(), **kwargs)


def lang_key(key: str) -> str:
    """A widget key that changes with the language, for a selectbox whose options are ids shown
    through format_func. The browser keeps a selectbox's shown label across reruns of the same
    widget, so after a language switch it kept "立案数"; a new key per language makes it redraw
    with the new labels. The choice itself is carried over under `key` (a language-free id)."""
    widget = f"{key}.{lang()}"
    if widget not in st.session_state and key in st.session_state:
        st.session_state[widget] = st.session_state[key]
    return widget


def remember(key: str, value: object) -> None:
    """Store a language-keyed widget's choice under its language-free key (see lang_key)."""
    st.session_state[key] = value
