"""The Streamlit-facing package: components, filter state, i18n, data access, CLI."""
