r"""The care-flow model: trust catchment proportions as a sparse units x trusts matrix.

:class:`CareFlows` holds the proportions, the trusts and the supply side of one
unit table and one catchment year, and caches the activity matrices per
population year.  Building it lives in :mod:`.build`, the measures of one
footprint in :mod:`.measures`, core providers in :mod:`.providers` and the
many-footprint tables in :mod:`.tables`; the class's methods are those
modules' functions (same names, signatures and behaviour as before the split).

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
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..index import UnitIndex
from . import build, measures, providers, tables

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
    # The methods below are the module functions themselves (one definition and one docstring
    # each); the function's first parameter, ``cls`` or ``model``, is the class or the model.

    load = classmethod(build.load_model)
    from_tables = classmethod(build.build_model)

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

    # --- measures (measures.py) --------------------------------------------------------

    measure = measures.measure_footprint
    _year_text = measures.year_text
    care_flow_check = measures.care_flow_check

    # --- core providers (providers.py) -------------------------------------------------

    _in_units = staticmethod(providers.in_units)
    _located = providers.located
    default_core = providers.default_core
    check_codes = providers.check_codes
    core_positions = providers.core_positions
    validate = providers.validate_scenario

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

    # --- many footprints at once (tables.py) ---------------------------------------------

    containment_table = tables.containment_table
    footprints_table = tables.footprints_table
    scenario_table = tables.scenario_table
    layer_table = tables.layer_table
    trust_table = tables.trust_table


def attach_flows(engine: Any, year: int = 2018, **kwargs: Any) -> Any:
    """A new engine: ``engine`` with the care-flow model built for it (``engine`` itself is unchanged).

    Engines made from it by ``for_year`` share the model.
    """
    return engine.with_flows(CareFlows.load(engine.geo, year=year, **kwargs))
