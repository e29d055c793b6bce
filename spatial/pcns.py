"""Primary care networks beside neighbourhoods: practices as points with their registered lists.

A PCN is a group of GP practices; its list size (the registered patients of
its practices) is compared with the neighbourhood range (``Thresholds.
neighbourhood_min``..``neighbourhood_max``, 30,000-50,000).  Practices are
points (NHS England's 2025/26 allocation file, WGS84, measured in EPSG:27700)
placed in the unit they fall in; membership of a PCN comes from the October
2025 practice mapping file.

Data flaws handled here (``nhs/SOURCES.md``):

* 71 practices have the pseudo-PCN code ``"U"`` (unallocated): they are not a
  PCN, are left out of PCN tallies, and asking for PCN ``U`` is an error;
* 146 practices of the allocation file are not in the October 2025 mapping
  (closed or merged): they have no PCN and are left out, counted in a note;
* a practice without coordinates cannot be placed: a :class:`PracticeDataError`
  naming it, not a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries import Settings, get_dataset, settings as default_settings
from boundaries.readers import load_dataset

from .errors import PracticeDataError, ScenarioError, UnallocatedPCNError  # the two: re-exported, moved to spatial.errors
from .index import UnitIndex
from .thresholds import Thresholds

__all__ = ["PracticeDataError", "UnallocatedPCNError", "Practices", "UNALLOCATED"]

#: The pseudo-PCN code of practices in no PCN.
UNALLOCATED = "U"


@dataclass
class Practices:
    """GP practices of the loaded region, placed in its units.

    Attributes
    ----------
    frame : DataFrame
        ``code, name, pcn, pcn_name, icb_nhs, population, x, y, unit`` (unit id, -1 when the point lies
        outside the region's units), ``place``, ``place_name``.
    notes : list of str
    """

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, index: UnitIndex, *, config: Settings | None = None,
             mapping: pd.DataFrame | None = None, populations: pd.DataFrame | None = None) -> "Practices":
        """Read the two practice files (or the frames given) and place the practices in ``index``'s units.

        Raises
        ------
        PracticeDataError
            A practice with a PCN but no coordinates (named, with the file and the fix).
        """
        config = config or default_settings()
        notes: list[str] = []
        if mapping is None:
            mapping = load_dataset(get_dataset("gp_practice_pcn_2025"), config).frame
        if populations is None:
            populations = load_dataset(get_dataset("gp_practice_population_2025"), config).frame
        need_m = ["PRACTICE_CODE", "PRACTICE_NAME", "PCN_CODE", "PCN_NAME", "ICB_CODE"]
        need_p = ["Practice_Code", "Latitude", "Longitude", "Population"]
        for frame, need, label in ((mapping, need_m, "gp_practice_pcn_2025"),
                                   (populations, need_p, "gp_practice_population_2025")):
            missing = [c for c in need if c not in frame]
            if missing:
                raise PracticeDataError(f"columns missing: {', '.join(missing)}", where=label,
                                        fix="use the files named in nhs/SOURCES.md (primary_care/)")
        m = mapping[need_m].rename(columns={"PRACTICE_CODE": "code", "PRACTICE_NAME": "name", "PCN_CODE": "pcn",
                                            "PCN_NAME": "pcn_name", "ICB_CODE": "icb_nhs"})
        p = populations[need_p].rename(columns={"Practice_Code": "code", "Latitude": "lat", "Longitude": "lon",
                                                "Population": "population"})
        m["code"] = m["code"].astype(str).str.strip()
        p["code"] = p["code"].astype(str).str.strip()
        merged = m.merge(p, on="code", how="left", validate="one_to_one")
        gone = len(set(p["code"]) - set(m["code"]))
        if gone:
            notes.append(f"{gone} practice(s) of the 2025/26 allocation file are not in the October 2025 mapping "
                         "(closed or merged since); left out")
        no_pop = merged["population"].isna()
        if no_pop.any():
            notes.append(f"{int(no_pop.sum())} mapped practice(s) have no registered population; counted as 0")
            merged.loc[no_pop, "population"] = 0.0
        lat = pd.to_numeric(merged["lat"], errors="coerce")
        lon = pd.to_numeric(merged["lon"], errors="coerce")
        bad = (lat.isna() | lon.isna()) & ~no_pop
        if bad.any():
            listed = ", ".join(f"{c} ({n})" for c, n in merged.loc[bad, ["code", "name"]].head(5).itertuples(index=False))
            raise PracticeDataError(
                f"{int(bad.sum())} practice(s) have no coordinates, so they cannot be placed: {listed}",
                where="gp_practice_population_2025 (Latitude, Longitude)",
                fix="restore the practice's latitude and longitude from the published allocation file, or "
                    "remove the practice from the file")
        # region: the practices of the region's ICBs (NHS codes), placed in its units
        if "stp_nhs" in index.geo.units:
            merged = merged[merged["icb_nhs"].isin(set(index.geo.units["stp_nhs"]))].reset_index(drop=True)
            lat = pd.to_numeric(merged["lat"], errors="coerce")
            lon = pd.to_numeric(merged["lon"], errors="coerce")
        has = lat.notna().to_numpy() & lon.notna().to_numpy()
        xy = np.full((len(merged), 2), np.nan)
        if has.any():
            pts = gpd.GeoSeries(gpd.points_from_xy(lon[has], lat[has]), crs=4326).to_crs(27700)
            xy[has] = shapely.get_coordinates(pts.values)
        merged["x"], merged["y"] = xy[:, 0], xy[:, 1]
        unit = np.full(len(merged), -1, dtype=np.int64)
        tree = shapely.STRtree(np.asarray(index.geo.units.geometry.values))
        ok = np.flatnonzero(has)
        p_idx, u_idx = tree.query(shapely.points(xy[ok]), predicate="intersects")
        first = np.unique(p_idx, return_index=True)[1]
        unit[ok[p_idx[first]]] = u_idx[first]
        merged["unit"] = unit
        outside = int((unit < 0).sum())
        if outside:
            notes.append(f"{outside} practice point(s) fall outside the region's units (coast generalisation or a "
                         "neighbouring region); they have no place")
        b = index.membership["borough"]
        merged["place"] = np.where(unit >= 0, index.layer_codes["borough"][b[np.maximum(unit, 0)]], "")
        merged["place_name"] = np.where(unit >= 0, index.layer_names["borough"][b[np.maximum(unit, 0)]], "")
        n_u = int((merged["pcn"] == UNALLOCATED).sum())
        if n_u:
            notes.append(f"{n_u} practice(s) are unallocated (PCN code 'U'); they belong to no PCN")
        return cls(merged, notes)

    # --- PCNs --------------------------------------------------------------------------------

    def pcn_table(self, thresholds: Thresholds | None = None) -> pd.DataFrame:
        """One row per PCN (unallocated practices left out): practices, list size, range verdict, places.

        Columns: ``pcn, pcn_name, practices, list_size, in_range, places`` (number of places its practices
        lie in), ``place_names``; sorted by PCN code.
        """
        t = thresholds or Thresholds()
        f = self.frame[self.frame["pcn"] != UNALLOCATED]
        g = f.groupby("pcn", sort=True)
        out = pd.DataFrame({
            "pcn_name": g["pcn_name"].first(),
            "practices": g.size(),
            "list_size": g["population"].sum().round().astype("int64"),
            "places": g["place"].agg(lambda s: s[s != ""].nunique()),
            "place_names": g["place_name"].agg(lambda s: "; ".join(sorted(set(s[s != ""])))),
        }).reset_index()
        out["in_range"] = out["list_size"].between(t.neighbourhood_min, t.neighbourhood_max)
        return out

    def pcn(self, code: str) -> pd.DataFrame:
        """The practices of one PCN.

        Raises
        ------
        UnallocatedPCNError
            For ``"U"``.
        ScenarioError
            An unknown PCN code, with the closest codes.
        """
        key = str(code).strip().upper()
        if key == UNALLOCATED:
            raise UnallocatedPCNError(
                "PCN code 'U' is the unallocated practices, not a network", where=f"PCN {code!r}",
                fix="give a real PCN code (U followed by five digits, e.g. U89141); the unallocated practices "
                    "are counted in the notes and left out of PCN tallies")
        f = self.frame[self.frame["pcn"].str.upper() == key]
        if f.empty:
            import difflib

            near = difflib.get_close_matches(key, sorted(set(self.frame["pcn"])), n=3)
            raise ScenarioError(f"no PCN {code!r} in this region" + (f" (did you mean {', '.join(near)}?)" if near else ""),
                                where=f"PCN {code!r}", fix="use a PCN code of the loaded region")
        return f.reset_index(drop=True)

    def split_pcns(self, thresholds: Thresholds | None = None) -> pd.DataFrame:
        """PCNs whose practices lie in more than one place."""
        table = self.pcn_table(thresholds)
        return table[table["places"] > 1].reset_index(drop=True)

    def inside(self, units: np.ndarray, index: UnitIndex) -> tuple[pd.DataFrame, dict]:
        """Practices inside a footprint (its unit ids) and resident vs registered population.

        Returns
        -------
        (DataFrame, dict)
            The practices, and ``{"residents", "registered", "ratio", "practices", "pcns"}``.
        """
        mask = index.mask(np.asarray(units, dtype=np.int64))
        unit = self.frame["unit"].to_numpy()
        f = self.frame[(unit >= 0) & mask[np.maximum(unit, 0)]].reset_index(drop=True)
        residents = int(index.population[units].sum())
        registered = float(f["population"].sum())
        return f, {"residents": residents, "registered": int(round(registered)),
                   "ratio": registered / residents if residents else float("nan"), "practices": len(f),
                   "pcns": int(f.loc[f["pcn"] != UNALLOCATED, "pcn"].nunique())}
