"""Preloaded scenarios of today's (2024) geography, built from the lookups when asked for.

They are not files: they come straight from the ONS April 2024 lookup, so
they always match the data loaded.

* ``icbs-2024``: the 42 ICBs (level ``icb``), each with its sub-ICB locations
  as ``multi_place`` footprints inside it (the sub-ICB location is the NHS's
  commissioning "place" above councils: 106 of them);
* ``icb-places-2024``: each ICB with its places (LAD 2024, the whole council),
  parent the ICB: the nesting rule names any council the ICB boundary splits;
* ``london-icbs-2024``: London's five ICBs (the five 2018 STPs, converted,
  are ``london-stps``; ``python -m spatial convert london-stps --to 2024``
  shows them side by side).

Each is built for the region loaded (an ICB, NHS region or England).
"""

from __future__ import annotations

import difflib

from boundaries import Geographies

from .footprints import Footprint, Scenario
from .preloaded import UnknownPreloadedError

__all__ = ["PRELOADED_2024", "list_preloaded_2024", "load_preloaded_2024"]

_SOURCE = ("ONS, 'LSOA (2021) to SICBL to ICB to Cancer Alliances to LAD (April 2024) Lookup in EN'; "
           "Census 2021 usual residents (OGL v3.0)")

PRELOADED_2024 = {
    "icbs-2024": ("ICBs and sub-ICB locations (April 2024)",
                  "Every ICB of the region (level icb) with its sub-ICB locations inside it (multi_place)."),
    "icb-places-2024": ("ICBs and their places (April 2024)",
                        "Every ICB of the region with its places (LAD 2024 councils) as place footprints; a "
                        "council the ICB boundary splits fails nesting."),
    "london-icbs-2024": ("London's five ICBs (April 2024)",
                         "North West, North Central, North East, South East and South West London ICBs; compare "
                         "with the five 2018 STPs (preloaded london-stps, converted to 2024)."),
}


def list_preloaded_2024() -> list[tuple[str, str, str]]:
    """``(id, name, description)`` of the 2024 preloaded scenarios."""
    return [(k, n, d) for k, (n, d) in PRELOADED_2024.items()]


def _short(name: str) -> str:
    return name.replace("NHS ", "").replace(" Integrated Care Board", " ICB")


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
    if sid == "london-icbs-2024":
        units = units[units["borough"].astype(str).str.startswith("E09")]
    icbs = units[["stp", "stp_name", "stp_nhs"]].drop_duplicates().sort_values("stp")
    fps: list[Footprint] = []
    for icb in icbs.itertuples(index=False):
        name = _short(icb.stp_name)
        fps.append(Footprint(name, "icb", (icb.stp,), notes=f"NHS code {icb.stp_nhs}"))
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
    return Scenario(title, tuple(fps), description=desc, source=_SOURCE, year=2021, geography="2024",
                    region=region)
