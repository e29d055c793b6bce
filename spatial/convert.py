"""Convert a scenario between the 2018 and 2024 geographies through the ONS LSOA 2011 -> 2021 lookup.

How units map
-------------
The lookup is many-to-many (change codes U unchanged, S split, M merged, X
irregular).  Each lookup row (LSOA 2011 *a*, LSOA 2021 *b*) carries a weight,
the mid-2017 residents of *a* shared equally among its 2021 pieces::

    w(a, b) = pop2017(a) / n_pieces(a)

A target unit joins a footprint when at least half of its weight comes from
source units in the footprint (``MAJORITY``): for 2018 -> 2024 the share of
an LSOA 2021 is ``sum w(a, b) over its parents a in the footprint / sum w(a, b)``;
for 2024 -> 2018 the share of an LSOA 2011 is the same sum over its children.
So a split LSOA follows its parent whole, a merged LSOA goes where most of
its parents' residents were, and an irregular (X) one the same way.  Every
target unit with a share strictly between 0 and 1 is reported as moved
(split or merged across the footprint's edge), with its share.

Members are written back compactly: whole ICBs/STPs, then sub-ICB
locations/CCGs, then places/boroughs, then wards, then single units.
Levels map locality <-> neighbourhood, borough <-> place, multi_borough <->
multi_place, stp <-> icb; an ICB cluster becomes an STP-level footprint (2018
has no level above STP), noted.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from boundaries import Settings, get_dataset, settings as default_settings
from boundaries.readers import load_dataset

from .errors import ScenarioError
from .footprints import Footprint, Scenario, resolve_members
from .index import UnitIndex
from .limits import MAJORITY  # a target unit joins a footprint when at least this share of its weight comes from it

__all__ = ["ConversionReport", "FootprintChange", "convert_scenario", "unit_weights", "MAJORITY"]

_LEVELS_TO_2024 = {"locality": "neighbourhood", "borough": "place", "multi_borough": "multi_place", "stp": "icb"}
_LEVELS_TO_2018 = {v: k for k, v in _LEVELS_TO_2024.items()} | {"icb_cluster": "stp"}


@dataclass(frozen=True)
class FootprintChange:
    """What converting did to one footprint."""

    name: str
    level_before: str
    level_after: str
    units_before: int
    units_after: int
    population_before: int
    population_after: int
    moved: list[tuple[str, float, str]]  # (target unit code, share from the footprint, change code)

    @property
    def population_change(self) -> int:
        return self.population_after - self.population_before

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["population_change"] = self.population_change
        d["moved"] = [{"unit": u, "share": round(s, 4), "change": c} for u, s, c in self.moved]
        return d


@dataclass
class ConversionReport:
    """The converted scenario and, per footprint, what moved and how its population changed."""

    scenario: Scenario
    changes: list[FootprintChange]
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        src = "2018" if self.scenario.geography == "2024" else "2024"
        out = [f"converted {self.scenario.name!r}: {src} -> {self.scenario.geography} geography "
               f"(population {self.changes[0].population_before and 'mid-2017' if src == '2018' else 'Census 2021'}"
               f" -> {'Census 2021' if src == '2018' else 'mid-2017'})" if self.changes else "nothing to convert"]
        for c in self.changes:
            moved = f"; {len(c.moved)} unit(s) split or merged across its edge" if c.moved else ""
            out.append(f"  {c.name} ({c.level_before} -> {c.level_after}): {c.units_before:,} -> {c.units_after:,} "
                       f"units, population {c.population_before:,} -> {c.population_after:,} "
                       f"({c.population_change:+,}){moved}")
            for u, s, code in c.moved[:5]:
                out.append(f"      {u}: {100 * s:.0f}% from the footprint ({'split' if code == 'S' else 'merged' if code == 'M' else 'irregular' if code == 'X' else code}), "
                           f"{'included' if s >= MAJORITY else 'left out'}")
        out += [f"  note: {n}" for n in self.notes]
        return out


def unit_weights(config: Settings | None = None) -> pd.DataFrame:
    """The English lookup rows with their weights: ``lsoa11, lsoa21, change_code, w``."""
    config = config or default_settings()
    look = load_dataset(get_dataset("lsoa11_lsoa21_lookup"), config).frame
    look = look[look["lsoa21_code"].astype(str).str.startswith("E")]
    pop = load_dataset(get_dataset("lsoa_pop_mid2017"), config).frame.set_index("LSOA11CD")["pop_mid2017"]
    df = pd.DataFrame({"lsoa11": look["lsoa11_code"].astype(str).to_numpy(),
                       "lsoa21": look["lsoa21_code"].astype(str).to_numpy(),
                       "change_code": look["change_code"].astype(str).to_numpy()})
    pieces = df.groupby("lsoa11")["lsoa21"].transform("size")
    p = pd.to_numeric(df["lsoa11"].map(pop), errors="coerce")
    if p.isna().any():
        raise ScenarioError(f"{int(p.isna().sum())} LSOA 2011 code(s) of the lookup have no mid-2017 population",
                            where="lsoa11_lsoa21_lookup", fix="use the editions SOURCES.md names")
    df["w"] = p.to_numpy(float) / pieces.to_numpy(float)
    return df


def _compact(index: UnitIndex, units: np.ndarray) -> list[str]:
    """Member codes for a unit set: whole areas of the coarsest layers first, then units."""
    left = index.mask(units)
    members: list[str] = []
    for layer in ("stp", "ccg", "borough", "ward"):
        if layer not in index.membership or not left.any():
            continue
        m = index.membership[layer]
        inside = np.bincount(m[left], minlength=len(index.layer_codes[layer]))
        total = np.bincount(m, minlength=len(index.layer_codes[layer]))
        whole = np.flatnonzero((inside == total) & (total > 0))
        if len(whole):
            members += [str(c) for c in index.layer_codes[layer][whole]]
            left &= ~np.isin(m, whole)
    members += [str(c) for c in index.codes[left]]
    return members


def convert_scenario(scenario: Scenario, to: str, *, source: UnitIndex, target: UnitIndex,
                     config: Settings | None = None, weights: pd.DataFrame | None = None) -> ConversionReport:
    """Convert ``scenario`` to geography ``to`` ("2018" or "2024").

    Parameters
    ----------
    scenario : Scenario
        In the geography of ``source``.
    to : {"2018", "2024"}
    source, target : UnitIndex
        Indexes of the two geographies over the same region (e.g. London 2018 and London 2024).

    Raises
    ------
    ScenarioError
        A scenario already in ``to``, or indexes of the wrong geographies.
    """
    to = str(to)
    if scenario.geography == to:
        raise ScenarioError(f"scenario {scenario.name!r} is already in the {to} geography", where="--to",
                            fix="give the other geography: --to " + ("2018" if to == "2024" else "2024"))
    if source.geo.geography != scenario.geography or target.geo.geography != to:
        raise ScenarioError("source/target indexes do not match the geographies", where="convert",
                            fix="pass the index of the scenario's geography as source and of --to as target")
    df = weights if weights is not None else unit_weights(config)
    members = resolve_members(scenario, source)
    a_col, b_col = ("lsoa11", "lsoa21") if to == "2024" else ("lsoa21", "lsoa11")
    s_pos = pd.Index(source.codes).get_indexer(df[a_col])
    t_pos = pd.Index(target.codes).get_indexer(df[b_col])
    keep = t_pos >= 0  # rows whose target unit is in the target region
    df, s_pos, t_pos = df[keep], s_pos[keep], t_pos[keep]
    w = df["w"].to_numpy(float)
    total = np.bincount(t_pos, weights=w, minlength=target.n)
    codes = df["change_code"].to_numpy()
    change_of = np.full(target.n, "U", dtype=object)
    change_of[t_pos] = codes
    for row_code in ("X", "M", "S"):  # the most telling code wins when parents differ
        change_of[t_pos[codes == row_code]] = row_code
    notes = []
    outside = int((s_pos < 0).sum())
    if outside:
        notes.append(f"{outside:,} lookup row(s) link target units to source units outside the loaded region; "
                     "they count as outside every footprint")
    level_map = _LEVELS_TO_2024 if to == "2024" else _LEVELS_TO_2018
    fps, changes = [], []
    for fp in scenario.footprints:
        src_mask = source.mask(members[fp.name])
        in_fp = (s_pos >= 0) & src_mask[np.maximum(s_pos, 0)]
        got = np.bincount(t_pos[in_fp], weights=w[in_fp], minlength=target.n)
        share = np.divide(got, total, out=np.zeros(target.n), where=total > 0)
        chosen = np.flatnonzero(share >= MAJORITY)
        partial = np.flatnonzero((share > 0) & (share < 1 - 1e-12))
        moved = [(str(target.codes[i]), float(share[i]), str(change_of[i])) for i in partial]
        if not len(chosen):
            notes.append(f"footprint {fp.name!r} has no unit left in the {to} geography and was dropped")
            continue
        level = level_map.get(fp.level, fp.level)
        if fp.level == "icb_cluster":
            notes.append(f"footprint {fp.name!r}: ICB clusters have no 2018 level; converted as an STP-level footprint")
        fps.append(dataclasses.replace(fp, level=level, members=tuple(_compact(target, chosen))))
        changes.append(FootprintChange(fp.name, fp.level, level, int(src_mask.sum()), len(chosen),
                                       int(source.population[members[fp.name]].sum()),
                                       int(target.population[chosen].sum()), moved))
    names = {f.name for f in fps}
    fps = [f if f.parent is None or f.parent in names else dataclasses.replace(f, parent=None) for f in fps]
    out = dataclasses.replace(scenario, footprints=tuple(fps), geography=to, year=target.year,
                              description=(scenario.description + f" (converted from the {scenario.geography} "
                                           "geography through the ONS LSOA 2011 -> 2021 lookup)").strip())
    return ConversionReport(out, changes, notes)
