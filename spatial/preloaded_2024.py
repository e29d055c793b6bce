"""Preloaded scenarios of today's (2024) geography, built from the lookups when asked for.

They are not files: they come straight from the ONS April 2024 lookup, so
they always match the data loaded.

* ``icbs-2024``: the 42 ICBs (level ``icb``), each with its sub-ICB locations
  as ``multi_place`` footprints inside it (the sub-ICB location is the NHS's
  commissioning "place" above councils: 106 of them);
* ``icb-places-2024``: each ICB with its places (LAD 2024, the whole council),
  parent the ICB: the nesting rule names any council the ICB boundary splits;
* ``london-icbs-2024``: London's five ICBs, each beside its 2018 STP
  (:func:`london_icbs_beside_stps`: the ICB's Census 2021 residents next to
  the STP's mid-2017 ones, computed from the two geographies' units, in the
  description and each footprint's notes).  The five 2018 STPs converted
  are ``python -m spatial convert london-stps --to 2024``.

Each is built for the region loaded (an ICB, NHS region or England).
"""

from __future__ import annotations

import difflib

import pandas as pd

from boundaries import DataError, Geographies

from .footprints import Footprint, Scenario
from .preloaded import UnknownPreloadedError

__all__ = ["PRELOADED_2024", "list_preloaded_2024", "load_preloaded_2024", "london_icbs_beside_stps"]

_SOURCE = ("ONS, 'LSOA (2021) to SICBL to ICB to Cancer Alliances to LAD (April 2024) Lookup in EN'; "
           "Census 2021 usual residents (OGL v3.0)")

PRELOADED_2024 = {
    "icbs-2024": ("ICBs and sub-ICB locations (April 2024)",
                  "Every ICB of the region (level icb) with its sub-ICB locations inside it (multi_place)."),
    "icb-places-2024": ("ICBs and their places (April 2024)",
                        "Every ICB of the region with its places (LAD 2024 councils) as place footprints; a "
                        "council the ICB boundary splits fails nesting."),
    "london-icbs-2024": ("London's five ICBs (April 2024)",
                         "North West, North Central, North East, South East and South West London ICBs, each "
                         "beside its 2018 STP (the five STPs converted: python -m spatial convert london-stps "
                         "--to 2024)."),
}


def list_preloaded_2024() -> list[tuple[str, str, str]]:
    """``(id, name, description)`` of the 2024 preloaded scenarios."""
    return [(k, n, d) for k, (n, d) in PRELOADED_2024.items()]


def _short(name: str) -> str:
    return name.replace("NHS ", "").replace(" Integrated Care Board", " ICB")


def london_icbs_beside_stps(geo: Geographies, london18: Geographies | None = None) -> pd.DataFrame:
    """Each London ICB (April 2024) beside the 2018 STP its residents' 2011 areas were in.

    Parameters
    ----------
    geo : Geographies
        A 2024 geography (its London units are used).
    london18 : Geographies, optional
        London 2018 (LSOA 2011, mid-2017); loaded from the processed cache when omitted.

    Returns
    -------
    DataFrame
        One row per ICB: ``icb, icb_name, icb_nhs, icb_population`` (Census 2021),
        ``icb_units`` (LSOAs 2021), ``stp18, stp18_name, stp18_population`` (mid-2017),
        ``stp18_units`` (LSOAs 2011) and ``share_from_stp``.

    Notes
    -----
    Each LSOA 2021 is placed in the STP of its 2011 parent (the first in code order
    for the few merged ones, the ``lsoa11`` column).  The STP shown is the one that
    holds most of the ICB's residents, and ``share_from_stp`` is that share:

    .. math:: s = \\frac{\\sum_{j \\in ICB,\\ parent(j) \\in STP} P^{2021}_j}{\\sum_{j \\in ICB} P^{2021}_j}
    """
    from boundaries import load_geographies

    units = geo.units[geo.units["borough"].astype(str).str.startswith("E09")]
    old = (london18 or load_geographies("london", year=2017)).units
    stp_of = old.set_index("code")["stp"]
    u = pd.DataFrame({"icb": units["stp"].to_numpy(), "pop": units["pop_2021"].to_numpy(),
                      "stp18": units["lsoa11"].map(stp_of).to_numpy()})
    pair = (u.groupby(["icb", "stp18"])["pop"].sum().reset_index()
            .sort_values(["icb", "pop"], ascending=[True, False]).drop_duplicates("icb").set_index("icb"))
    icb = units.groupby("stp").agg(icb_name=("stp_name", "first"), icb_nhs=("stp_nhs", "first"),
                                   icb_population=("pop_2021", "sum"), icb_units=("code", "size"))
    stp = old.groupby("stp").agg(stp18_name=("stp_name", "first"), stp18_population=("pop_2017", "sum"),
                                 stp18_units=("code", "size"))
    out = icb.join(pair["stp18"]).join(stp, on="stp18")
    out["share_from_stp"] = pair["pop"] / out["icb_population"]
    out.index.name = "icb"
    return out.reset_index()


def _beside_stps(geo: Geographies) -> tuple[str, dict[str, str]]:
    """Description sentence and per-ICB notes for ``london-icbs-2024``."""
    try:
        t = london_icbs_beside_stps(geo)
    except DataError as err:  # the 2018 London data cannot be read: say so, keep the scenario
        return f" The 2018 STPs could not be shown beside them: {err}", {}
    notes, parts = {}, []
    for r in t.itertuples(index=False):
        notes[r.icb] = (f"2018 STP {r.stp18_name} ({r.stp18}): {r.stp18_population:,} residents (mid-2017, "
                        f"{r.stp18_units:,} LSOAs 2011); this ICB: {r.icb_population:,} (Census 2021, "
                        f"{r.icb_units:,} LSOAs 2021), {r.share_from_stp:.1%} of them in LSOAs whose 2011 parent "
                        "was in that STP")
        parts.append(f"{_short(r.icb_name)} {r.icb_population:,} beside STP {r.stp18_name} {r.stp18_population:,}")
    return (" Beside the 2018 STPs (ICB: Census 2021 residents; STP: mid-2017): " + "; ".join(parts) + "."), notes


def load_preloaded_2024(id_or_name: str, geo: Geographies) -> Scenario:
    """Build a 2024 preloaded scenario for the units of ``geo`` (a 2024 geography).

    Raises
    ------
    UnknownPreloadedError
        An id that is not one of :data:`PRELOADED_2024`.
    """
    key = str(id_or_name).strip().casefold()
    ids = {k: k for k in PRELOADED_2024} | {v[0].casefold(): k for k, v in PRELOADED_2024.items()}
    if key not in ids:
        raise UnknownPreloadedError(id_or_name, difflib.get_close_matches(key, list(PRELOADED_2024), n=2),
                                    list(PRELOADED_2024))
    sid = ids[key]
    units = geo.units
    region = geo.area or geo.region
    beside, stp_notes = "", {}
    if sid == "london-icbs-2024":
        units = units[units["borough"].astype(str).str.startswith("E09")]
        beside, stp_notes = _beside_stps(geo)
    icbs = units[["stp", "stp_name", "stp_nhs"]].drop_duplicates().sort_values("stp")
    fps: list[Footprint] = []
    for icb in icbs.itertuples(index=False):
        name = _short(icb.stp_name)
        extra = f"; {stp_notes[icb.stp]}" if icb.stp in stp_notes else ""
        fps.append(Footprint(name, "icb", (icb.stp,), notes=f"NHS code {icb.stp_nhs}{extra}"))
        inside = units[units["stp"] == icb.stp]
        if sid == "icbs-2024":
            subs = inside[["ccg", "ccg_name", "ccg_nhs"]].drop_duplicates().sort_values("ccg")
            if len(subs) > 1:
                for sub in subs.itertuples(index=False):
                    fps.append(Footprint(f"{sub.ccg_name} ({sub.ccg_nhs})", "multi_place", (sub.ccg,),
                                         parent=name, notes="sub-ICB location"))
        elif sid == "icb-places-2024":
            places = inside[["borough", "borough_name"]].drop_duplicates().sort_values("borough")
            for place in places.itertuples(index=False):
                label = place.borough_name if place.borough_name not in {f.name for f in fps} else \
                    f"{place.borough_name} ({name})"
                fps.append(Footprint(label, "place", (place.borough,), parent=name))
    title, desc = PRELOADED_2024[sid]
    return Scenario(title, tuple(fps), description=desc + beside, source=_SOURCE, year=2021, geography="2024",
                    region=region)
