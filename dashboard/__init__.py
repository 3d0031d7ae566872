"""The Streamlit-facing package: components, filter state, i18n, data access, CLI.

Heavy libraries that Streamlit and plotly import lazily (pandas above all) are imported here, once,
under this package's import lock: when several sessions start at the same moment, their script
threads would otherwise race on pandas' first import and fail with "partially initialized module
'pandas'" (seen under the load test)."""
import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401
import pyarrow  # noqa: F401
import pydeck  # noqa: F401
