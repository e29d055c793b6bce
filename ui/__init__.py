"""Streamlit pages of the Footprints app (wiring only: numbers come from ``spatial``)."""
