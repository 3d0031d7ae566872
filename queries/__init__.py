"""Pure polars query layer: no Streamlit here."""
