"""Short read-only lists (a top five, the grouped warnings) as static tables.

Why not st.dataframe: every data grid is a canvas the browser measures and paints on its own;
the overview's four short lists were ~280 ms of a new session's opening (of ~2 s, measured with
python -m benchmarks.pages). A list of five to ten rows needs no scrolling, sorting or
selection, and a static table prints and reads on a phone as it is.

st.table renders every cell and header as Streamlit markdown, so every text goes through
`safe.md`; only a `Markup` this module's callers build from fixed vocabulary (the warning
level's colour mark) is passed as it is.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import streamlit as st

from dashboard import safe

EMPTY = "—"


class Markup(str):
    """Markdown written by the app from its own vocabulary, never from data: not escaped."""


def text(value: Any) -> str:
    return EMPTY if value is None or value == "" else str(value)


def signed(value: Any) -> str:
    """A change in whole numbers with its sign (+2, −1, 0)."""
    if value is None:
        return EMPTY
    v = int(value)
    return f"+{v:,}" if v > 0 else (f"−{-v:,}" if v < 0 else "0")


def cells(df: pl.DataFrame, columns: dict[str, tuple[str, Callable[[Any], str]]]) -> pl.DataFrame:
    """The table as shown: each column under its label, each value as safe markdown text."""
    def cell(v: str) -> str:
        return v if isinstance(v, Markup) else safe.md(v)
    return pl.DataFrame({safe.md(label): [cell(show(v)) for v in df[col].to_list()]
                         for col, (label, show) in columns.items()},
                        schema={safe.md(label): pl.String for label, _ in columns.values()})


def show(df: pl.DataFrame, columns: dict[str, tuple[str, Callable[[Any], str]]], key: str) -> None:
    """Draw `df`'s `columns` ({column: (label, value → text)}) as a static table; `key` names
    its container (a CSS class `st-key-<key>`, and what tests look it up by)."""
    with st.container(key=key):
        st.table(cells(df, columns), hide_index=True, border="horizontal")
