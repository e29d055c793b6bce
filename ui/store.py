"""The app's side of the scenario store: which store, who is saving, links.

* :func:`get_store` opens the store of ``FOOTPRINTS_DB`` (default SQLite in
  the user data folder) once per server process, importing the old
  ``FOOTPRINTS_SCENARIOS`` folder the first time.
* Who: with Streamlit's built-in sign-in configured (an ``[auth]`` section in
  ``.streamlit/secrets.toml``), the author and owner is the signed-in user
  (``st.user.email``).  Without it, the author is the name typed once per
  browser session; it is remembered in the browser in a first-party cookie
  ``footprints_author`` (set by a one-line script, read back with
  ``st.context.cookies`` in the next session), and nobody is an owner:
  everyone who can reach the server can read and save every scenario.
* The scenario on screen is linked to a stored one (id and the version it was
  opened from) only while it descends from what was opened: the link is kept
  with the loaded scenario object, so opening anything else drops it.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

import streamlit as st

from layers.text import script_json
from spatial import Scenario
from spatial.store import Store, open_store

__all__ = ["get_store", "signed_in_user", "auth_configured", "author_name", "remember_author", "write_author_cookie", "StoredRef",
           "stored_ref", "link_to_store", "share_url", "AUTHOR_COOKIE"]

AUTHOR_COOKIE = "footprints_author"
REF_KEY = "store_ref"
AUTHOR_KEY = "store_author"


@st.cache_resource(show_spinner=False)
def _store(url: str, legacy_folder: str | None) -> Store:
    store = open_store(url, import_from=legacy_folder)
    store.purge_bin()  # scenarios binned more than STORE_BIN_DAYS ago
    return store


def get_store() -> Store:
    """The store of this server (raises :class:`~spatial.store.StoreUnavailableError` when it cannot open)."""
    from boundaries.config import settings
    from ui.files import scenarios_dir

    try:
        legacy = scenarios_dir(create=False)
        legacy_folder = str(legacy) if legacy.is_dir() else None
    except OSError:
        legacy_folder = None
    return _store(settings().db_url, legacy_folder)


def auth_configured() -> bool:
    """Whether the deployment configured Streamlit's sign-in (``[auth]`` in secrets.toml)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def signed_in_user() -> str | None:
    """The signed-in user's e-mail (or subject), or ``None`` without sign-in."""
    if not auth_configured():
        return None
    try:
        if st.user.is_logged_in:
            return str(st.user.get("email") or st.user.get("sub") or "") or None
    except Exception:  # noqa: BLE001
        return None
    return None


def author_name() -> str:
    """The author saved with each version: the signed-in user, else the name given this session."""
    user = signed_in_user()
    if user:
        return str(st.user.get("name") or user)
    if AUTHOR_KEY not in st.session_state:
        cookie = st.context.cookies.get(AUTHOR_COOKIE) if st.context.cookies else None
        st.session_state[AUTHOR_KEY] = urllib.parse.unquote(cookie)[:200] if cookie else ""
    return st.session_state[AUTHOR_KEY]


def remember_author(name: str) -> None:
    """Keep ``name`` for this session; :func:`write_author_cookie` then keeps it in the browser."""
    st.session_state[AUTHOR_KEY] = name


def write_author_cookie() -> None:
    """Set the ``footprints_author`` cookie (one year) when this session's name differs from the browser's.

    Called at the end of the page, on a run that is not cut short by a rerun,
    so the one-line script reaches the browser.  The cookie is read back by
    :func:`author_name` in the browser's next session.
    """
    name = st.session_state.get(AUTHOR_KEY, "")
    saved = st.context.cookies.get(AUTHOR_COOKIE) if st.context.cookies else None
    if not name or (saved is not None and urllib.parse.unquote(saved) == name):
        return
    cookie = f"{AUTHOR_COOKIE}={urllib.parse.quote(name, safe='')}; path=/; max-age=31536000; SameSite=Lax"
    st.html(f"<script>document.cookie = {script_json(cookie)};</script>", unsafe_allow_javascript=True)


@dataclass(frozen=True)
class StoredRef:
    """The stored scenario the one on screen comes from."""

    scenario_id: str
    version: int
    loaded: Scenario


def stored_ref(loaded: Scenario | None) -> StoredRef | None:
    """The link for the scenario as loaded (``AppState.compare_with``), if it came from the store."""
    ref = st.session_state.get(REF_KEY)
    if ref is None or loaded is None or ref.loaded is not loaded:
        return None
    return ref


def link_to_store(scenario_id: str, version: int, loaded: Scenario) -> None:
    """Record that ``loaded`` (the scenario as loaded) is ``version`` of ``scenario_id``."""
    st.session_state[REF_KEY] = StoredRef(scenario_id, int(version), loaded)


def share_url(scenario_id: str, version: int | None = None) -> str:
    """The link that opens a scenario (or one version) read-only in any browser."""
    query = urllib.parse.urlencode({"scenario": scenario_id, **({"version": int(version)} if version else {})})
    base = ""
    try:
        url = st.context.url
    except Exception:  # noqa: BLE001
        url = None
    if url:
        parts = urllib.parse.urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}/"
    return f"{base}?{query}"
