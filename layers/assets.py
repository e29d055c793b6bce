"""Leaflet without a network: local assets, self-contained HTML, Streamlit wiring.

What folium does by default
---------------------------
``folium.Map.default_js`` / ``default_css`` (folium 0.20) point at CDNs:
Leaflet 1.9.3 (jsdelivr), jQuery, Bootstrap 5 JS and CSS, Bootstrap 3
glyphicons, Leaflet.awesome-markers JS and CSS, Font Awesome 6 and folium's
``leaflet.awesome.rotate.css`` -- ten requests, of which we need Leaflet
alone (we draw polygons, lines, circle markers and HTML div-icons; no
awesome-markers, no Bootstrap, no jQuery since every layer is embedded).
The default basemap (OpenStreetMap tiles) needs the network too; our maps
have no tiles unless asked for (``tiles=None``): the polygons are the map.

Leaflet itself is installed with the ``XStatic-Leaflet`` package
(``xstatic.pkg.leaflet``, version 1.9.3, ``data/leaflet.js``,
``data/leaflet.css``, ``data/images/*.png``) -- the same version folium
0.20 asks for.

* :func:`offline_map` points a map's Leaflet links at those files and drops
  every other default asset; :func:`new_map` makes a map that way.
* :func:`self_contained_html` renders a map and inlines every script and
  stylesheet (Leaflet's CSS images become data URIs), so the file opens in a
  room with no network.  A remote asset it cannot inline raises
  :class:`AssetError` rather than leaving a silent hole.

What streamlit-folium 0.27.4 does (read from its installed source,
``streamlit_folium/__init__.py`` and the bundled ``frontend/build``)
--------------------------------------------------------------------
* It does **not** bundle Leaflet.  The frontend bundle
  (``frontend/build/static/js/main.*.js``, source ``index.tsx`` in its source
  map) only has ``@types/leaflet``; it uses ``window.L`` from a script it
  loads at run time.
* ``st_folium`` walks the map and collects ``default_js`` / ``default_css``
  of every ``JSCSSMixin`` element (the ``Map`` first; d3 from two CDNs when a
  branca colormap is present) and sends them as ``js_links`` / ``css_links``.
* The component iframe (``<base>/component/streamlit_folium.st_folium/
  index.html``) adds each JS link as ``<script src>`` **one after another,
  and rejects on the first ``onerror``**: with folium's defaults and no
  network, jQuery/Bootstrap fail, the promise rejects and the map is never
  created -- a blank map even if Leaflet itself were reachable.  CSS links are
  added as ``<link>`` tags (failures are ignored).
* From folium's header it removes every ``<script src>`` and
  ``<link rel="stylesheet" href>``, keeps inline ``<style>`` and appends the
  rest with ``innerHTML`` (so inline ``<script>`` in the header never runs).
  The map script itself runs via a created ``<script>`` element.

So for an offline Streamlit app, the map's ``default_js`` must hold only
URLs that load inside that iframe.  Two ways, both in this module and wired by
:func:`ui.components.st_folium_assets.prepare_st_folium`:

1. **static serving** (preferred; the browser caches Leaflet): start
   Streamlit with ``server.enableStaticServing = true`` (``.streamlit/
   config.toml`` ``[server] enableStaticServing = true``, or
   ``--server.enableStaticServing true``, or
   ``STREAMLIT_SERVER_ENABLE_STATIC_SERVING=true``), copy the assets at
   start-up into ``static/`` next to ``app.py`` with
   :func:`install_static_assets` (``static/`` is gitignored), and point the
   map at them with :func:`offline_map` using :func:`static_urls`.  Streamlit
   serves ``<app dir>/static/x`` at ``<base>/app/static/x``; since the
   iframe lives at ``<base>/component/streamlit_folium.st_folium/``, the
   URL must be ``../../app/static/...`` (a bare ``app/static/...`` would
   resolve under ``/component/...`` and 404; ``/app/static/...`` breaks with
   ``server.baseUrlPath``).
2. **data URLs** (no server configuration): :func:`data_urls` gives
   ``data:`` URLs with Leaflet inside (about 200 kB, resent on every rerun).
"""

from __future__ import annotations

import base64
import functools
import mimetypes
import re
from pathlib import Path
from typing import TYPE_CHECKING

from boundaries.files import atomic_write_bytes

if TYPE_CHECKING:  # folium is imported where a map is made: importing it costs ~0.8 s at app start
    import branca.element
    import folium

__all__ = [
    "LEAFLET_VERSION",
    "STATIC_SUBDIR",
    "AssetError",
    "leaflet_dir",
    "leaflet_js",
    "leaflet_css",
    "offline_map",
    "new_map",
    "self_contained_html",
    "install_static_assets",
    "static_urls",
    "data_urls",
]

#: The Leaflet version folium 0.20 is written for and XStatic-Leaflet provides.
LEAFLET_VERSION = "1.9.3"
#: Folder under ``static/`` that :func:`install_static_assets` fills.
STATIC_SUBDIR = f"leaflet-{LEAFLET_VERSION}"

_FOLIUM_JS_NAMES = {"leaflet", "jquery", "bootstrap", "awesome_markers"}
_FOLIUM_CSS_NAMES = {
    "leaflet_css", "bootstrap_css", "glyphicons_css", "awesome_markers_font_css",
    "awesome_markers_css", "awesome_rotate_css",
}


class AssetError(RuntimeError):
    """A map asset is missing or cannot be made available offline."""


def leaflet_dir() -> Path:
    """Folder holding the installed Leaflet (``xstatic.pkg.leaflet``).

    Returns
    -------
    Path

    Raises
    ------
    AssetError
        If XStatic-Leaflet is missing, not version 1.9.3, or incomplete.
    """
    try:
        from xstatic.pkg import leaflet as xs
    except ImportError as exc:  # pragma: no cover - pinned in requirements.txt
        raise AssetError(
            "XStatic-Leaflet is not installed; run `pip install XStatic-Leaflet==1.9.3.0`"
        ) from exc
    if xs.VERSION != LEAFLET_VERSION:
        raise AssetError(
            f"XStatic-Leaflet provides Leaflet {xs.VERSION}, folium needs {LEAFLET_VERSION}; "
            "install XStatic-Leaflet==1.9.3.0"
        )
    base = Path(xs.BASE_DIR)
    for name in ("leaflet.js", "leaflet.css", "images"):
        if not (base / name).exists():
            raise AssetError(f"{base / name} is missing; reinstall XStatic-Leaflet==1.9.3.0")
    return base


def leaflet_js() -> Path:
    """Path of the installed ``leaflet.js``."""
    return leaflet_dir() / "leaflet.js"


def leaflet_css() -> Path:
    """Path of the installed ``leaflet.css``."""
    return leaflet_dir() / "leaflet.css"


def offline_map(m: folium.Map, *, js_url: str | None = None, css_url: str | None = None) -> folium.Map:
    """Make a map load only Leaflet, from a local (or given) URL.

    Parameters
    ----------
    m : folium.Map
        Changed in place (its own ``default_js`` / ``default_css``; folium's
        class-level lists are left alone).
    js_url, css_url : str, optional
        Where the page should load Leaflet from.  Default: ``file://`` URLs
        of the installed files (fine for a local file;
        :func:`self_contained_html` inlines them anyway).  For Streamlit see
        :func:`static_urls` and :func:`data_urls`.

    Returns
    -------
    folium.Map
        ``m``.
    """
    m.default_js = [("leaflet", js_url or leaflet_js().as_uri())]
    m.default_css = [("leaflet_css", css_url or leaflet_css().as_uri())]
    import branca.element

    # if the map was rendered before, its figure already holds CDN links
    root = m.get_root()
    if isinstance(root, branca.element.Figure):
        for name in _FOLIUM_JS_NAMES | _FOLIUM_CSS_NAMES:
            root.header._children.pop(name, None)
    return m


def new_map(**kwargs) -> folium.Map:
    """A ``folium.Map`` with no basemap that loads only local Leaflet.

    Parameters
    ----------
    **kwargs
        Passed to :class:`folium.Map`; ``tiles`` defaults to ``None``.

    Returns
    -------
    folium.Map
    """
    import folium

    kwargs.setdefault("tiles", None)
    return offline_map(folium.Map(**kwargs))


# --- self-contained HTML ---------------------------------------------------

_SCRIPT_SRC = re.compile(
    r"""<script\b[^>]*?\bsrc\s*=\s*(["'])(?P<url>[^"']+)\1[^>]*>\s*</script\s*>""",
    re.IGNORECASE | re.DOTALL,
)
_CSS_LINK = re.compile(
    r"""<link\b(?=[^>]*\brel\s*=\s*["']?stylesheet)[^>]*?\bhref\s*=\s*(["'])(?P<url>[^"']+)\1[^>]*/?>""",
    re.IGNORECASE | re.DOTALL,
)
_CSS_URL = re.compile(r"""url\(\s*(["']?)(?P<url>[^)"']+)\1\s*\)""")
_SOURCE_MAP = re.compile(r"^\s*//[#@]\s*sourceMappingURL=.*$", re.MULTILINE)
_LEAFLET_CDN = re.compile(r"leaflet@?[/-]?1\.9\.3/(dist/)?(?P<file>leaflet\.(js|css))$")


def _local_path(url: str) -> Path | None:
    """The local file behind an asset URL, or None if it is remote."""
    if url.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(url).path))
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if url.startswith(("http://", "https://", "//")):
        m = _LEAFLET_CDN.search(url.split("?", 1)[0])
        return leaflet_dir() / m.group("file") if m else None
    if url.startswith("data:"):
        return None
    # relative URL such as ../../app/static/leaflet-1.9.3/leaflet.js
    if STATIC_SUBDIR in url and name in ("leaflet.js", "leaflet.css"):
        return leaflet_dir() / name
    path = Path(url)
    return path if path.is_file() else None


def _inline_css(css: str, base: Path) -> str:
    def repl(match: re.Match) -> str:
        ref = match.group("url")
        if ref.startswith(("data:", "#", "http:", "https:")):
            return match.group(0)
        target = (base / ref).resolve()
        if not target.is_file():
            return match.group(0)
        return f'url("{_data_uri(target)}")'

    return _CSS_URL.sub(repl, css)


def _data_uri(path: Path, mime: str | None = None) -> str:
    mime = mime or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _script_text(path: Path) -> str:
    js = _SOURCE_MAP.sub("", path.read_text(encoding="utf-8"))
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)


def _style_text(path: Path) -> str:
    css = _inline_css(path.read_text(encoding="utf-8"), path.parent)
    return re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)


def self_contained_html(m: folium.Map | branca.element.Element | str, *, on_remote: str = "error") -> str:
    """Render a map to one HTML document with every script and style inline.

    Parameters
    ----------
    m : folium.Map, branca Figure or str
        The map, or HTML already rendered from one.
    on_remote : {"error", "drop"}
        What to do with a script or stylesheet that is neither local nor a
        known Leaflet 1.9.3 URL: raise :class:`AssetError` (default) or leave
        it out.

    Returns
    -------
    str
        HTML that needs no network (no ``<script src>``, no stylesheet links
        except ``data:`` ones).

    Raises
    ------
    AssetError
        For a remote asset when ``on_remote="error"``.
    """
    if isinstance(m, str):
        html = m
    else:
        import folium

        if isinstance(m, folium.Map) and getattr(m, "default_js", None) is folium.Map.default_js:
            offline_map(m)
        html = m.get_root().render()

    def handle_remote(url: str) -> str:
        if on_remote == "drop":
            return ""
        raise AssetError(
            f"{url} is not available offline; add the file locally or pass on_remote='drop'"
        )

    def script_repl(match: re.Match) -> str:
        url = match.group("url")
        path = _local_path(url)
        if url.startswith("data:"):
            return match.group(0)
        if path is None or not path.is_file():
            return handle_remote(url)
        return f"<script>{_script_text(path)}</script>"

    def css_repl(match: re.Match) -> str:
        url = match.group("url")
        if url.startswith("data:"):
            return match.group(0)
        path = _local_path(url)
        if path is None or not path.is_file():
            return handle_remote(url)
        return f"<style>{_style_text(path)}</style>"

    html = _SCRIPT_SRC.sub(script_repl, html)
    html = _CSS_LINK.sub(css_repl, html)
    return _with_lang_and_title(html)


_HTML_TAG = re.compile(r"<html(?P<attrs>[^>]*)>", re.I)
_HEAD_TAG = re.compile(r"<head[^>]*>", re.I)


def _with_lang_and_title(html: str, title: str = "Footprints map") -> str:
    """Give the document a language and a title when it has none (WCAG 3.1.1, 2.4.2; axe-core checks both)."""
    m = _HTML_TAG.search(html)
    if m and not re.search(r"\blang\s*=", m.group("attrs"), re.I):
        html = html[:m.start()] + f'<html lang="en"{m.group("attrs")}>' + html[m.end():]
    if not re.search(r"<title[\s>]", html, re.I):
        h = _HEAD_TAG.search(html)
        if h:
            html = html[:h.end()] + f"<title>{title}</title>" + html[h.end():]
    return html


# --- Streamlit (no streamlit import needed here) ----------------------------

def install_static_assets(static_dir: Path | str) -> Path:
    """Copy Leaflet's JS, CSS and images into a Streamlit ``static/`` folder.

    Files are copied only when missing or different, each through a
    temporary file and :func:`os.replace`, so concurrent app starts are safe.

    Parameters
    ----------
    static_dir : path-like
        The ``static`` folder next to ``app.py``.

    Returns
    -------
    Path
        ``static_dir / STATIC_SUBDIR``.
    """
    src = leaflet_dir()
    dest = Path(static_dir) / STATIC_SUBDIR
    files = [src / "leaflet.js", src / "leaflet.css", *sorted((src / "images").glob("*.png"))]
    for f in files:
        target = dest / f.relative_to(src)
        if target.is_file() and target.read_bytes() == f.read_bytes():
            continue
        atomic_write_bytes(target, f.read_bytes(), mode=0o644)
    return dest


def static_urls(prefix: str = "../../app/static") -> tuple[str, str]:
    """URLs of Leaflet JS and CSS as served by Streamlit static serving.

    Parameters
    ----------
    prefix : str
        URL of the app's ``static/`` folder as seen from the streamlit-folium
        iframe (``<base>/component/streamlit_folium.st_folium/index.html``).

    Returns
    -------
    (str, str)
        JS URL and CSS URL.
    """
    base = f"{prefix.rstrip('/')}/{STATIC_SUBDIR}"
    return f"{base}/leaflet.js", f"{base}/leaflet.css"


@functools.lru_cache(maxsize=1)
def data_urls() -> tuple[str, str]:
    """Leaflet JS and CSS (with its images) as ``data:`` URLs.

    Returns
    -------
    (str, str)
        JS URL and CSS URL.
    """
    js = _SOURCE_MAP.sub("", leaflet_js().read_text(encoding="utf-8"))
    css = _inline_css(leaflet_css().read_text(encoding="utf-8"), leaflet_dir())
    enc = lambda s: base64.b64encode(s.encode("utf-8")).decode("ascii")  # noqa: E731
    return f"data:text/javascript;base64,{enc(js)}", f"data:text/css;base64,{enc(css)}"

