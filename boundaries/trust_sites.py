"""Place trusts at a hospital site where the data can match one, else at headquarters.

The 2022 hospital-site list (``nhs/trusts/hospital_sites_2022.csv``) has a
name and a point but **no trust code**, so a site is only ever linked to a
trust by name, and only when the match is unambiguous:

1. both names are reduced to their distinctive words (lower case, ``&`` ->
   ``and``, punctuation and the generic words of :data:`GENERIC_WORDS`
   removed): "Royal Surrey County Hospital NHS Foundation Trust" -> "royal
   surrey county"; "Royal Surrey County Hospital" -> "royal surrey county";
2. a trust matches the sites whose reduced name equals its own exactly;
3. the match is used only if every matched site lies within
   :data:`SAME_SITE_M` of the first (the list repeats sites under several
   names); matched sites further apart (a trust with several hospitals) are
   ambiguous and the trust stays at its headquarters.

Nothing is matched by similarity or distance alone: a trust whose name is
not a site name ("Barts Health") stays at its headquarters, and
:func:`place_trusts` says which, per trust, in ``located_at``.

Data layer (it reads the site list and prepares the trust points that
:mod:`boundaries.flows` reads); it was ``spatial/trust_sites.py``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .config import Settings, settings as default_settings
from .readers import load_dataset
from .registry import get_dataset

__all__ = ["GENERIC_WORDS", "SAME_SITE_M", "reduce_name", "place_trusts"]

#: Words that do not tell one trust or hospital from another.
GENERIC_WORDS = ("nhs", "foundation", "trust", "hospital", "hospitals", "university", "teaching", "the", "of",
                 "and", "healthcare", "health", "care", "group", "general", "district", "infirmary", "service",
                 "services")
#: Two matched site points this close (m) are the same site listed twice: a data tolerance, not a planning rule.
SAME_SITE_M = 1_000.0
_GENERIC_RE = re.compile(r"\b(" + "|".join(GENERIC_WORDS) + r")\b")


def reduce_name(name: str) -> str:
    """The distinctive words of a trust or hospital name."""
    x = str(name).lower().replace("&", " and ")
    x = re.sub(r"[^a-z0-9 ]", " ", x)
    return re.sub(r"\s+", " ", _GENERIC_RE.sub(" ", x)).strip()


def place_trusts(trusts: pd.DataFrame, *, config: Settings | None = None,
                 sites: pd.DataFrame | None = None) -> pd.DataFrame:
    """``trusts`` (``code, name, lon, lat``, headquarters) with site points where matched.

    Returns
    -------
    DataFrame
        The same rows with ``lon, lat`` of the matched site, plus ``located_at``
        (``"site: <name>"``, ``"headquarters"`` or ``"headquarters (n sites match: ambiguous)"``)
        and ``hq_lon, hq_lat``.
    """
    if sites is None:
        config = config or default_settings()
        sites = load_dataset(get_dataset("hospital_sites_2022"), config).frame
    s = sites.assign(key=sites["hospital22_name"].map(reduce_name))
    s = s[s["key"] != ""]
    by_key = {k: g for k, g in s.groupby("key")}
    out = trusts.copy()
    out["hq_lon"], out["hq_lat"] = out["lon"], out["lat"]
    located = []
    for i, row in enumerate(out.itertuples(index=False)):
        g = by_key.get(reduce_name(row.name))
        if g is None:
            located.append("headquarters")
            continue
        e, n = g["easting"].to_numpy(float), g["northing"].to_numpy(float)
        if np.hypot(e - e[0], n - n[0]).max() > SAME_SITE_M:
            located.append(f"headquarters ({len(g)} sites match: ambiguous)")
            continue
        out.iloc[i, out.columns.get_loc("lon")] = float(g["lon"].iloc[0])
        out.iloc[i, out.columns.get_loc("lat")] = float(g["lat"].iloc[0])
        located.append(f"site: {g['hospital22_name'].iloc[0].strip()}")
    out["located_at"] = located
    return out
