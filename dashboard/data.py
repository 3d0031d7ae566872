"""The one cached bridge between Streamlit and the query layer.

Tables are loaded once per process and data version (`st.cache_resource`): a write bumps the
version, so an import shows on every page at the next rerun without a restart. Query results are
cached per argument set (`st.cache_data`), with primitive arguments only.
"""
from __future__ import annotations

import os
from datetime import date

import streamlit as st

from queries import metrics, store
from queries.filters import Filters, Scope
from queries.schema import Tables


def db_url() -> str:
    """OVERSIGHT_DB_URL, then `db_url` in .streamlit/secrets.toml, then the SQLite default."""
    env = os.environ.get("OVERSIGHT_DB_URL")
    if env:
        return env
    try:
        secret = st.secrets.get("db_url")
    except (FileNotFoundError, KeyError, AttributeError):
        secret = None
    except Exception:  # noqa: BLE001 - a malformed secrets file must not hide the default
        secret = None
    return secret or store.DEFAULT_URL


@st.cache_resource(show_spinner=False)
def ensure_ready(url: str) -> bool:
    """Create the schema, and on first run of an empty store fill it with the demo city.

    Cached per process so concurrent first sessions do not generate twice."""
    store.init_schema(url)
    if store.is_empty(url):
        from dashboard.demo import write_demo
        from dashboard.demo_accounts import print_passwords

        _, passwords = write_demo(url)
        print_passwords(passwords)  # the server console: the one place they are shown
    return True


def version(url: str) -> int:
    return store.data_version(url)


@st.cache_resource(max_entries=2, show_spinner=False)
def _tables(url: str, data_version: int) -> Tables:
    return store.load_tables(url)


def tables(url: str) -> Tables:
    return _tables(url, version(url))


def is_demo(url: str) -> bool:
    return store.get_meta(url, "dataset") == "demo"


def _filters(start: date, end: date, region: str | None, fields: tuple[str, ...]) -> Filters:
    return Filters(start, end, region=region, fields=fields)


@st.cache_data(max_entries=512, show_spinner=False)
def compare(url: str, data_version: int, start: date, end: date, region: str | None,
            fields: tuple[str, ...], scope_region: str | None, as_of: date,
            keys: tuple[str, ...]) -> dict[str, dict]:
    return metrics.compare(_tables(url, data_version), _filters(start, end, region, fields),
                           Scope(scope_region), as_of, keys)


@st.cache_data(max_entries=512, show_spinner=False)
def monthly(url: str, data_version: int, start: date, end: date, region: str | None,
            fields: tuple[str, ...], scope_region: str | None, as_of: date,
            keys: tuple[str, ...]):
    return metrics.monthly(_tables(url, data_version), _filters(start, end, region, fields),
                           Scope(scope_region), as_of, keys)


@st.cache_data(max_entries=512, show_spinner=False)
def rollup(url: str, data_version: int, start: date, end: date, region: str | None,
           fields: tuple[str, ...], scope_region: str | None, as_of: date,
           keys: tuple[str, ...]):
    return metrics.rollup(_tables(url, data_version), _filters(start, end, region, fields),
                          Scope(scope_region), as_of, keys)
