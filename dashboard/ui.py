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


def own_level_names(df, column: str = "name"):
    """Rows flagged 本级 (queries.regions.OWN_LEVEL) named in the UI language: "萧山区本级", or
    "萧山区 (own level)" in English. Frames without the flag come back unchanged."""
    import polars as pl

    from queries.regions import OWN_LEVEL, OWN_SUFFIX

    if OWN_LEVEL not in df.columns or lang() == "zh":
        return df
    before, after = tr("region.own_level", name="\x00").split("\x00", 1)
    parent = pl.col(column).str.strip_suffix(OWN_SUFFIX)
    return df.with_columns(pl.when(pl.col(OWN_LEVEL)).then(pl.concat_str(pl.lit(before), parent, pl.lit(after)))
                           .otherwise(pl.col(column)).alias(column))
