"""Streamlit components of the app (their frontends live in ``layers``)."""
