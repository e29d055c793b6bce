"""The Python API: one object that holds a dataset's precomputed engine state.

>>> from spatial.api import Engine
>>> from spatial.footprints import Footprint
>>> engine = Engine.load()                                       # doctest: +SKIP
>>> fp = Footprint("K&R", "multi_borough", ("E09000021", "E09000027"))
>>> engine.check_footprint(fp).check("population").passed        # doctest: +SKIP
False

The app, the command line and notebooks all go through this object, so they
see the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from boundaries import Geographies, Settings, settings
from boundaries.config import DEFAULT_GEOGRAPHY
from boundaries.regions import load_region

from .checks import CareFlowModel, FootprintReport, ScenarioReport, check_footprint, check_scenario
from .footprints import Footprint, Scenario
from .index import UnitIndex
from .profile import Profile
from .thresholds import Thresholds

__all__ = ["Engine"]


@dataclass(frozen=True, eq=False)
class Engine:
    """Geographies, unit index and (optionally) care flows for one region and year.

    An engine is never changed after it is made (the app shares one across
    sessions): :meth:`for_year` and :meth:`with_flows` return new engines.

    Attributes
    ----------
    geo : Geographies
    index : UnitIndex
    flows : CareFlowModel or None
        Care-flow model used by the ``care_flow`` rule, when one is attached.
    """

    geo: Geographies
    index: UnitIndex
    flows: CareFlowModel | None = None

    @classmethod
    def load(
        cls,
        region: str = "london",
        *,
        geography: str = DEFAULT_GEOGRAPHY,
        year: int | None = None,
        config: Settings | None = None,
        progress: Callable[[float, str], None] | None = None,
        care_flows: bool = False,
    ) -> "Engine":
        """Load a region's data (processed cache) and build the index.

        The first load of a dataset also computes its per-dataset tables in the
        processed cache: the unit adjacency and, for each published layer that is
        not a union of whole units (London's GLA boroughs), the ``units x layer``
        area table (:func:`spatial.overlaps.precompute_unit_areas`, ~0.25 s once),
        so the first area overlap against that layer reads it.

        Parameters
        ----------
        region : str
            ``"london"`` (default), ``"england"``, an NHS region (code such as
            ``"Y56"`` or name), or an ICB / STP (code or name); see
            :func:`boundaries.regions.load_region`.
        geography : {"2018", "2024"}
            Boundary vintage: LSOA 2011 with CCGs and STPs (default), or LSOA
            2021 with sub-ICB locations, ICBs and upper-tier councils.
        year : int, optional
            Population year of the units (default mid-2017 for 2018, Census
            2021 for 2024).
        config : Settings, optional
            Data and cache folders (default :func:`boundaries.settings`).
        progress : callable, optional
            ``progress(fraction, message)`` while loading.
        care_flows : bool
            Also load the PHE catchment model (:mod:`spatial.careflows`), so that
            the ``care_flow`` rule is measured (about a second more).

        Returns
        -------
        Engine
        """
        config = config or settings()
        geo = load_region(region, geography=str(geography), year=year, config=config, progress=progress)
        engine = cls(geo, UnitIndex.from_geographies(geo))
        from .overlaps import precompute_unit_areas

        precompute_unit_areas(engine.index, config)  # once per dataset: the units x published-layer area tables
        if care_flows:
            from .careflows import CareFlows

            engine = engine.with_flows(CareFlows.load(geo))
        return engine

    @property
    def year(self) -> int:
        """Population year."""
        return self.geo.year

    @property
    def geography(self) -> str:
        """``"2018"`` or ``"2024"``."""
        return self.geo.geography

    @property
    def region(self) -> str:
        """The region chosen (``"london"``, ``"england"``, an NHS region or ICB/STP)."""
        return self.geo.area or self.geo.region

    def for_year(self, year: int) -> "Engine":
        """A new engine for another population year (sharing the adjacency and the care-flow model).

        ``self`` is returned for its own year; nothing is written onto it.
        """
        if year == self.year:
            return self
        index = self.index.with_year(year)
        return Engine(index.geo, index, self.flows)

    def with_flows(self, flows: CareFlowModel | None) -> "Engine":
        """A new engine with the care-flow model ``flows`` (None: without)."""
        return replace(self, flows=flows)

    def check_footprint(self, footprint: Footprint, *, thresholds: Thresholds | None = None, **kw) -> FootprintReport:
        """Check one footprint (see :func:`spatial.checks.check_footprint`)."""
        return check_footprint(footprint, self.index, thresholds=thresholds, flows=self.flows, **kw)

    def profile(self, footprint: Footprint, *, constituents=None) -> "Profile":
        """Who lives in a footprint: age bands, 65+/75+, IMD deciles, Core20 share and gap.

        Parameters
        ----------
        footprint : Footprint
        constituents : str or mapping, optional
            Layer of the constituent areas for the Core20 gap (default: boroughs
            for a multi-borough system or STP, wards otherwise), or name -> unit
            ids of each constituent (e.g. the localities of a borough).

        Returns
        -------
        spatial.profile.Profile
        """
        from .profile import ProfileData, constituent_layer, profile_units

        data = ProfileData.from_index(self.index)
        units = self.index.expand(footprint.members, where=f"footprint {footprint.name!r}")
        return profile_units(data, units, constituents=constituents or constituent_layer(footprint.level, data))

    def check(self, scenario: Scenario) -> ScenarioReport:
        """Check a scenario in its own population year."""
        from .geography import check_scenario_geography

        check_scenario_geography(scenario, self.geography)
        eng = self.for_year(scenario.year)
        return check_scenario(scenario, eng.index, flows=self.flows)
