"""How well two layers match: one classification of pairs of areas, for the summary and the map.

Every pair ``(A_i, B_j)`` is classed from A's side by its two shares (of A in
B, ``s_a``, and of B in A, ``s_b``) and the coterminosity threshold ``t``:

* ``coterminous``: ``s_a >= t`` and ``s_b >= t``;
* ``within``: ``s_a >= t`` (A lies within a larger B);
* ``mostly``: ``s_a >= MAJORITY`` (at least half of A lies in B);
* ``split``: otherwise.

:func:`overlap_summary` gives each A its best B and that pair's class;
:func:`overlap_pieces` draws every shared piece, classed by the same function
from both sides.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import OverlapError
from ..geometry import dissolve
from ..index import UnitIndex
from ..limits import MAJORITY
from ..text import percent
from ..thresholds import Thresholds
from .layers import MEASURES, OverlapLayer

__all__ = ["MATCHES", "PIECE_KINDS", "match_class", "overlap_summary", "overlap_pieces"]

#: Classes of a pair of areas seen from A, best first (see :func:`match_class`).
MATCHES = ("coterminous", "within", "mostly", "split")
#: Kinds of overlap piece on the Overlaps map, in legend order (see :func:`overlap_pieces`).
PIECE_KINDS = ("matching", "main part, boundaries differ", "part lying in another area")


def match_class(share_a, share_b, coterminous_min: float) -> np.ndarray:
    """The class of each pair of areas from A's side: one of :data:`MATCHES`.

    Parameters
    ----------
    share_a, share_b : float or array_like
        Share of A lying in B and share of B lying in A (fractions in [0, 1]).
    coterminous_min : float
        The coterminosity threshold ``t`` (``Thresholds().coterminous_min``).

    Returns
    -------
    ndarray of str
        Same shape as the shares.

    Notes
    -----
    ``coterminous`` if ``s_a >= t`` and ``s_b >= t``; else ``within`` if
    ``s_a >= t``; else ``mostly`` if ``s_a >= MAJORITY`` (0.5); else ``split``.
    A share is ``overlap / total of A`` (or of B), by residents or by area.
    """
    sa, sb = np.asarray(share_a, dtype=float), np.asarray(share_b, dtype=float)
    t = float(coterminous_min)
    return np.select([(sa >= t) & (sb >= t), sa >= t, sa >= MAJORITY], MATCHES[:3], MATCHES[3])


def _share_columns(table: pd.DataFrame, by: str) -> tuple[str, str]:
    """The share columns of ``by`` in a table of any of the overlap functions (:class:`OverlapError` if none)."""
    suffix = {"population": "pop", "area": "area"}[by]
    if f"share_of_a_{suffix}" in table:
        return f"share_of_a_{suffix}", f"share_of_b_{suffix}"
    measure = table.attrs.get("measure")
    wanted = "overlap_population" if by == "population" else "overlap_area_m2"
    if "share_of_a" in table and (measure == wanted or wanted in table):
        return "share_of_a", "share_of_b"
    raise OverlapError(f"the table has no {by} shares", where="overlap table",
                       fix=f"build it with by including {by!r}")


def overlap_summary(table: pd.DataFrame, by: str = "population", coterminous_min: float | None = None) -> pd.DataFrame:
    """One row per area of A: its best-matching area of B and how well they match.

    Parameters
    ----------
    table : DataFrame
        From :func:`overlap_table`, :func:`population_overlap` or :func:`area_overlap`.
        Only A areas present in the table are summarised.
    by : {"population", "area"}
        Which shares to use.
    coterminous_min : float, optional
        Default ``Thresholds().coterminous_min`` (95%, "typically 95%+ coterminous").

    Returns
    -------
    DataFrame
        ``a_code, a_name, b_code, b_name`` (the B area holding the largest share
        of A), ``share_of_a, share_of_b`` for that pair, ``n_overlaps`` (B areas
        with a share of A), ``match`` and ``reason``.  ``match`` is

        * ``coterminous``: both shares at least ``coterminous_min``;
        * ``within``: at least ``coterminous_min`` of A lies in B, but B is larger;
        * ``mostly``: at least half of A (:data:`~spatial.limits.MAJORITY`) lies in B;
        * ``split``: otherwise.

    Notes
    -----
    ``match`` is :func:`match_class` of the best pair's shares.  The
    population-weighted share of A in B is ``pop(A ∩ B) / pop(A)``, the area
    share ``area(A ∩ B) / area(A)``.
    """
    if by not in MEASURES:
        raise OverlapError(f"unknown measure {by!r}", fix="use by='population' or 'area'")
    t = Thresholds().coterminous_min if coterminous_min is None else float(coterminous_min)
    if not 0 < t <= 1:
        raise OverlapError(f"coterminous_min must be a share in (0, 1], not {t}", where="coterminous_min",
                           fix="give shares as fractions, e.g. 0.95")
    sa, sb = _share_columns(table, by)
    word, verb = ("residents", "live") if by == "population" else ("area", "lies")
    rows = []
    work = table[table[sa] > 0].sort_values(["a_code", sa, "b_code"], ascending=[True, False, True], kind="stable")
    for a_code, group in work.groupby("a_code", sort=False):
        best = group.iloc[0]
        share_a, share_b = float(best[sa]), float(best[sb])
        a_name, b_name = best["a_name"], best["b_name"]
        match = str(match_class(share_a, share_b, t))
        if match == "coterminous":
            reason = (f"{percent(share_a)} of {a_name}'s {word} {verb} in {b_name}, and {percent(share_b)} of "
                      f"{b_name}'s {verb} in {a_name}: coterminous (both at least {percent(t)})")
        elif match == "within":
            reason = (f"{a_name} lies within {b_name} ({percent(share_a)} of its {word}), but is only "
                      f"{percent(share_b)} of {b_name}")
        else:
            others = "; ".join(f"{r.b_name} {percent(getattr(r, sa))}" for r in group.iloc[1:4].itertuples())
            more = f" and {len(group) - 4} more" if len(group) > 4 else ""
            if match == "mostly":
                reason = (f"most of {a_name}'s {word} ({percent(share_a)}) {verb} in {b_name}, below {percent(t)} "
                          f"for coterminous; the rest in {others}{more}")
            else:
                reason = (f"{a_name} is split: no area holds half of its {word} or more "
                          f"({b_name} {percent(share_a)}; {others}{more})")
        rows.append({"a_code": a_code, "a_name": a_name, "b_code": best["b_code"], "b_name": b_name,
                     "share_of_a": share_a, "share_of_b": share_b, "n_overlaps": len(group),
                     "match": match, "reason": reason})
    out = pd.DataFrame(rows, columns=["a_code", "a_name", "b_code", "b_name", "share_of_a", "share_of_b",
                                      "n_overlaps", "match", "reason"])
    order = {c: i for i, c in enumerate(dict.fromkeys(table["a_code"]))}
    out = out.assign(_o=out["a_code"].map(order)).sort_values("_o", ignore_index=True).drop(columns="_o")
    out.attrs = {**table.attrs, "summary_by": by, "coterminous_min": t}
    return out


def overlap_pieces(la: OverlapLayer, lb: OverlapLayer, table: pd.DataFrame, index: UnitIndex,
                   coterminous_min: float) -> gpd.GeoDataFrame:
    """The pieces ``A ∩ B`` of two overlap layers, built from the units they share, for the map.

    Parameters
    ----------
    la, lb : OverlapLayer
    table : DataFrame
        From :func:`spatial.overlaps.overlap_table` (population shares).
    index : UnitIndex
    coterminous_min : float
        The scenario's coterminosity threshold.

    Returns
    -------
    GeoDataFrame
        EPSG:27700; ``code, name, residents, share_of_a, share_of_b, kind`` where
        ``kind`` is one of :data:`PIECE_KINDS`: *matching* when the pair is
        coterminous (both shares at least ``coterminous_min``); *main part* when
        at least half (:data:`~spatial.limits.MAJORITY`) of each lies in the
        other; otherwise *part lying in another area* (e.g. the City of London
        within City and Hackney CCG).

    Notes
    -----
    With ``c_ab = match_class(s_a, s_b, t)`` and ``c_ba = match_class(s_b, s_a, t)``
    (:func:`match_class`, population shares): *matching* when ``c_ab`` is
    ``coterminous``; *main part* when neither ``c_ab`` nor ``c_ba`` is ``split``
    (both shares at least ``min(t, MAJORITY)``, which is ``MAJORITY`` here since a
    pair with both shares at least ``t`` is already matching); otherwise the
    third kind.
    """
    pos_a = {str(c): i for i, c in enumerate(la.codes)}
    pos_b = {str(c): i for i, c in enumerate(lb.codes)}
    geoms = index.geo.units.geometry.to_numpy()
    rows = table[table["shared_units"] > 0]
    shapes = [dissolve(geoms, np.intersect1d(la.units_of(pos_a[str(a)]), lb.units_of(pos_b[str(b)])))
              for a, b in zip(rows["a_code"], rows["b_code"])]
    sa, sb = rows["share_of_a_pop"].to_numpy(dtype=float), rows["share_of_b_pop"].to_numpy(dtype=float)
    ab, ba = match_class(sa, sb, coterminous_min), match_class(sb, sa, coterminous_min)
    kinds = np.select([ab == "coterminous", (ab != "split") & (ba != "split")], PIECE_KINDS[:2], PIECE_KINDS[2])
    return gpd.GeoDataFrame({
        "code": [f"{a}|{b}" for a, b in zip(rows["a_code"], rows["b_code"])],
        "name": [f"{a} ∩ {b}" for a, b in zip(rows["a_name"], rows["b_name"])],
        "residents": rows["overlap_population"].to_numpy(),
        "share_of_a": [percent(v) for v in sa],
        "share_of_b": [percent(v) for v in sb],
        "kind": list(kinds),
    }, geometry=shapes, crs=index.geo.units.crs)
