"""The app's pages: one module per Streamlit page, registered by ``app.py`` (run as scripts, not imported)."""
