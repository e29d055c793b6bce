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

The package
-----------
* :mod:`.model`: :class:`CareFlows` (the matrices, lookups and activity) and :func:`attach_flows`;
* :mod:`.build`: building a model from the registry or from tables;
* :mod:`.measures`: :class:`FlowMeasures`, :class:`Destination`, one footprint's measures and the rule;
* :mod:`.providers`: core providers (default, overrides, :func:`with_core_providers`);
* :mod:`.tables`: many footprints or areas at once and :func:`containment_frame`.

Reading the files is the data layer's (:mod:`boundaries.flows`); drawing is
:mod:`layers.flowmaps`'s.

The containment formula is in the Notes of :mod:`.measures` and
:func:`.measures.measure_footprint`.
"""

from __future__ import annotations

from boundaries.flows import flow_years

from ..errors import FlowDataWarning, FlowYearError, UnknownTrustError
from ..geometry import footprint_geometry
from ..limits import DEFAULT_LEAKAGE, DEFAULT_TOP
from .measures import Destination, FlowMeasures
from .model import CareFlows, attach_flows
from .providers import suggest_trusts, with_core_providers
from .tables import containment_frame

__all__ = [
    "CareFlows",
    "FlowMeasures",
    "Destination",
    "attach_flows",
    "containment_frame",
    "footprint_geometry",
    "with_core_providers",
    "suggest_trusts",
    "FlowYearError",
    "UnknownTrustError",
    "FlowDataWarning",
    "flow_years",
    "DEFAULT_TOP",
    "DEFAULT_LEAKAGE",
]
