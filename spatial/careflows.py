"""Care flows: where a footprint's residents go to hospital, and the 70% containment test.

The model
---------
PHE/OHID publish, for each MSOA, the share of its admitted patients treated by
each acute trust (catchment years 2018 and 2019).  The expected activity of
unit *u* at trust *t* is::

    activity[u, t] = population(u) * proportion(MSOA of u, t)

(an LSOA takes its MSOA's proportions).  :class:`CareFlows` holds the
proportions as a sparse units x trusts matrix built once per dataset and
catchment year; the activity matrix for a population year is that matrix
scaled by the unit populations (cached per year).  Outside London (the supply
side) each English MSOA's activity is weighted by its mid-2017 population.

Measures per footprint (:meth:`CareFlows.measure`)
--------------------------------------------------
* **containment** (demand side): share of the residents' *recorded* activity
  delivered by the footprint's core providers (PHE omits small flows; the
  unrecorded share is stated beside it);
* **self-sufficiency** (supply side): share of the core providers' activity
  (England-wide) that comes from the footprint's residents;
* **catchment population** of the core providers: sum over MSOAs of
  population x proportion, for the "patient flows of at least 0.5m" wording;
* **top destinations** and **leakage** (the main non-core destinations).

Core providers are by default the acute trusts whose headquarters point lies
inside the footprint; ``Footprint.core_providers`` overrides that (see
:func:`with_core_providers`).  The ``care_flow`` rule of
:func:`spatial.checks.check_footprint` calls :meth:`CareFlows.care_flow_check`.

Attach a model to an engine::

    from spatial import Engine
    from spatial.careflows import CareFlows

    engine = Engine.load()
    engine = engine.with_flows(CareFlows.load(engine.geo, year=2018))   # or attach_flows(engine, 2018)

Method and assumptions: ``docs/CARE_FLOWS.md``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from boundaries import Geographies
from boundaries.config import Settings
from boundaries.errors import MissingDataError

from .checks import CheckResult
from .footprints import Footprint, Scenario, resolve_members
from .flows_data import (
    FlowDataWarning,
    FlowTable,
    FlowYearError,
    UnknownTrustError,
    _note,
    flow_years,
    read_england_msoa_population,
    read_flows,
    read_trusts,
    suggest_trusts,
)
from .geometry import footprint_geometry
from .index import UnitIndex
from .text import percent
from .thresholds import Thresholds

__all__ = [
    "CareFlows",
    "FlowMeasures",
    "Destination",
    "attach_flows",
    "containment_frame",
    "footprint_geometry",
    "with_core_providers",
    "FlowYearError",
    "UnknownTrustError",
    "FlowDataWarning",
    "flow_years",
]

#: Number of destinations listed by default.
DEFAULT_TOP = 10
#: Number of leakage (non-core) destinations listed by default.
DEFAULT_LEAKAGE = 5


def _people(n: float) -> str:
    n = float(n)
    if n >= 1e6:
        return f"{n / 1e6:.2f}m"
    return f"{int(round(n)):,}"


@dataclass(frozen=True)
class Destination:
    """One trust that a footprint's residents go to.

    Attributes
    ----------
    code, name : str
        ODS code and name of the trust.
    activity : float
        Expected activity from the footprint's residents (population-weighted
        share of admitted patients, in people).
    share : float
        Share of the residents' recorded activity.
    core : bool
        Counts as a core provider of the footprint.
    inside : bool
        The trust's headquarters lies inside the footprint.
    location : str
        Borough of the headquarters, or ``"outside London"``.
    """

    code: str
    name: str
    activity: float
    share: float
    core: bool
    inside: bool
    location: str

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return dataclasses.asdict(self)


@dataclass
class FlowMeasures:
    """Care-flow measures of one footprint, each with its reason in plain words.

    Attributes
    ----------
    footprint, level : str
    catchment_year, population_year : int
    population : int
        Residents (population year).
    recorded : float
        Residents' recorded activity: sum of population x share over the trusts
        PHE lists.
    unrecorded_share : float
        ``1 - recorded / population``: PHE omits small flows.
    core : list of (code, name)
    core_source : {"default", "override"}
    containment : float
        Core providers' share of the residents' recorded activity (0 without a core provider).
    self_sufficiency : float or None
        Share of the core providers' England-wide activity that comes from the
        footprint's residents; ``None`` when it cannot be measured.
    catchment_population : float or None
        Core providers' England-wide catchment (sum over MSOAs of population x share).
    top, leakage : list of Destination
    reasons : dict
        ``containment``, ``self_sufficiency``, ``catchment`` -> reason.
    notes : list of str
    """

    footprint: str
    level: str
    catchment_year: int
    population_year: int
    population: int
    recorded: float
    unrecorded_share: float
    core: list[tuple[str, str]]
    core_source: str
    containment: float
    self_sufficiency: float | None
    catchment_population: float | None
    top: list[Destination]
    leakage: list[Destination]
    reasons: dict[str, str]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready dict (the shape ``python -m spatial flows --json`` prints)."""
        return {
            "footprint": self.footprint, "level": self.level, "catchment_year": self.catchment_year,
            "population_year": self.population_year, "population": int(self.population),
            "recorded_activity": round(float(self.recorded), 1),
            "unrecorded_share": round(float(self.unrecorded_share), 6),
            "core_providers": [{"code": c, "name": n} for c, n in self.core], "core_source": self.core_source,
            "containment": round(float(self.containment), 6),
            "self_sufficiency": None if self.self_sufficiency is None else round(float(self.self_sufficiency), 6),
            "catchment_population": None if self.catchment_population is None else round(float(self.catchment_population), 1),
            "top_destinations": [d.to_dict() for d in self.top],
            "leakage": [d.to_dict() for d in self.leakage],
            "reasons": dict(self.reasons), "notes": list(self.notes),
        }

    def lines(self) -> list[str]:
        """The measures as text lines (the command line's plain output)."""
        core = ", ".join(f"{c} {n}" for c, n in self.core) or "none"
        out = [
            f"{self.footprint} ({self.level}): {self.population:,} residents "
            f"({'Census ' if self.population_year == 2021 else 'mid-'}{self.population_year}), "
            f"PHE catchment year {self.catchment_year}",
            f"  core providers ({self.core_source}): {core}",
            f"  containment: {percent(self.containment)} - {self.reasons['containment']}",
            f"  self-sufficiency: {percent(self.self_sufficiency)} - {self.reasons['self_sufficiency']}",
            f"  catchment population: "
            f"{'n/a' if self.catchment_population is None else _people(self.catchment_population)}"
            f" - {self.reasons['catchment']}",
            "  top destinations:",
        ]
        for d in self.top:
            tag = "core" if d.core else ("inside" if d.inside else "outside")
            out.append(f"    {d.code:<5} {percent(d.share):>6}  {tag:<7} {d.name} ({d.location})")
        if self.leakage:
            out.append("  leakage: " + "; ".join(f"{d.name} {percent(d.share)}" for d in self.leakage))
        out += [f"  note: {n}" for n in self.notes]
        return out


@dataclass(eq=False)
class CareFlows:
    """Trust catchment flows for one unit table and one catchment year.

    Build with :meth:`load` (registry data) or :meth:`from_tables` (any
    tables, e.g. a supplied file).  The unit order is the unit table's, which
    is the :class:`~spatial.index.UnitIndex` order.

    Attributes
    ----------
    year : int
        PHE catchment year.
    source : str
        Registry id or file path of the flows.
    unit_codes : ndarray of str
    proportions : scipy.sparse.csr_array
        Units x trusts: the share of the unit's MSOA's admitted patients
        treated by each trust.
    trusts : pandas.DataFrame
        One row per trust (position = column of ``proportions``): ``code, name,
        status, lon, lat, x, y, unit`` (unit id of the headquarters point, -1
        outside the units), ``borough, borough_name, has_flows``.
    outside_activity : ndarray or None
        Per trust, activity from MSOAs outside the unit table, weighted by
        ``outside_year`` populations; ``None`` when England-wide populations
        are not available.
    outside_year : int or None
    notes : list of str
        Repairs and caveats met while building.
    unmatched_msoas : list of str
        Flow MSOAs with no population (neither a unit nor in the England table).
    """

    year: int
    source: str
    unit_codes: np.ndarray
    proportions: sp.csr_array
    trusts: pd.DataFrame
    outside_activity: np.ndarray | None
    outside_year: int | None
    notes: list[str] = field(default_factory=list)
    unmatched_msoas: list[str] = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False)
    #: What the units cover, in words ("London"; "the region" for an NHS region, ICB or England 2024).
    area_label: str = "London"

    # --- construction ------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        source: Geographies | UnitIndex | Any,
        year: int = 2018,
        *,
        config: Settings | None = None,
        path: str | None = None,
        trusts_path: str | None = None,
        england: bool = True,
    ) -> "CareFlows":
        """Build the model from the registry's flow table of ``year``.

        Parameters
        ----------
        source : Geographies, UnitIndex or Engine
            The units the model is for (an Engine's ``geo`` is used).
        year : int
            PHE catchment year: 2018 or 2019 (``flow_years()``).
        config : Settings, optional
        path : path-like, optional
            A supplied flow CSV (``msoa_code, trust_code, proportion``) instead
            of the registry's.
        trusts_path : path-like, optional
            A supplied trust CSV (``nhs_trust_code, nhs_trust_name, lon, lat``).
        england : bool
            Read England-wide MSOA populations for the supply side (default).

        Raises
        ------
        FlowYearError
            A catchment year the data does not have.
        MissingDataError, FlowDataError, CodeError, RecordCountError
        """
        geo = _geographies(source)
        table = read_flows(year, region=geo.region, config=config, path=path)
        trusts, _ = read_trusts(config=config, path=trusts_path)
        if getattr(geo, "geography", "2018") == "2024" and trusts_path is None:
            # today's geography: a trust sits at its hospital site where the site list names it (trust_sites.py)
            from .trust_sites import place_trusts

            try:
                trusts = place_trusts(trusts, config=config)
            except MissingDataError as exc:
                table.notes.append(f"trusts placed at headquarters: the hospital-site list is missing ({exc})")
        outside, outside_year, notes = None, None, list(table.notes)
        if england:
            try:
                outside, outside_year = read_england_msoa_population(config=config)
            except MissingDataError as exc:
                notes.append(f"supply side not measured: England-wide MSOA populations are missing ({exc})")
        model = cls.from_tables(geo.units, table, trusts, outside_population=outside, outside_year=outside_year,
                                notes=notes)
        if getattr(geo, "geography", "2018") == "2024" or (getattr(geo, "area", "") or "london") != "london":
            model.area_label = "the region"
            model.trusts["borough_name"] = model.trusts["borough_name"].replace("outside London", "outside the region")
        return model

    @classmethod
    def from_tables(
        cls,
        units: pd.DataFrame,
        flows: FlowTable | pd.DataFrame,
        trusts: pd.DataFrame,
        *,
        year: int | None = None,
        outside_population: pd.Series | None = None,
        outside_year: int | None = None,
        notes: list[str] | None = None,
    ) -> "CareFlows":
        """Build the model from tables.

        Parameters
        ----------
        units : GeoDataFrame
            The unit table (``code, msoa, borough, borough_name, geometry`` in
            EPSG:27700), in index order.
        flows : FlowTable or DataFrame
            Validated flows (``msoa_code, trust_code, proportion``); a bare
            DataFrame is validated here and needs ``year``.
        trusts : DataFrame
            ``code, name, status, lon, lat`` (see :func:`spatial.flows_data.validate_trusts`).
        outside_population : Series, optional
            MSOA code -> population for the MSOAs outside the units (the supply
            side); MSOAs of the units in it are ignored (the units' own
            population year is used for them).
        outside_year : int, optional
        notes : list of str, optional

        Warns
        -----
        FlowDataWarning
            Unit MSOAs with no flows (their activity counts as unrecorded);
            flow MSOAs that have no population (listed in ``unmatched_msoas``);
            flow trusts without a location.
        """
        from .flows_data import validate_flows

        notes = list(notes or [])
        if isinstance(flows, FlowTable):
            frame, year, label = flows.frame, flows.year, flows.source
        else:
            if year is None:
                raise ValueError("give the catchment year of a bare flow table (year=...)")
            frame, label = validate_flows(flows, source="flows", notes=notes), "flows"
        unit_codes = units["code"].to_numpy().astype(str)
        # 2018 units are LSOA 2011 inside their MSOA; 2024 units (LSOA 2021) carry ``msoa11``, the MSOA 2011
        # of their LSOA 2011 parent by the ONS 2011->2021 lookup (docs/CARE_FLOWS.md, "2024 geography").
        unit_msoa = units["msoa" if "msoa" in units else "msoa11"].to_numpy().astype(str)

        # trusts axis: every known trust (points) and every trust with flows
        trusts = trusts.copy()
        extra = sorted(set(frame["trust_code"].astype(str)) - set(trusts["code"].astype(str)))
        if extra:
            _note(notes, f"{label}: {len(extra)} trust(s) with flows have no location in the trust table: "
                         f"{', '.join(extra[:10])}; they are never core by default")
            trusts = pd.concat([trusts, pd.DataFrame({"code": extra, "name": extra, "status": "unknown",
                                                      "lon": np.nan, "lat": np.nan})], ignore_index=True)
        trusts = trusts.sort_values("code", ignore_index=True)
        codes = trusts["code"].to_numpy().astype(str)
        t_col = pd.Index(codes).get_indexer(frame["trust_code"].astype(str).to_numpy())
        has = np.zeros(len(codes), dtype=bool)
        has[np.unique(t_col)] = True
        trusts["has_flows"] = has

        # MSOA x trust proportions for the MSOAs of the units
        msoa_keys, unit_msoa_id = np.unique(unit_msoa, return_inverse=True)
        f_msoa = frame["msoa_code"].astype(str).to_numpy()
        f_row = pd.Index(msoa_keys).get_indexer(f_msoa)
        in_units = f_row >= 0
        prop = frame["proportion"].to_numpy(float)
        q = sp.csr_array((prop[in_units], (f_row[in_units], t_col[in_units])),
                         shape=(len(msoa_keys), len(codes)))
        no_flows = msoa_keys[np.diff(q.indptr) == 0]
        if len(no_flows):
            _note(notes, f"{label}: {len(no_flows)} MSOA(s) of the units have no flows "
                         f"({', '.join(no_flows[:10])}); their residents' activity counts as unrecorded")
        proportions = sp.csr_array(q[unit_msoa_id])

        # supply side: MSOAs outside the units
        outside_activity, unmatched = None, []
        if outside_population is not None:
            out_msoa = f_msoa[~in_units]
            pops = pd.Series(outside_population).reindex(out_msoa).to_numpy(float)
            missing = np.isnan(pops)
            if missing.any():
                unmatched = sorted(set(out_msoa[missing]))
                _note(notes, f"{label}: {len(unmatched)} MSOA(s) in the flows are neither units nor in the "
                             f"England population table ({', '.join(unmatched[:10])}); their flows cannot be "
                             "weighted and are left out of the catchments")
            outside_activity = np.bincount(t_col[~in_units][~missing],
                                           weights=pops[~missing] * prop[~in_units][~missing], minlength=len(codes))
        elif (~in_units).any():
            notes.append(f"{label}: {len(set(f_msoa[~in_units])):,} MSOA(s) outside the units have flows but no "
                         "population was given; catchments and self-sufficiency cannot be measured")

        # where each trust is: point in unit (EPSG:27700)
        xy = np.full((len(trusts), 2), np.nan)
        ok = trusts["lon"].notna().to_numpy() & trusts["lat"].notna().to_numpy()
        if ok.any():
            pts = gpd.GeoSeries(gpd.points_from_xy(trusts.loc[ok, "lon"], trusts.loc[ok, "lat"]), crs=4326).to_crs(27700)
            xy[ok] = shapely.get_coordinates(pts.values)
        trusts["x"], trusts["y"] = xy[:, 0], xy[:, 1]
        unit_of = np.full(len(trusts), -1, dtype=np.int64)
        if ok.any():
            tree = shapely.STRtree(np.asarray(units.geometry.values))
            p_idx, u_idx = tree.query(shapely.points(xy[ok]), predicate="intersects")
            first = np.unique(p_idx, return_index=True)[1]
            unit_of[np.flatnonzero(ok)[p_idx[first]]] = u_idx[first]
        trusts["unit"] = unit_of
        located = unit_of >= 0
        b_codes = units["borough"].to_numpy().astype(str)
        b_names = units["borough_name"].to_numpy().astype(str) if "borough_name" in units else b_codes
        trusts["borough"] = np.where(located, b_codes[np.maximum(unit_of, 0)], "")
        trusts["borough_name"] = np.where(located, b_names[np.maximum(unit_of, 0)], "outside London")
        return cls(int(year), label, unit_codes, proportions, trusts, outside_activity,
                   outside_year if outside_activity is not None else None, notes, unmatched)

    # --- basic lookups -----------------------------------------------------------------

    @property
    def n_trusts(self) -> int:
        """Number of trusts (columns of the matrix)."""
        return len(self.trusts)

    @property
    def trust_codes(self) -> np.ndarray:
        """Trust codes, by position."""
        if "codes" not in self._cache:
            self._cache["codes"] = self.trusts["code"].to_numpy().astype(str)
        return self._cache["codes"]

    def trust_position(self, code: str) -> int | None:
        """Column of a trust code, or ``None``."""
        pos = self._cache.get("pos")
        if pos is None:
            pos = self._cache["pos"] = {c: i for i, c in enumerate(self.trust_codes)}
        return pos.get(str(code).strip().upper())

    def trust_name(self, code: str) -> str:
        """Display name of a trust code (the code itself when unknown)."""
        p = self.trust_position(code)
        return str(self.trusts["name"].iat[p]) if p is not None else str(code)

    def _check_index(self, index: UnitIndex) -> None:
        key = ("checked", id(index.codes))
        if key in self._cache:
            return
        if index.n != len(self.unit_codes) or not np.array_equal(index.codes, self.unit_codes):
            raise ValueError(
                f"the care-flow model was built for {len(self.unit_codes):,} units that differ from this index's "
                f"{index.n:,}: build it from the same geographies (CareFlows.load(engine.geo, ...))")
        self._cache[key] = True

    # --- activity ----------------------------------------------------------------------

    def activity(self, index: UnitIndex) -> sp.csr_array:
        """Units x trusts activity for the index's population year (cached per year)."""
        self._check_index(index)
        pop = index.population
        key = ("activity", index.year, len(pop), int(pop.sum()))
        if key not in self._cache:
            self._cache[key] = sp.csr_array(sp.diags_array(pop.astype(float)) @ self.proportions)
        return self._cache[key]

    def layer_activity(self, index: UnitIndex, layer: str) -> sp.csr_array:
        """Areas x trusts activity of a layer (``"unit"``, ``"msoa"``, ``"ward"``, ``"borough"``, ``"ccg"``, ``"stp"``)."""
        a = self.activity(index)
        if layer == "unit":
            return a
        pop = index.population
        key = ("layer", layer, index.year, len(pop), int(pop.sum()))
        if key not in self._cache:
            m = index.membership[layer]
            agg = sp.csr_array((np.ones(len(m)), (m, np.arange(len(m)))), shape=(len(index.layer_codes[layer]), len(m)))
            self._cache[key] = sp.csr_array(agg @ a)
        return self._cache[key]

    def catchment(self, index: UnitIndex) -> np.ndarray | None:
        """Per trust, England-wide catchment population (units at the index's year, elsewhere ``outside_year``).

        ``None`` when England-wide populations are not available.
        """
        if self.outside_activity is None:
            return None
        pop = index.population
        key = ("catchment", index.year, len(pop), int(pop.sum()))
        if key not in self._cache:
            self._cache[key] = np.asarray(self.activity(index).sum(axis=0)).ravel() + self.outside_activity
        return self._cache[key]

    def resident_activity(self, units: np.ndarray, index: UnitIndex) -> np.ndarray:
        """Per trust, the expected activity of the residents of ``units``."""
        a = self.activity(index)
        units = np.asarray(units, dtype=np.int64)
        if len(units) == 0:
            return np.zeros(self.n_trusts)
        weight = np.bincount(units, minlength=a.shape[0]).astype(float)  # a unit listed twice counts twice
        return np.asarray(a.T @ weight).ravel()

    def _trust_columns(self) -> dict[str, np.ndarray]:
        """The trust table's columns as arrays (read once: measures run per footprint)."""
        if "columns" not in self._cache:
            self._cache["columns"] = {c: self.trusts[c].to_numpy() for c in ("unit", "has_flows", "name",
                                                                               "borough_name")}
        return self._cache["columns"]

    @staticmethod
    def _in_units(unit_of: np.ndarray, units: np.ndarray) -> np.ndarray:
        """Which trusts (by their unit id, -1 for none) lie in ``units``."""
        units = np.asarray(units, dtype=np.int64)
        if len(units) == 0:
            return np.zeros(len(unit_of), dtype=bool)
        member = np.zeros(max(int(units.max()), int(unit_of.max(initial=0))) + 1, dtype=bool)
        member[units] = True
        return (unit_of >= 0) & member[np.maximum(unit_of, 0)]

    # --- core providers ----------------------------------------------------------------

    def _located(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the trusts with flows located in a unit, and their unit ids."""
        if "located" not in self._cache:
            cols = self._trust_columns()
            unit_of = cols["unit"]
            located = np.flatnonzero((unit_of >= 0) & cols["has_flows"])
            self._cache["located"] = (located, unit_of[located])
        return self._cache["located"]

    def default_core(self, units: np.ndarray) -> np.ndarray:
        """Positions of the trusts with flows whose headquarters lies in ``units``."""
        located, unit_of = self._located()
        return located[self._in_units(unit_of, units)]

    def check_codes(self, codes: Iterable[str], *, where: str | None = None) -> np.ndarray:
        """Positions of trust codes.

        Raises
        ------
        UnknownTrustError
            Listing every unknown code with the closest known trusts.
        """
        out, unknown = [], {}
        for code in codes:
            p = self.trust_position(code)
            if p is None:
                unknown[str(code)] = suggest_trusts(code, self.trust_codes, self.trusts["name"].to_numpy())
            else:
                out.append(p)
        if unknown:
            raise UnknownTrustError(list(unknown), unknown, where=where)
        return np.array(sorted(set(out)), dtype=np.int64)

    def core_positions(self, footprint: Footprint, units: np.ndarray) -> tuple[np.ndarray, str]:
        """Core provider positions of a footprint and whether they are ``"default"`` or ``"override"``."""
        if footprint.core_providers is None:
            return self.default_core(units), "default"
        return self.check_codes(footprint.core_providers,
                                where=f"footprint {footprint.name!r} core_providers"), "override"

    def validate(self, scenario: Scenario) -> None:
        """Check every core-provider override of a scenario.

        Raises
        ------
        UnknownTrustError
            Listing the unknown codes of every footprint.
        """
        unknown: dict[str, list[str]] = {}
        where = []
        for fp in scenario.footprints:
            for code in fp.core_providers or ():
                if self.trust_position(code) is None:
                    unknown[code] = suggest_trusts(code, self.trust_codes, self.trusts["name"].to_numpy())
                    where.append(fp.name)
        if unknown:
            raise UnknownTrustError(list(unknown), unknown,
                                    where=f"scenario {scenario.name!r}, footprint(s) "
                                          f"{', '.join(map(repr, dict.fromkeys(where)))}")

    # --- measures ----------------------------------------------------------------------

    def measure(
        self,
        footprint: Footprint,
        index: UnitIndex,
        units: np.ndarray | None = None,
        *,
        thresholds: Thresholds | None = None,
        top: int = DEFAULT_TOP,
        leakage: int = DEFAULT_LEAKAGE,
    ) -> FlowMeasures:
        """Containment, self-sufficiency, catchment and destinations of one footprint.

        Parameters
        ----------
        footprint : Footprint
        index : UnitIndex
            Gives the population year.
        units : ndarray, optional
            Unit ids (expanded from the members when not given).
        thresholds : Thresholds, optional
            For the catchment wording (``system_min_population``).
        top, leakage : int
            How many destinations and non-core destinations to list.

        Raises
        ------
        UnknownTrustError
            When the footprint's core-provider override names unknown trusts.
        """
        t = thresholds or Thresholds()
        if units is None:
            units = index.expand(footprint.members, where=f"footprint {footprint.name!r}")
        units = np.asarray(units, dtype=np.int64)
        core, core_source = self.core_positions(footprint, units)
        r = self.resident_activity(units, index)
        pop = int(index.population[units].sum())
        recorded = float(r.sum())
        unrecorded = 1 - recorded / pop if pop else 0.0
        core_mask = np.zeros(self.n_trusts, dtype=bool)
        core_mask[core] = True
        cols = self._trust_columns()
        inside_mask = self._in_units(cols["unit"], units)
        core_act = float(r[core_mask].sum())
        containment = core_act / recorded if recorded > 0 else 0.0
        names = cols["name"]
        codes = self.trust_codes
        where = cols["borough_name"]

        def dest(i: int) -> Destination:
            return Destination(str(codes[i]), str(names[i]), float(r[i]), float(r[i] / recorded) if recorded else 0.0,
                               bool(core_mask[i]), bool(inside_mask[i]), str(where[i]))

        order = np.argsort(-r, kind="stable")
        order = order[r[order] > 0]
        top_d = [dest(i) for i in order[:top]]
        leak_d = [dest(i) for i in order[~core_mask[order]][:leakage]]
        notes: list[str] = []
        idle = [codes[i] for i in core if not cols["has_flows"][i]]
        if idle:
            notes.append(f"core provider(s) {', '.join(idle)} have no activity in the {self.year} catchments "
                         "(closed, merged into a successor, or not an acute trust)")
        gone = [codes[i] for i in core if r[i] == 0 and codes[i] not in idle]
        if gone:
            notes.append(f"core provider(s) {', '.join(gone)} treat none of this footprint's residents "
                         f"in the {self.year} catchments")
        reasons: dict[str, str] = {}
        unrec_txt = (f"{percent(unrecorded)} of residents' admissions are not in the data (PHE omits small flows), "
                     f"so shares are of the recorded {percent(1 - unrecorded)}")
        if len(core) == 0:
            first = ", ".join(f"{d.name} {percent(d.share)}" for d in top_d[:3]) or "no recorded destination"
            reasons["containment"] = (
                "no core provider: no acute trust with catchment data has its headquarters inside the footprint, "
                f"so containment is 0%; residents go mostly to {first}; add the trusts that serve it as "
                "core providers if one is based outside")
        else:
            by = ", ".join(f"{names[i]} {percent(r[i] / recorded if recorded else 0)}"
                           for i in core[np.argsort(-r[core], kind="stable")][:4])
            more = f" and {len(core) - 4} more" if len(core) > 4 else ""
            src = "chosen for this footprint" if core_source == "override" else "based inside the footprint"
            reasons["containment"] = (
                f"{len(core)} core provider(s) {src} deliver {percent(containment)} of the residents' recorded "
                f"hospital activity ({by}{more}); {unrec_txt}")
        catch = self.catchment(index)
        year_txt = self._year_text(index.year)
        if catch is None:
            sup, cat_pop = None, None
            missing_txt = ("needs populations outside London, which the data directory lacks "
                           "(lsoa_pop_mid2017 and lsoa_msoa_lookup); not guessed")
            reasons["self_sufficiency"] = missing_txt
            reasons["catchment"] = missing_txt
        elif len(core) == 0:
            sup, cat_pop = None, 0.0
            reasons["self_sufficiency"] = "no core provider, so no provider activity to attribute"
            reasons["catchment"] = (f"no core provider: no patient flows (the national test asks for at least "
                                    f"{_people(t.system_min_population)})")
        else:
            cat_pop = float(catch[core_mask].sum())
            sup = core_act / cat_pop if cat_pop > 0 else None
            reasons["self_sufficiency"] = (
                f"{percent(sup)} of the core providers' activity ({_people(core_act)} of {_people(cat_pop)}) "
                f"comes from the footprint's residents; {year_txt}")
            word = "at least" if cat_pop >= t.system_min_population else "below"
            reasons["catchment"] = (
                f"core providers' catchment (sum over England's MSOAs of population x share) is "
                f"{_people(cat_pop)}: {word} the {_people(t.system_min_population)} patient flows of the "
                f"national test; {year_txt}")
        return FlowMeasures(
            footprint=footprint.name, level=footprint.level, catchment_year=self.year, population_year=index.year,
            population=pop, recorded=recorded, unrecorded_share=float(unrecorded),
            core=[(str(codes[i]), str(names[i])) for i in core], core_source=core_source,
            containment=float(containment), self_sufficiency=None if sup is None else float(sup),
            catchment_population=cat_pop, top=top_d, leakage=leak_d, reasons=reasons, notes=notes,
        )

    def _year_text(self, population_year: int) -> str:
        base = f"PHE catchment year {self.year}"
        when = f"Census {population_year}" if population_year == 2021 else f"mid-{population_year}"
        if self.outside_year is None or self.outside_year == population_year:
            return f"{base}, populations {when}"
        where = "London residents" if self.area_label == "London" else "residents of the region"
        return (f"{base}; {where} at {when} but the rest of England at "
                f"mid-{self.outside_year}, the only England-wide year in the data")

    def care_flow_check(self, footprint: Footprint, units: np.ndarray, index: UnitIndex,
                        thresholds: Thresholds) -> CheckResult:
        """The ``care_flow`` rule: containment against ``thresholds.care_flow_min``.

        :func:`spatial.checks.check_footprint` calls this and shows the verdict
        as information below multi-borough level.
        """
        m = self.measure(footprint, index, units, thresholds=thresholds, top=3, leakage=2)
        need = thresholds.care_flow_min
        ok = m.containment >= need
        if not m.core:
            reason = m.reasons["containment"]
        else:
            word = "at least" if ok else "below"
            core_txt = ", ".join(n for _, n in m.core[:3]) + (f" and {len(m.core) - 3} more" if len(m.core) > 3 else "")
            reason = (f"core providers ({core_txt}) deliver {percent(m.containment)} of residents' recorded hospital "
                      f"activity: {word} {percent(need)}")
            if m.leakage:
                reason += "; main leakage: " + ", ".join(f"{d.name} {percent(d.share)}" for d in m.leakage)
            reason += f"; {percent(m.unrecorded_share)} of admissions unrecorded (PHE omits small flows)"
            if m.catchment_population is not None:
                reason += f"; core providers' catchment {_people(m.catchment_population)}"
        reason += f" [PHE catchments {self.year}]"
        return CheckResult("care_flow", bool(ok), round(float(m.containment), 4), need, reason)

    # --- many footprints at once ---------------------------------------------------------

    def containment_table(
        self,
        sets: Sequence[np.ndarray],
        index: UnitIndex,
        *,
        layer: str = "unit",
        core: Sequence[np.ndarray | None] | None = None,
        labels: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Containment of many footprints at once, from the sparse matrix.

        Parameters
        ----------
        sets : sequence of int arrays
            Each footprint as ids of ``layer`` areas (unique within a set).
        index : UnitIndex
        layer : str
            ``"unit"`` (default), ``"msoa"``, ``"borough"``, ``"ccg"`` or ``"stp"``.
        core : sequence, optional
            Per footprint, trust positions of a core-provider override, or
            ``None`` for the default (trusts located inside).
        labels : sequence of str, optional
            Row labels (index of the result).

        Returns
        -------
        pandas.DataFrame
            ``population, recorded, core_activity, containment, n_core,
            unrecorded_share`` and, when England populations are known,
            ``catchment_population, self_sufficiency``.
        """
        a = self.layer_activity(index, layer)
        n_areas = a.shape[0]
        k = len(sets)
        lengths = np.fromiter((len(s) for s in sets), dtype=np.int64, count=k)
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        indices = np.concatenate([np.asarray(s, dtype=np.int64) for s in sets]) if k else np.empty(0, np.int64)
        g = sp.csr_array((np.ones(len(indices)), indices, indptr), shape=(k, n_areas))
        r = (g @ a).toarray()
        pops = g @ (index.area_totals(layer) if layer != "unit" else index.population.astype(float))
        # default core: trusts whose headquarters area is in the set
        located, unit_of = self._located()
        area_of = index.membership[layer][unit_of] if layer != "unit" else unit_of
        e = sp.csr_array((np.ones(len(located)), (area_of, located)), shape=(n_areas, self.n_trusts))
        c = (g @ e).toarray() > 0
        if core is not None:
            for i, override in enumerate(core):
                if override is not None:
                    c[i] = False
                    c[i, np.asarray(override, dtype=np.int64)] = True
        recorded = r.sum(axis=1)
        core_act = (r * c).sum(axis=1)
        safe_rec = np.where(recorded > 0, recorded, 1.0)
        safe_pop = np.where(pops > 0, pops, 1.0)
        cols = {
            "population": pops,
            "recorded": recorded,
            "core_activity": core_act,
            "containment": np.where(recorded > 0, core_act / safe_rec, 0.0),
            "n_core": c.sum(axis=1),
            "unrecorded_share": np.where(pops > 0, 1 - recorded / safe_pop, 0.0),
        }
        catch = self.catchment(index)
        if catch is not None:
            cp = c @ catch
            cols["catchment_population"] = cp
            cols["self_sufficiency"] = np.where(cp > 0, core_act / np.where(cp > 0, cp, 1.0), np.nan)
        return pd.DataFrame(cols, index=list(labels) if labels is not None else None)

    def footprints_table(
        self,
        footprints: Sequence[Footprint],
        index: UnitIndex,
        *,
        units: Sequence[np.ndarray] | None = None,
        labels: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """:meth:`containment_table` for footprints (core-provider overrides honoured), in one sparse product.

        Parameters
        ----------
        footprints : sequence of Footprint
        index : UnitIndex
        units : sequence of int arrays, optional
            Unit ids of each footprint when already expanded.
        labels : sequence of str, optional
            Row labels (default the footprint names).

        Raises
        ------
        UnknownTrustError, UnknownCodeError
        """
        if units is None:
            units = [index.expand(fp.members, where=f"footprint {fp.name!r}") for fp in footprints]
        core = [None if fp.core_providers is None
                else self.check_codes(fp.core_providers, where=f"footprint {fp.name!r} core_providers")
                for fp in footprints]
        out = self.containment_table(list(units), index, core=core,
                                     labels=list(labels) if labels is not None else [fp.name for fp in footprints])
        out.insert(0, "level", [fp.level for fp in footprints])
        return out

    def scenario_table(self, scenario: Scenario, index: UnitIndex) -> pd.DataFrame:
        """:meth:`footprints_table` of every footprint of a scenario, indexed by name."""
        self.validate(scenario)
        members = resolve_members(scenario, index)
        return self.footprints_table(scenario.footprints, index, units=[members[n] for n in scenario.names()])

    def layer_table(self, index: UnitIndex, layer: str = "borough") -> pd.DataFrame:
        """Containment of every area of a layer on its own (e.g. each borough), indexed by code."""
        n = len(index.layer_codes[layer])
        out = self.containment_table([np.array([i]) for i in range(n)], index, layer=layer,
                                     labels=list(index.layer_codes[layer]))
        out.insert(0, "name", index.layer_names[layer])
        return out

    def trust_table(self, index: UnitIndex) -> gpd.GeoDataFrame:
        """Trusts with their catchments, as points in EPSG:4326 (for maps).

        Columns: ``code, name, status, has_flows, borough, borough_name,
        london_activity`` (activity from the units' residents), ``catchment``
        (England-wide, NaN when unknown), ``london_share`` and the geometry.
        Trusts without a location are left out.
        """
        london = np.asarray(self.activity(index).sum(axis=0)).ravel()
        catch = self.catchment(index)
        df = self.trusts[["code", "name", "status", "has_flows", "borough", "borough_name", "lon", "lat"]].copy()
        df["london_activity"] = london
        df["catchment"] = catch if catch is not None else np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            df["london_share"] = np.where(df["catchment"] > 0, london / df["catchment"], np.nan)
        df = df[df["lon"].notna()].reset_index(drop=True)
        return gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(df["lon"], df["lat"]),
                                crs=4326)


# --- helpers -------------------------------------------------------------------------------

def _geographies(source: Any) -> Geographies:
    if isinstance(source, Geographies):
        return source
    geo = getattr(source, "geo", None)
    if isinstance(geo, Geographies):
        return geo
    raise TypeError(f"expected Geographies, UnitIndex or Engine, not {type(source).__name__}")


def containment_frame(
    flows: CareFlows,
    index: UnitIndex,
    *,
    layer: str | None = "borough",
    scenario: Scenario | None = None,
    thresholds: Thresholds | None = None,
) -> gpd.GeoDataFrame:
    """Containment per area of a layer, or per footprint of a scenario, with shapes (for a choropleth).

    Parameters
    ----------
    flows : CareFlows
    index : UnitIndex
    layer : str, optional
        ``"borough"`` (default), ``"ccg"``, ``"stp"`` or ``"msoa"``; ignored when ``scenario`` is given.
    scenario : Scenario, optional
        Measure its footprints (core-provider overrides honoured).
    thresholds : Thresholds, optional
        ``care_flow_min`` for the ``meets`` column (default: the scenario's, or the defaults).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:27700; ``code, name, level, population, containment, meets`` (containment at least
        ``care_flow_min``), ``n_core, unrecorded_share`` and, when known, ``self_sufficiency,
        catchment_population``.
    """
    if scenario is not None:
        t = thresholds or scenario.thresholds
        table = flows.scenario_table(scenario, index)
        members = resolve_members(scenario, index)
        geoms = [footprint_geometry(index, members[n]) for n in table.index]
        out = table.reset_index(names="name")
        out.insert(0, "code", [f"fp{i}" for i in range(len(out))])
    else:
        t = thresholds or Thresholds()
        table = flows.layer_table(index, layer)
        shapes = index.geo.layer(layer).set_index("code").geometry
        geoms = list(shapes.reindex(table.index).values)
        out = table.reset_index(names="code")
        out.insert(2, "level", layer)
    out["meets"] = out["containment"] >= t.care_flow_min
    return gpd.GeoDataFrame(out, geometry=geoms, crs=27700)


def attach_flows(engine: Any, year: int = 2018, **kwargs: Any) -> Any:
    """A new engine: ``engine`` with the care-flow model built for it (``engine`` itself is unchanged).

    Engines made from it by ``for_year`` share the model.
    """
    return engine.with_flows(CareFlows.load(engine.geo, year=year, **kwargs))


def with_core_providers(
    footprint: Footprint,
    flows: CareFlows,
    index: UnitIndex,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    units: np.ndarray | None = None,
) -> Footprint:
    """Footprint with trusts added to or removed from its core providers.

    Starts from the current choice (the override, or the default: trusts
    located inside).  When the result equals the default the override is
    dropped (``core_providers=None``), so scenario files only store real choices.

    Raises
    ------
    UnknownTrustError
        For unknown codes in ``add`` or ``remove``.
    """
    where = f"footprint {footprint.name!r} core_providers"
    add_pos = flows.check_codes(list(add), where=where)
    rm_pos = flows.check_codes(list(remove), where=where)
    if units is None:
        units = index.expand(footprint.members, where=f"footprint {footprint.name!r}")
    current, _ = flows.core_positions(footprint, units)
    new = sorted((set(current.tolist()) | set(add_pos.tolist())) - set(rm_pos.tolist()))
    default = sorted(flows.default_core(units).tolist())
    codes = tuple(flows.trust_codes[new]) if new != default else None
    return dataclasses.replace(footprint, core_providers=codes)
