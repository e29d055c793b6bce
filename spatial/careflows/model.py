"""The care-flow model: trust catchment proportions as a sparse units x trusts matrix.

:class:`CareFlows` holds the proportions, the trusts and the supply side of one
unit table and one catchment year, and caches the activity matrices per
population year.  Building it lives in :mod:`.build`, the measures of one
footprint in :mod:`.measures`, core providers in :mod:`.providers` and the
many-footprint tables in :mod:`.tables`; the class's methods delegate to them
and keep their names and behaviour.

Notes
-----
The expected activity of unit :math:`u` at trust :math:`t` is

.. math::

    a_{u,t} = P_u \, p_{u,t}

with :math:`P_u` the unit's population (the index's year) and :math:`p_{u,t}`
the share of its MSOA's admitted patients treated by the trust
(:attr:`CareFlows.proportions`).  A trust's England-wide catchment is
:math:`\sum_u a_{u,t}` plus the activity of the MSOAs outside the units
(:attr:`CareFlows.outside_activity`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from boundaries import Geographies
from boundaries.config import Settings
from boundaries.flows import FlowTable

from ..checks import CheckResult
from ..footprints import Footprint, Scenario
from ..index import UnitIndex
from ..limits import DEFAULT_LEAKAGE, DEFAULT_TOP
from ..thresholds import Thresholds
from . import build, measures, providers, tables
from .measures import FlowMeasures

__all__ = ["CareFlows", "attach_flows"]


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

    # --- construction (build.py) -------------------------------------------------------

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
        """Build the model from the registry's flow table of ``year`` (see :func:`.build.load_model`).

        Parameters
        ----------
        source : Geographies, UnitIndex or Engine
            The units the model is for (an Engine's ``geo`` is used).
        year : int
            PHE catchment year: 2018 or 2019 (``flow_years()``).
        config : Settings, optional
        path : path-like, optional
            A supplied flow CSV instead of the registry's.
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
        return build.load_model(cls, source, year, config=config, path=path, trusts_path=trusts_path,
                                england=england)

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
        """Build the model from tables (see :func:`.build.build_model` for the parameters).

        Warns
        -----
        FlowDataWarning
            Unit MSOAs with no flows; flow MSOAs that have no population;
            flow trusts without a location.
        """
        return build.build_model(cls, units, flows, trusts, year=year, outside_population=outside_population,
                                 outside_year=outside_year, notes=notes)

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
        return providers.in_units(unit_of, units)

    # --- core providers (providers.py) -------------------------------------------------

    def _located(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the trusts with flows located in a unit, and their unit ids."""
        return providers.located(self)

    def default_core(self, units: np.ndarray) -> np.ndarray:
        """Positions of the trusts with flows whose headquarters lies in ``units``."""
        return providers.default_core(self, units)

    def check_codes(self, codes: Iterable[str], *, where: str | None = None) -> np.ndarray:
        """Positions of trust codes.

        Raises
        ------
        UnknownTrustError
            Listing every unknown code with the closest known trusts.
        """
        return providers.check_codes(self, codes, where=where)

    def core_positions(self, footprint: Footprint, units: np.ndarray) -> tuple[np.ndarray, str]:
        """Core provider positions of a footprint and whether they are ``"default"`` or ``"override"``."""
        return providers.core_positions(self, footprint, units)

    def validate(self, scenario: Scenario) -> None:
        """Check every core-provider override of a scenario.

        Raises
        ------
        UnknownTrustError
            Listing the unknown codes of every footprint.
        """
        providers.validate_scenario(self, scenario)

    # --- measures (measures.py) --------------------------------------------------------

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

        See :func:`.measures.measure_footprint` (parameters and the formulas).

        Raises
        ------
        UnknownTrustError
            When the footprint's core-provider override names unknown trusts.
        """
        return measures.measure_footprint(self, footprint, index, units, thresholds=thresholds, top=top,
                                          leakage=leakage)

    def _year_text(self, population_year: int) -> str:
        return measures.year_text(self, population_year)

    def care_flow_check(self, footprint: Footprint, units: np.ndarray, index: UnitIndex,
                        thresholds: Thresholds) -> CheckResult:
        """The ``care_flow`` rule: containment against ``thresholds.care_flow_min``.

        :func:`spatial.checks.check_footprint` calls this and shows the verdict
        as information below multi-borough level.
        """
        return measures.care_flow_check(self, footprint, units, index, thresholds)

    # --- many footprints at once (tables.py) ---------------------------------------------

    def containment_table(
        self,
        sets: Sequence[np.ndarray],
        index: UnitIndex,
        *,
        layer: str = "unit",
        core: Sequence[np.ndarray | None] | None = None,
        labels: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Containment of many footprints at once, from the sparse matrix (:func:`.tables.containment_table`)."""
        return tables.containment_table(self, sets, index, layer=layer, core=core, labels=labels)

    def footprints_table(
        self,
        footprints: Sequence[Footprint],
        index: UnitIndex,
        *,
        units: Sequence[np.ndarray] | None = None,
        labels: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """:meth:`containment_table` for footprints, overrides honoured (:func:`.tables.footprints_table`)."""
        return tables.footprints_table(self, footprints, index, units=units, labels=labels)

    def scenario_table(self, scenario: Scenario, index: UnitIndex) -> pd.DataFrame:
        """:meth:`footprints_table` of every footprint of a scenario, indexed by name."""
        return tables.scenario_table(self, scenario, index)

    def layer_table(self, index: UnitIndex, layer: str = "borough") -> pd.DataFrame:
        """Containment of every area of a layer on its own (e.g. each borough), indexed by code."""
        return tables.layer_table(self, index, layer)

    def trust_table(self, index: UnitIndex) -> gpd.GeoDataFrame:
        """Trusts with their catchments, as points in EPSG:4326 (for maps; :func:`.tables.trust_table`)."""
        return tables.trust_table(self, index)


def attach_flows(engine: Any, year: int = 2018, **kwargs: Any) -> Any:
    """A new engine: ``engine`` with the care-flow model built for it (``engine`` itself is unchanged).

    Engines made from it by ``for_year`` share the model.
    """
    return engine.with_flows(CareFlows.load(engine.geo, year=year, **kwargs))
