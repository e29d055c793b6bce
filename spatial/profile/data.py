"""The unit arrays a footprint profile is computed from, and the age and IMD labels.

:class:`ProfileData` holds, per unit, the residents, the residents by age band
and the national IMD 2019 rank and decile, with the layer memberships, so a
profile is a few ``np.bincount`` calls (:mod:`spatial.profile.measure`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ..index import UnitIndex

__all__ = ["ProfileData", "IMD_LABEL", "IMD_SOURCE", "CORE20_DECILES"]

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
        from ..geography import LAYER_WORDS

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
