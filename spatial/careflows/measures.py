r"""What is measured of a footprint's care flows: containment, self-sufficiency, catchment, destinations.

:class:`FlowMeasures` holds the measures of one footprint with their reasons in
plain words and :class:`Destination` one trust its residents go to;
:func:`measure_footprint` computes them from a
:class:`~spatial.careflows.model.CareFlows` model and :func:`care_flow_check`
turns them into the ``care_flow`` rule's verdict.  They are the model's
``measure`` and ``care_flow_check`` methods.

Notes
-----
Containment of a footprint with units :math:`U` and core providers :math:`C`:

.. math::

    \text{containment} = \frac{\sum_{t \in C} \sum_{u \in U} P_u\, p_{u,t}}
                               {\sum_{t} \sum_{u \in U} P_u\, p_{u,t}}

with :math:`P_u` the unit's population and :math:`p_{u,t}` the share of its
MSOA's admitted patients treated by trust :math:`t` (PHE/OHID catchments);
the denominator is the residents' *recorded* activity (PHE omits small flows).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..checks import CheckResult
from ..footprints import Footprint
from ..index import UnitIndex
from ..limits import DEFAULT_LEAKAGE, DEFAULT_TOP
from ..text import percent
from ..thresholds import Thresholds
from .providers import in_units

if TYPE_CHECKING:  # pragma: no cover
    from .model import CareFlows

__all__ = ["Destination", "FlowMeasures", "measure_footprint", "care_flow_check", "year_text",
           "DEFAULT_TOP", "DEFAULT_LEAKAGE"]


def _people(n: float) -> str:
    """A head count in words: ``1.23m`` from a million, else ``12,345``."""
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


def measure_footprint(
    model: "CareFlows",
    footprint: Footprint,
    index: UnitIndex,
    units: np.ndarray | None = None,
    *,
    thresholds: Thresholds | None = None,
    top: int = DEFAULT_TOP,
    leakage: int = DEFAULT_LEAKAGE,
) -> FlowMeasures:
    r"""Containment, self-sufficiency, catchment and destinations of one footprint (:meth:`CareFlows.measure`).

    Parameters
    ----------
    model : CareFlows
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

    Notes
    -----
    With :math:`U` the footprint's units, :math:`P_u` their populations (the
    index's year), :math:`p_{u,t}` the share of unit :math:`u`'s MSOA's admitted
    patients treated by trust :math:`t` and :math:`C` the core providers, the
    residents' activity at trust :math:`t` is :math:`r_t = \sum_{u \in U} P_u p_{u,t}` and

    .. math::

        \text{recorded} = \sum_t r_t, \qquad
        \text{containment} = \frac{\sum_{t \in C} r_t}{\text{recorded}}, \qquad
        \text{unrecorded share} = 1 - \frac{\text{recorded}}{\sum_{u \in U} P_u}.

    With :math:`K_t` trust :math:`t`'s England-wide catchment
    (:meth:`CareFlows.catchment`), self-sufficiency is
    :math:`\sum_{t \in C} r_t / \sum_{t \in C} K_t` and the catchment
    population :math:`\sum_{t \in C} K_t`.  Containment is 0 without a core
    provider, or when nothing is recorded.
    """
    t = thresholds or Thresholds()
    if units is None:
        units = index.expand(footprint.members, where=f"footprint {footprint.name!r}")
    units = np.asarray(units, dtype=np.int64)
    core, core_source = model.core_positions(footprint, units)
    r = model.resident_activity(units, index)
    pop = int(index.population[units].sum())
    recorded = float(r.sum())
    unrecorded = 1 - recorded / pop if pop else 0.0
    core_mask = np.zeros(model.n_trusts, dtype=bool)
    core_mask[core] = True
    cols = model._trust_columns()
    inside_mask = in_units(cols["unit"], units)
    core_act = float(r[core_mask].sum())
    containment = core_act / recorded if recorded > 0 else 0.0
    names = cols["name"]
    codes = model.trust_codes
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
        notes.append(f"core provider(s) {', '.join(idle)} have no activity in the {model.year} catchments "
                     "(closed, merged into a successor, or not an acute trust)")
    gone = [codes[i] for i in core if r[i] == 0 and codes[i] not in idle]
    if gone:
        notes.append(f"core provider(s) {', '.join(gone)} treat none of this footprint's residents "
                     f"in the {model.year} catchments")
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
    catch = model.catchment(index)
    year_txt = year_text(model, index.year)
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
        footprint=footprint.name, level=footprint.level, catchment_year=model.year, population_year=index.year,
        population=pop, recorded=recorded, unrecorded_share=float(unrecorded),
        core=[(str(codes[i]), str(names[i])) for i in core], core_source=core_source,
        containment=float(containment), self_sufficiency=None if sup is None else float(sup),
        catchment_population=cat_pop, top=top_d, leakage=leak_d, reasons=reasons, notes=notes,
    )


def year_text(model: "CareFlows", population_year: int) -> str:
    """The years behind a measure, in words (catchment year; population years of the residents and of England)."""
    base = f"PHE catchment year {model.year}"
    when = f"Census {population_year}" if population_year == 2021 else f"mid-{population_year}"
    if model.outside_year is None or model.outside_year == population_year:
        return f"{base}, populations {when}"
    where = "London residents" if model.area_label == "London" else "residents of the region"
    return (f"{base}; {where} at {when} but the rest of England at "
            f"mid-{model.outside_year}, the only England-wide year in the data")


def care_flow_check(model: "CareFlows", footprint: Footprint, units: np.ndarray, index: UnitIndex,
                    thresholds: Thresholds) -> CheckResult:
    """The ``care_flow`` rule (:meth:`CareFlows.care_flow_check`): containment against ``thresholds.care_flow_min``.

    :func:`spatial.checks.check_footprint` calls this and shows the verdict
    as information below multi-borough level.
    """
    m = model.measure(footprint, index, units, thresholds=thresholds, top=3, leakage=2)
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
    reason += f" [PHE catchments {model.year}]"
    return CheckResult("care_flow", bool(ok), round(float(m.containment), 4), need, reason)
