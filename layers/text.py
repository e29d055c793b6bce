"""Text that goes on a map: escaping and number formatting.

Every string that comes from data or from a user (area and footprint names,
titles, legend entries, tooltip labels and values, layer names) passes
through :func:`escape_text` before it reaches folium or Leaflet.

Why we escape ourselves (checked against folium 0.20 and Leaflet 1.9.3):

* ``folium.GeoJsonTooltip`` / ``GeoJsonPopup`` build
  ``<th>alias</th><td>value</td>`` with a JavaScript template string and set
  it as ``innerHTML``: property values and aliases are **not** escaped, so a
  name like ``<img src=x onerror=alert(1)>`` runs.
* ``folium.Tooltip(text)`` and ``folium.Popup(html)`` paste the text into a
  JavaScript template literal inside ``<script>``: ``</script>`` ends the
  script block, and a backtick or ``${...}`` runs code, so HTML escaping
  alone is not enough there.
* Leaflet's layer control sets layer names with ``innerHTML``.
* ``L.divIcon({html})`` (our labels) and our legend and title controls
  also use ``innerHTML``.

:func:`escape_text` therefore escapes ``& < > " '`` (``html.escape``) and
also the backtick, ``$``, ``{``, ``}`` and backslash as numeric character
references: the result is inert as HTML text, inside an attribute, and inside
a JavaScript template literal, and it still displays exactly the original
characters.  Data embedded as JSON in a script goes through Jinja's
``tojson`` (or :func:`script_json`), which escapes ``<``, ``>``, ``&`` and
``'`` so it cannot close the ``<script>`` element.
"""

from __future__ import annotations

import html
import json
import math
import numbers
from typing import Any

__all__ = ["escape_text", "format_value", "script_json"]

_EXTRA = str.maketrans({
    "`": "&#96;",
    "$": "&#36;",
    "{": "&#123;",
    "}": "&#125;",
    "\\": "&#92;",
})


def escape_text(value: Any) -> str:
    """Escape any value for display as text in HTML built by folium/Leaflet.

    Parameters
    ----------
    value : object
        Converted with ``str`` first; ``None`` becomes an empty string.

    Returns
    -------
    str
        Text safe as HTML content, in an attribute and in a JavaScript
        template literal; it renders as the original characters.

    Examples
    --------
    >>> escape_text("<b>Kingston & Richmond</b>")
    '&lt;b&gt;Kingston &amp; Richmond&lt;/b&gt;'
    >>> escape_text("${x}`")
    '&#36;&#123;x&#125;&#96;'
    """
    if value is None:
        return ""
    return html.escape(str(value), quote=True).translate(_EXTRA)


def format_value(value: Any) -> str:
    """Format a number or value for a tooltip or table cell (not escaped).

    Integers get thousands separators, floats keep up to two decimals,
    booleans become ``yes`` / ``no``, missing values an em dash.

    Parameters
    ----------
    value : object

    Returns
    -------
    str
    """
    if value is None:
        return "\u2014"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "\u2014"
        if v.is_integer() and abs(v) >= 1:
            return f"{int(v):,}"
        return f"{v:,.2f}".rstrip("0").rstrip(".") if abs(v) < 1e15 else f"{v:.3g}"
    try:
        import pandas as pd

        if pd.isna(value):
            return "\u2014"
    except (TypeError, ValueError):
        pass
    return str(value)


def script_json(obj: Any) -> str:
    """JSON for embedding inside a ``<script>`` element.

    Compact, and with ``<``, ``>``, ``&`` and ``'`` written as ``\\uXXXX`` so
    no string in ``obj`` can close the script element or open a comment.

    Parameters
    ----------
    obj : JSON-serialisable object

    Returns
    -------
    str
    """
    return (
        json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
