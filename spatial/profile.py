"""Who lives in a footprint: residents by age band, and by national deprivation.

The profile is computed from unit arrays, as the tallies are: after one click
it is a few ``np.bincount`` calls, not a table operation.  Every figure
names its year and source (:attr:`Profile.sources`).

>>> from spatial.api import Engine                                  # doctest: +SKIP
>>> p = engine.profile(Footprint("K&R", "multi_borough", ("E09000021", "E09000027")))
>>> p.summary()                                                      # doctest: +SKIP
'65+ 15.6%, 75+ 7.3% · Core20 2.3% · mean IMD rank 22,473 · Core20 gap 1.9 pts'

Definitions
-----------
* **Core20**: residents of the most deprived national quintile of the IMD
  2019 (deciles 1 and 2), NHS England's Core20PLUS5 "Core20".
* **Mean IMD rank**: residents-weighted mean of the units' national IMD ranks
  (1 = most deprived of 32,844 LSOAs); lower is more deprived.
* **Core20 gap**: the difference in Core20 share between the footprint's most
  and least deprived constituent areas (boroughs for a multi-borough system or
  STP; wards, or the localities given, for a borough or locality).  Only
  constituents holding at least ``GAP_MIN_PART_SHARE`` (5%) of the footprint's
  residents count (``Constituent.counted``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from boundaries.attributes import IMD_N_AREAS

from .index import UnitIndex
from .text import percent, percent_short
from .thresholds import GAP_MIN_PART_SHARE, canonical_level

__all__ = [
    "ProfileData",
    "Profile",
    "Constituent",
    "profile_units",
    "profiles_for_sets",
    "constituent_layer",
    "IMD_LABEL",
    "CORE20_DECILES",
]

#: How every IMD figure is labelled: the index is of 2019, on 2011 LSOAs.
IMD_LABEL = "IMD 2019 on 2011 areas"
IMD_SOURCE = "English Indices of Deprivation 2019, MHCLG (rank 1 = most deprived of 32,844 LSOAs 2011)"
#: National deciles in NHS England's Core20 (the most deprived quintile).
CORE20_DECILES = (1, 2)
_AGE_RE = re.compile(r"^age_(\d+)_(\d+|plus)$")
_AGE_SOURCES = {
    "london": ("ONS mid-2017 LSOA population estimates by single year of age (SAPE20DT1)", 2017),
}


def _band_label(col: str) -> tuple[str, int, int | None]:
    m = _AGE_RE.match(col)
    lo = int(m.group(1))
    hi = None if m.group(2) == "plus" else int(m.group(2))
    return (f"{lo}+" if hi is None else f"{lo}-{hi}"), lo, hi


@dataclass(frozen=True, eq=False)
class ProfileData:
    """Unit arrays a profile is computed from (generic: any unit geography).

    Attributes
    ----------
    population : ndarray of int64
        Residents of each unit in ``population_year`` (the IMD weights).
    population_year : int
    ages : ndarray (n_units, n_bands) of int64, or None
        Residents by age band; ``None`` when the region has no age data.
    age_bands : tuple of (label, first age, last age or None)
    age_source, age_year :
        Where the ages come from.
    imd_rank : ndarray of float, or None
        National IMD rank of each unit (a mean rank for merged 2021 LSOAs).
    imd_decile : ndarray of int, or None
        National decile, 1 = most deprived 10%.
    membership, layer_codes, layer_names : dict
        Layer -> area id per unit, area codes, area names (as in :class:`UnitIndex`).
    missing : dict
        ``"age"``/``"imd"`` -> why the data is not there, in words.
    """

    population: np.ndarray
    population_year: int
    ages: np.ndarray | None
    age_bands: tuple[tuple[str, int, int | None], ...]
    age_source: str
    age_year: int | None
    imd_rank: np.ndarray | None
    imd_decile: np.ndarray | None
    membership: Mapping[str, np.ndarray]
    layer_codes: Mapping[str, np.ndarray]
    layer_names: Mapping[str, np.ndarray]
    imd_label: str = IMD_LABEL
    missing: Mapping[str, str] = field(default_factory=dict)
    #: What the residents count is (default: ``"ONS mid-<year> population estimates"``).
    population_source: str = ""
    #: Layer -> what the geography calls it (``"borough"`` -> ``"place"`` in 2024), for the texts.
    layer_words: Mapping[str, str] = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_index(cls, index: UnitIndex) -> "ProfileData":
        """Arrays from the index's unit table (columns ``age_*``, ``imd_rank``, ``imd_decile``)."""
        cached = getattr(index, "_profile_data", None)
        if cached is not None:
            return cached
        units = index.geo.units
        region = index.geo.region
        age_cols = sorted((c for c in units.columns if _AGE_RE.match(str(c))),
                          key=lambda c: int(_AGE_RE.match(c).group(1)))
        missing: dict[str, str] = {}
        ages = units[age_cols].to_numpy(np.int64) if age_cols else None
        if ages is None:
            missing["age"] = f"no age figures for the {region} units (no single-year-of-age table in the data)"
        src, year = _AGE_SOURCES.get(region, ("Census 2021 usual residents by age band (ONS)", 2021))
        imd = "imd_rank" in units and "imd_decile" in units
        if not imd:
            missing["imd"] = f"no IMD 2019 figures for the {region} units"
        from .geography import LAYER_WORDS

        geography = str(getattr(index.geo, "geography", "2018"))
        census = geography == "2024" and index.year == 2021
        data = cls.from_arrays(
            population=index.population, population_year=index.year,
            ages=ages, age_columns=age_cols, age_source=src, age_year=year if ages is not None else None,
            imd_rank=units["imd_rank"].to_numpy(float) if imd else None,
            imd_decile=units["imd_decile"].to_numpy(np.int64) if imd else None,
            membership=index.membership, layer_codes=index.layer_codes, layer_names=index.layer_names,
            missing=missing, population_source="Census 2021 usual residents (ONS), March 2021" if census else "",
            layer_words=LAYER_WORDS.get(geography, {}),
        )
        try:
            object.__setattr__(index, "_profile_data", data)
        except AttributeError:  # pragma: no cover - slots
            pass
        return data

    @classmethod
    def from_arrays(cls, *, population, population_year: int, ages=None, age_columns: Sequence[str] = (),
                    age_source: str = "", age_year: int | None = None, imd_rank=None, imd_decile=None,
                    membership=None, layer_codes=None, layer_names=None, imd_label: str = IMD_LABEL,
                    missing: Mapping[str, str] | None = None, population_source: str = "",
                    layer_words: Mapping[str, str] | None = None) -> "ProfileData":
        """Arrays for any unit geography (e.g. 2021 LSOAs with Census 2021 bands).

        ``age_columns`` are named ``age_<first>_<last>`` or ``age_<first>_plus``.
        """
        n = len(population)
        membership = dict(membership or {"unit": np.arange(n)})
        return cls(
            population=np.asarray(population, np.int64), population_year=population_year,
            ages=None if ages is None else np.asarray(ages, np.int64),
            age_bands=tuple(_band_label(c) for c in age_columns), age_source=age_source, age_year=age_year,
            imd_rank=None if imd_rank is None else np.asarray(imd_rank, float),
            imd_decile=None if imd_decile is None else np.asarray(imd_decile, np.int64),
            membership=membership, layer_codes=dict(layer_codes or {}), layer_names=dict(layer_names or {}),
            imd_label=imd_label, missing=dict(missing or {}), population_source=population_source,
            layer_words=dict(layer_words or {}),
        )

    # --- derived per-unit arrays, built once -------------------------------------------------

    def _derived(self) -> dict:
        c = self._cache
        if c:
            return c
        pop = self.population.astype(float)
        c["pop"] = pop
        if self.ages is not None:
            lows = np.array([lo for _, lo, _ in self.age_bands])
            c["idx65"] = np.flatnonzero(lows >= 65)
            c["idx75"] = np.flatnonzero(lows >= 75)
            # 65+ is measurable when a band starts at 65; 75+ when one starts at 75.
            c["has65"] = bool((lows == 65).any())
            c["has75"] = bool((lows == 75).any())
        if self.imd_decile is not None:
            c["dec0"] = self.imd_decile - 1
            c["core"] = np.isin(self.imd_decile, CORE20_DECILES)
            c["core_pop"] = pop * c["core"]
            c["rank_pop"] = pop * self.imd_rank
        return c


@dataclass(frozen=True)
class Constituent:
    """Core20 share of one constituent area (the part inside the footprint)."""

    code: str
    name: str
    residents: int
    core20_residents: int
    core20_share: float
    #: Whether it holds enough of the footprint's residents to count in the gap (``GAP_MIN_PART_SHARE``).
    counted: bool = True


@dataclass(frozen=True)
class Profile:
    """Who lives in a footprint.

    Attributes
    ----------
    residents : int
        Residents in ``population_year`` (the IMD weights).
    population_year : int
    age_bands : dict of str to int
        Residents by age band (``"0-15"`` ... ``"85+"``), from ``age_source`` of ``age_year``.
    age_residents : int
        Sum of the bands (the age source's own total).
    aged_65_plus, aged_75_plus : int or None
        Counts; ``None`` when the bands do not measure it (Census 2021 bands: 65+ only).
    share_65_plus, share_75_plus : float or None
        Of ``age_residents``.
    imd_deciles : tuple of 10 int
        Residents by national IMD decile (1 = most deprived).
    imd_quintiles : tuple of 5 int
        Residents by national quintile.
    core20_residents : int
    core20_share : float or None
        Share in the most deprived national quintile (NHS England's Core20).
    mean_imd_rank : float or None
        Residents-weighted mean national rank (1 = most deprived of 32,844).
    constituent_layer : str
        Layer of the constituent areas (``"borough"``, ``"ward"``, ``"locality"``...).
    constituents : tuple of Constituent
        Each constituent's Core20 share, most deprived first.
    core20_gap : float or None
        Most minus least deprived constituent's Core20 share (``None`` with fewer than two).
    notes : tuple of str
        What could not be measured, and why.
    sources : dict of str to str
        Figure -> year and source.
    """

    residents: int
    population_year: int
    age_bands: dict
    age_residents: int
    aged_65_plus: int | None
    share_65_plus: float | None
    aged_75_plus: int | None
    share_75_plus: float | None
    imd_deciles: tuple
    imd_quintiles: tuple
    core20_residents: int
    core20_share: float | None
    mean_imd_rank: float | None
    constituent_layer: str
    constituents: tuple
    core20_gap: float | None
    notes: tuple
    sources: dict
    #: What the geography calls the constituent layer (``"place"`` for ``"borough"`` in 2024).
    constituent_word: str = ""

    @property
    def _word(self) -> str:
        return self.constituent_word or self.constituent_layer

    @property
    def most_deprived(self) -> Constituent | None:
        """Counted constituent with the highest Core20 share."""
        counted = [c for c in self.constituents if c.counted]
        return counted[0] if counted else None

    @property
    def least_deprived(self) -> Constituent | None:
        """Counted constituent with the lowest Core20 share."""
        counted = [c for c in self.constituents if c.counted]
        return counted[-1] if counted else None

    def gap_reason(self) -> str:
        """The gap in words: "Core20 share 41% in Newham vs 3% in Havering: gap 38 points"."""
        if self.core20_gap is None:
            return (f"fewer than two {self._word}s with at least {GAP_MIN_PART_SHARE:.0%} of the "
                    "residents: no gap to measure")
        hi, lo = self.most_deprived, self.least_deprived
        return (f"Core20 share {percent_short(hi.core20_share)} in {hi.name} vs {percent_short(lo.core20_share)} in {lo.name}: "
                f"gap {_pts(self.core20_gap)} points")

    def summary(self) -> str:
        """One line for the Sketch tally."""
        parts = []
        if self.share_65_plus is not None:
            age = f"65+ {percent(self.share_65_plus)}"
            if self.share_75_plus is not None:
                age += f", 75+ {percent(self.share_75_plus)}"
            parts.append(age)
        if self.core20_share is not None:
            parts.append(f"Core20 {percent(self.core20_share)}")
            parts.append(f"mean IMD rank {self.mean_imd_rank:,.0f}")
        if self.core20_gap is not None:
            parts.append(f"Core20 gap {_pts(self.core20_gap)} pts across {self._word}s")
        return " · ".join(parts) if parts else "no profile data"

    def table(self) -> pd.DataFrame:
        """Figure, value and source, one row per figure (the Check page's profile table)."""
        s = self.sources
        rows: list[tuple[str, str, str]] = [("Residents", f"{self.residents:,}", s["residents"])]
        for label, n in self.age_bands.items():
            share = n / self.age_residents if self.age_residents else 0.0
            rows.append((f"Aged {label}", f"{n:,} ({percent(share)})", s["age"]))
        for label, n, share in (("65+", self.aged_65_plus, self.share_65_plus),
                                ("75+", self.aged_75_plus, self.share_75_plus)):
            if label in self.age_bands:  # the Census 2021 band "65+" is already a row
                continue
            rows.append((f"Aged {label}", "not measurable" if n is None else f"{n:,} ({percent(share)})",
                         s["age"]))
        if self.core20_share is not None:
            for d, n in enumerate(self.imd_deciles, start=1):
                rows.append((f"IMD decile {d}" + (" (most deprived)" if d == 1 else " (least deprived)" if d == 10
                                                  else ""), f"{n:,} ({percent(n / self.residents if self.residents else 0)})",
                             s["imd"]))
            for q, n in enumerate(self.imd_quintiles, start=1):
                rows.append((f"IMD quintile {q}", f"{n:,} ({percent(n / self.residents if self.residents else 0)})",
                             s["imd"]))
            rows.append(("Core20 (most deprived national quintile)",
                         f"{self.core20_residents:,} ({percent(self.core20_share)})", s["imd"]))
            rows.append(("Mean IMD rank (1 = most deprived)", f"{self.mean_imd_rank:,.0f}", s["imd"]))
            rows.append((f"Core20 gap across {self._word}s", self.gap_reason(), s["imd"]))
        for note in self.notes:
            rows.append(("Note", note, ""))
        return pd.DataFrame(rows, columns=["figure", "value", "source"])

    def to_dict(self) -> dict:
        """JSON-ready dict (the CLI's ``profile`` field)."""
        d = asdict(self)
        d["constituents"] = [asdict(c) for c in self.constituents]
        d["imd_deciles"] = list(self.imd_deciles)
        d["imd_quintiles"] = list(self.imd_quintiles)
        d["notes"] = list(self.notes)
        d["gap_reason"] = self.gap_reason()
        d["summary"] = self.summary()
        return d

    def columns(self) -> dict:
        """Flat figures for export tables (CSV/XLSX, Proposals): name -> value."""
        return {
            "aged_65_plus": self.aged_65_plus, "share_65_plus": _round(self.share_65_plus),
            "aged_75_plus": self.aged_75_plus, "share_75_plus": _round(self.share_75_plus),
            "core20_residents": self.core20_residents, "core20_share": _round(self.core20_share),
            "mean_imd_rank": None if self.mean_imd_rank is None else round(self.mean_imd_rank, 1),
            "core20_gap_points": None if self.core20_gap is None else round(100 * self.core20_gap, 1),
            "imd_source": self.sources["imd"], "age_source": self.sources["age"],
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


def _pts(x: float) -> str:
    v = 100 * x
    return f"{v:.0f}" if abs(v - round(v)) < 0.05 or v >= 10 else f"{v:.1f}"


def constituent_layer(level: str, data: ProfileData) -> str:
    """Default constituent layer of a footprint level: boroughs (places) above a borough, else wards (or MSOAs).

    2024 levels take their 2018 counterpart's layer (an ICB or ICB cluster: its places).
    """
    if canonical_level(level) in ("multi_borough", "stp", "icb_cluster") and "borough" in data.membership:
        return "borough"
    for layer in ("ward", "msoa", "unit"):
        if layer in data.membership:
            return layer
    return "unit"


def profile_units(
    data: ProfileData,
    units: np.ndarray,
    *,
    constituents: str | Mapping[str, np.ndarray] = "borough",
) -> Profile:
    """The profile of a set of units.

    Parameters
    ----------
    data : ProfileData
    units : ndarray of int
        Unit ids (no repeats).
    constituents : str or mapping
        A layer name (areas are the parts of that layer's areas inside the
        footprint), or name -> unit ids of each constituent (e.g. localities).

    Returns
    -------
    Profile

    Notes
    -----
    With :math:`p_u` the residents of unit :math:`u`, :math:`d_u` its decile and
    :math:`r_u` its rank, over the footprint's units :math:`U`:

    .. math:: \\text{Core20 share} = \\frac{\\sum_{u \\in U} p_u [d_u \\le 2]}{\\sum_{u \\in U} p_u},
              \\qquad \\bar r = \\frac{\\sum_{u \\in U} p_u r_u}{\\sum_{u \\in U} p_u}

    and the gap is :math:`\\max_c s_c - \\min_c s_c` over the constituents'
    Core20 shares :math:`s_c` (constituents with residents only).
    """
    units = np.asarray(units, dtype=np.int64)
    d = data._derived()
    pop = d["pop"]
    residents = int(data.population[units].sum())
    notes: list[str] = []
    sources = {
        "residents": data.population_source or f"ONS mid-{data.population_year} population estimates",
        "age": f"{data.age_source}, {data.age_year}" if data.ages is not None else "not available",
        "imd": f"{data.imd_label} (MHCLG), residents "
               f"{'Census 2021' if data.population_source.startswith('Census 2021') else f'mid-{data.population_year}'}"
        if data.imd_decile is not None else "not available",
    }
    # ages
    bands: dict[str, int] = {}
    a65 = a75 = None
    s65 = s75 = None
    age_total = 0
    if data.ages is not None:
        sums = data.ages[units].sum(axis=0)
        bands = {label: int(n) for (label, _, _), n in zip(data.age_bands, sums)}
        age_total = int(sums.sum())
        if d["has65"]:
            a65 = int(sums[d["idx65"]].sum())
            s65 = a65 / age_total if age_total else 0.0
        else:
            notes.append("65+ not measurable: the age bands do not start a band at 65")
        if d["has75"]:
            a75 = int(sums[d["idx75"]].sum())
            s75 = a75 / age_total if age_total else 0.0
        else:
            notes.append(f"75+ not measurable: {data.age_source} has no band starting at 75 (65+ only)")
    else:
        notes.append(f"age not measurable: {data.missing.get('age', 'no age data')}")
    # deprivation
    deciles = (0,) * 10
    quint = (0,) * 5
    core = 0
    core_share = mean_rank = gap = None
    parts: list[Constituent] = []
    layer_name = constituents if isinstance(constituents, str) else "locality"
    if data.imd_decile is not None:
        w = pop[units]
        dec = np.bincount(d["dec0"][units], weights=w, minlength=10)
        deci = np.rint(dec).astype(np.int64)
        deciles = tuple(deci.tolist())
        quint = tuple((deci[0::2] + deci[1::2]).tolist())
        core = int(deci[0] + deci[1])
        if residents:
            core_share = core / residents
            mean_rank = float(np.dot(w, data.imd_rank[units]) / residents)
        parts = _constituents(data, units, constituents, d, residents)
        counted = [c for c in parts if c.counted]
        if len(counted) >= 2:
            gap = counted[0].core20_share - counted[-1].core20_share
    else:
        notes.append(f"deprivation not measurable: {data.missing.get('imd', 'no IMD data')}")
    return Profile(
        residents=residents, population_year=data.population_year, age_bands=bands, age_residents=age_total,
        aged_65_plus=a65, share_65_plus=s65, aged_75_plus=a75, share_75_plus=s75,
        imd_deciles=deciles, imd_quintiles=quint, core20_residents=core, core20_share=core_share,
        mean_imd_rank=mean_rank, constituent_layer=layer_name, constituents=tuple(parts), core20_gap=gap,
        notes=tuple(notes), sources=sources, constituent_word=data.layer_words.get(layer_name, ""),
    )


def _constituents(data: ProfileData, units: np.ndarray, constituents, d, residents: int) -> list[Constituent]:
    pop, core_pop = d["pop"], d["core_pop"]
    floor = GAP_MIN_PART_SHARE * residents
    out: list[Constituent] = []
    if isinstance(constituents, str):
        m = data.membership[constituents][units]
        k = len(data.layer_codes.get(constituents, ())) or int(m.max()) + 1
        tot = np.bincount(m, weights=pop[units], minlength=k)
        cor = np.bincount(m, weights=core_pop[units], minlength=k)
        ids = (tot > 0).nonzero()[0].tolist()
        tot, cor = tot.tolist(), cor.tolist()
        codes = data.layer_codes.get(constituents)
        names = data.layer_names.get(constituents)
        for i in ids:
            code = str(codes[i]) if codes is not None else str(i)
            name = str(names[i]) if names is not None else code
            out.append(Constituent(code, name, int(tot[i]), int(round(cor[i])), cor[i] / tot[i], tot[i] >= floor))
    else:
        for name, ids in constituents.items():
            ids = np.asarray(ids, dtype=np.int64)
            t = float(pop[ids].sum())
            if t > 0:
                c = float(core_pop[ids].sum())
                out.append(Constituent(str(name), str(name), int(t), int(round(c)), c / t, t >= floor))
    out.sort(key=lambda c: (-c.core20_share, c.name))
    return out


def area_core20_shares(data: ProfileData, layer: str) -> np.ndarray:
    """Core20 share of every area of ``layer`` (NaN for an area without residents)."""
    d = data._derived()
    m = data.membership[layer]
    k = len(data.layer_codes.get(layer, ())) or int(m.max()) + 1
    tot = np.bincount(m, weights=d["pop"], minlength=k)
    core = np.bincount(m, weights=d["core_pop"], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return core / tot


def profiles_for_sets(data: ProfileData, layer: str, sets: Sequence[Sequence[int]]) -> pd.DataFrame:
    """Headline profile figures of many footprints made of whole areas of ``layer`` at once.

    For the Proposals page and the 643 contiguous London borough sets: the
    per-area sums are built once, and each set is a row of a sparse
    set x area matrix, so all sets cost two sparse products.

    Parameters
    ----------
    data : ProfileData
    layer : str
        Layer whose area ids the sets list (e.g. ``"borough"``).
    sets : sequence of sequences of int
        Area ids of each footprint.

    Returns
    -------
    DataFrame
        One row per set: ``residents, aged_65_plus, share_65_plus, aged_75_plus, share_75_plus,
        core20_residents, core20_share, mean_imd_rank, core20_gap`` (NaN where not measurable).
    """
    d = data._derived()
    m = data.membership[layer]
    k = len(data.layer_codes.get(layer, ())) or int(m.max()) + 1
    key = ("areas", layer)
    if key not in d:
        cols = [d["pop"]]
        names = ["residents"]
        if data.ages is not None:
            ages = data.ages.astype(float)
            cols.append(ages.sum(axis=1))
            names.append("age_total")
            if d["has65"]:
                cols.append(ages[:, d["idx65"]].sum(axis=1))
                names.append("aged_65_plus")
            if d["has75"]:
                cols.append(ages[:, d["idx75"]].sum(axis=1))
                names.append("aged_75_plus")
        if data.imd_decile is not None:
            cols += [d["core_pop"], d["rank_pop"]]
            names += ["core20_residents", "rank_pop"]
        unit_vals = np.column_stack(cols)
        onehot = sp.csr_array((np.ones(len(m)), (m, np.arange(len(m)))), shape=(k, len(m)))
        d[key] = (names, onehot @ unit_vals)
    names, per_area = d[key]
    rows = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    cols_ = np.concatenate([np.asarray(s, dtype=np.int64) for s in sets]) if len(sets) else np.empty(0, np.int64)
    sel = sp.csr_array((np.ones(len(cols_)), (rows, cols_)), shape=(len(sets), k))
    tot = sel @ per_area
    out = pd.DataFrame(tot, columns=names)
    res = out["residents"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        if "age_total" in out:
            for c in ("aged_65_plus", "aged_75_plus"):
                if c in out:
                    out["share_" + c[5:]] = out[c] / out["age_total"]
        if "core20_residents" in out:
            out["core20_share"] = out["core20_residents"] / res
            out["mean_imd_rank"] = out.pop("rank_pop") / res
            share_area = per_area[:, names.index("core20_residents")] / per_area[:, 0]
            # max - min of the member areas' shares, per set (ragged -> reduceat over the flat list),
            # over the areas holding at least GAP_MIN_PART_SHARE of the set's residents
            sizes = np.array([len(s) for s in sets])
            counted = per_area[cols_, 0] >= GAP_MIN_PART_SHARE * np.repeat(res, sizes)
            vals = np.where(counted, share_area[cols_], np.nan)
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
            hi = np.fmax.reduceat(vals, starts) if len(vals) else np.empty(0)
            lo = np.fmin.reduceat(vals, starts) if len(vals) else np.empty(0)
            n_counted = np.add.reduceat(counted.astype(np.int64), starts) if len(vals) else np.empty(0)
            out["core20_gap"] = np.where(n_counted >= 2, hi - lo, np.nan)
    out = out.drop(columns=[c for c in ("age_total",) if c in out])
    for c in ("residents", "aged_65_plus", "aged_75_plus", "core20_residents"):
        if c in out:
            out[c] = np.rint(out[c]).astype(np.int64)
    return out


#: Column labels of :func:`profile_table` (for tables and exports), with the figure each holds.
PROFILE_COLUMNS = {
    "Aged 65+": "aged_65_plus", "65+ share %": "share_65_plus", "Aged 75+": "aged_75_plus",
    "75+ share %": "share_75_plus", "Core20 residents": "core20_residents", "Core20 share %": "core20_share",
    "Mean IMD rank": "mean_imd_rank", "Core20 gap (points)": "core20_gap_points",
}


def profile_table(reports, index: UnitIndex) -> pd.DataFrame:
    """One row per footprint report: ``Footprint`` and the profile columns of :data:`PROFILE_COLUMNS`.

    Shares are percentages (one decimal); a figure that cannot be measured is
    empty.  ``Most / least deprived`` names the constituents behind the gap,
    and ``Profile sources`` the year and source of the figures.
    """
    data = ProfileData.from_index(index)
    rows = []
    for r in reports:
        p = profile_units(data, r.units, constituents=constituent_layer(r.level, data))
        cols = p.columns()
        row = {"Footprint": r.name}
        for label, key in PROFILE_COLUMNS.items():
            v = cols[key]
            if key.startswith("share") or key == "core20_share":
                v = None if v is None else round(100 * v, 1)
            row[label] = v
        row["Most / least deprived"] = (f"{p.most_deprived.name} / {p.least_deprived.name}"
                                        if p.core20_gap is not None else "")
        row["Profile sources"] = f"age: {p.sources['age']}; deprivation: {p.sources['imd']}"
        rows.append(row)
    return pd.DataFrame(rows, columns=["Footprint", *PROFILE_COLUMNS, "Most / least deprived", "Profile sources"])


def locality_need_summary(data: ProfileData, localities: Sequence[np.ndarray], blocks: Sequence[np.ndarray]) -> dict:
    """How localities treat need: their Core20 shares, and how much they mix deprived and other areas.

    Parameters
    ----------
    localities : sequence of unit-id arrays
    blocks : sequence of unit-id arrays
        Building blocks (e.g. MSOAs) that tile the localities.

    Returns
    -------
    dict
        ``shares`` (each locality's Core20 share), ``range`` (max - min),
        ``mixing``: the residents-weighted mean absolute difference between a
        block's Core20 share and its locality's (0 when every locality is
        uniform: deprived areas kept together), and ``split_core20``: Core20
        residents in localities where they are a minority (their need is
        diluted).
    """
    d = data._derived()
    pop, core = d["pop"], d["core_pop"]
    unit_loc = np.full(len(pop), -1)
    for i, u in enumerate(localities):
        unit_loc[u] = i
    k = len(localities)
    lt = np.bincount(unit_loc[unit_loc >= 0], weights=pop[unit_loc >= 0], minlength=k)
    lc = np.bincount(unit_loc[unit_loc >= 0], weights=core[unit_loc >= 0], minlength=k)
    share = lc / np.maximum(lt, 1)
    mix = num = 0.0
    for b in blocks:
        bt = pop[b].sum()
        if bt <= 0:
            continue
        loc = np.bincount(unit_loc[b], weights=pop[b]).argmax()
        mix += bt * abs(core[b].sum() / bt - share[loc])
        num += bt
    return {"shares": share.tolist(), "range": float(share.max() - share.min()) if k else 0.0,
            "mixing": float(mix / num) if num else 0.0,
            "split_core20": int(round(lc[share < 0.5].sum()))}
