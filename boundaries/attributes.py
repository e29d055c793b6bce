"""Who lives in each unit: age bands and deprivation joined onto the units.

Two kinds of attribute are joined, each validated against the units:

* **age** — residents by age band (``age_0_15`` ... ``age_85_plus``), from a
  table of single years of age (ONS mid-2017 LSOA estimates, SAPE20DT1).
  The single years must add up to the table's own total for every unit,
  within :data:`AGE_SUM_TOLERANCE` (published figures are rounded to whole
  persons);
* **imd** — the English Indices of Deprivation 2019 rank and decile of each
  unit (``imd_rank``, ``imd_decile``).  Every unit must have a row: an IMD
  file that misses units is an error that says how many and how many
  residents live in them.

:func:`carry_imd_to_lsoa21` is the pure function that moves the 2011-area IMD
onto 2021 LSOAs through the ONS LSOA 2011 -> 2021 lookup, for regions whose
units are 2021 LSOAs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import ConsistencyError, DataError, PopulationError

__all__ = [
    "AGE_BANDS",
    "AGE_COLUMNS",
    "AGE_SUM_TOLERANCE",
    "IMD_COLUMNS",
    "IMD_N_AREAS",
    "age_bands_from_single_years",
    "imd_columns",
    "carry_imd_to_lsoa21",
    "decile_of_rank",
]

#: Age bands built from single years: (column, first age, last age or None for "and over").
#: They refine the six Census 2021 bands (0-15, 16-24, 25-34, 35-49, 50-64, 65+), so a
#: profile from either source has the same bands up to 65+.
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("age_0_15", 0, 15),
    ("age_16_24", 16, 24),
    ("age_25_34", 25, 34),
    ("age_35_49", 35, 49),
    ("age_50_64", 50, 64),
    ("age_65_74", 65, 74),
    ("age_75_84", 75, 84),
    ("age_85_plus", 85, None),
)
AGE_COLUMNS = tuple(c for c, _, _ in AGE_BANDS)
#: How far a unit's single years of age may differ from its published total, as a
#: fraction of the total (0.5%: about 8 residents in a median LSOA of ~1,600).  The ONS
#: estimates are rounded to whole persons, so a sum of 91 rounded figures can drift from
#: the rounded total by a few persons; the London mid-2017 file adds up exactly.
AGE_SUM_TOLERANCE = 0.005
IMD_COLUMNS = ("imd_rank", "imd_decile")
#: LSOAs ranked by the IMD 2019 (rank 1 = most deprived).
IMD_N_AREAS = 32_844


def decile_of_rank(rank: np.ndarray | float, n_areas: int = IMD_N_AREAS) -> np.ndarray:
    """National decile (1 = most deprived 10%) of an IMD rank: ``ceil(10 rank / n)``.

    This is how the published deciles were made (``deprivation/SOURCES.md``
    checks every LSOA); it is used for ranks that are not published, such as
    the population-weighted mean rank of a merged 2021 LSOA.
    """
    r = np.asarray(rank, dtype=float)
    return np.clip(np.ceil(10 * r / n_areas), 1, 10).astype(np.int64)


def age_bands_from_single_years(
    table: pd.DataFrame,
    *,
    code: str,
    total: str,
    dataset: str | None = None,
    path=None,
    tolerance: float = AGE_SUM_TOLERANCE,
) -> pd.DataFrame:
    """Residents by :data:`AGE_BANDS` from a table of single years of age.

    Parameters
    ----------
    table : DataFrame
        One row per area; columns ``"0"`` ... ``"89"`` and ``"90+"`` (the ONS layout).
    code, total : str
        Columns of the area code and the published all-ages total.
    tolerance : float
        Largest allowed ``|sum of ages - total| / total`` per area.

    Returns
    -------
    DataFrame
        ``code`` and one integer column per band.

    Raises
    ------
    DataError
        When an age column is missing or not a number.
    PopulationError
        When a row's ages do not add up to its total; the message names the
        area, both figures and the tolerance.
    """
    cols = {str(c).strip(): c for c in table.columns}
    ages = [str(a) for a in range(90)] + ["90+"]
    missing = [a for a in ages if a not in cols]
    if missing:
        raise DataError(f"age columns missing: {', '.join(missing[:10])}", dataset=dataset, path=path,
                        fix="use the single-year-of-age file SOURCES.md names (columns 0 ... 89, 90+)")
    values = table[[cols[a] for a in ages]].apply(pd.to_numeric, errors="coerce")
    bad = values.isna().any(axis=1) | (values < 0).any(axis=1)
    if bad.any():
        raise DataError(f"{int(bad.sum())} row(s) have a missing or negative age count, e.g. "
                        f"{table.loc[bad, code].iloc[0]}", dataset=dataset, path=path,
                        fix="restore the figures from the ONS estimates")
    v = values.to_numpy(float)
    tot = pd.to_numeric(table[total], errors="coerce").to_numpy(float)
    diff = np.abs(v.sum(axis=1) - tot)
    allowed = tolerance * np.nan_to_num(tot)
    off = np.isnan(tot) | (diff > allowed)
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise PopulationError(
            f"{int(off.sum())} unit(s) have age columns that do not add up to their total: "
            f"{table[code].iloc[i]} ages sum to {v[i].sum():,.0f}, total {tot[i]:,.0f} "
            f"(allowed difference {tolerance:.1%} of the total for the published rounding, "
            f"here {allowed[i]:,.1f})",
            dataset=dataset, path=path, fix="use the unchanged ONS single-year-of-age file",
        )
    out = pd.DataFrame({"code": table[code].astype(str).str.strip().to_numpy()})
    for col, lo, hi in AGE_BANDS:
        stop = 91 if hi is None else hi + 1
        out[col] = np.rint(v[:, lo:stop].sum(axis=1)).astype(np.int64)
    return out


def imd_columns(
    codes: pd.Series,
    table: pd.DataFrame,
    *,
    population: pd.Series | None = None,
    code: str = "lsoa11_code",
    rank: str = "imd19_rank",
    decile: str = "imd19_decile",
    dataset: str | None = None,
    path=None,
) -> pd.DataFrame:
    """IMD rank and decile of each unit, in the order of ``codes``.

    Parameters
    ----------
    codes : Series of str
        Unit codes.
    table : DataFrame
        The IMD file.
    population : Series, optional
        Residents of each unit (aligned with ``codes``), to say how many live
        in the units the file misses.

    Raises
    ------
    ConsistencyError
        When units have no IMD row: how many, the residents affected and the
        first codes.
    DataError
        When a rank or decile is missing or out of range.
    """
    t = table[[code, rank, decile]].copy()
    t[code] = t[code].astype(str).str.strip()
    t[rank] = pd.to_numeric(t[rank], errors="coerce")
    t[decile] = pd.to_numeric(t[decile], errors="coerce")
    bad = t[rank].isna() | t[decile].isna() | ~t[decile].between(1, 10) | (t[rank] < 1)
    if bad.any():
        raise DataError(f"{int(bad.sum())} IMD row(s) have a missing or out-of-range rank or decile, e.g. "
                        f"{t.loc[bad, code].iloc[0]}", dataset=dataset, path=path,
                        fix="use the unchanged MHCLG IMD 2019 file 1 (ranks 1-32,844, deciles 1-10)")
    t = t.drop_duplicates(code).set_index(code)
    keys = pd.Index(codes.astype(str).to_numpy())
    found = keys.isin(t.index)
    if not found.all():
        miss = keys[~found]
        residents = ""
        if population is not None:
            residents = f", home to {int(np.asarray(population)[~found].sum()):,} residents"
        raise ConsistencyError(
            f"{len(miss):,} unit(s) have no IMD 2019 rank{residents}: {', '.join(miss[:10])}",
            dataset=dataset, path=path,
            fix="use the complete IMD 2019 file (32,844 LSOAs 2011, see deprivation/SOURCES.md)",
        )
    sub = t.loc[keys]
    return pd.DataFrame({"imd_rank": sub[rank].to_numpy(float), "imd_decile": sub[decile].to_numpy(np.int64)})


@dataclass(frozen=True)
class CarryRule:
    """How one kind of LSOA 2011 -> 2021 change carries the IMD (for documentation and tests)."""

    change: str
    rule: str


#: The rules :func:`carry_imd_to_lsoa21` applies, in words.
CARRY_RULES = (
    CarryRule("U", "unchanged: the 2021 LSOA keeps the 2011 rank and decile"),
    CarryRule("S", "split: each 2021 part keeps its parent's rank and decile"),
    CarryRule("M", "merged: the population-weighted mean of the parents' ranks; the decile is that "
                   "mean rank's national decile, ceil(10 rank / 32,844)"),
    CarryRule("X", "irregular redesign: as a merge over every 2011 LSOA that contributes, each parent "
                   "weighted by its residents shared equally among the 2021 LSOAs it went to"),
)


def carry_imd_to_lsoa21(
    imd: pd.DataFrame,
    lookup: pd.DataFrame,
    population11: pd.Series,
    *,
    n_areas: int = IMD_N_AREAS,
) -> pd.DataFrame:
    """Carry IMD 2019 (on 2011 LSOAs) to 2021 LSOAs through the ONS lookup.

    Parameters
    ----------
    imd : DataFrame
        ``lsoa11_code, imd19_rank, imd19_decile``.
    lookup : DataFrame
        The ONS LSOA 2011 -> 2021 lookup: ``lsoa11_code, change_code, lsoa21_code``.
    population11 : Series
        Residents of each 2011 LSOA (index: code), the merge weights.
    n_areas : int
        Areas ranked, for the decile of a mean rank.

    Returns
    -------
    DataFrame
        Index ``lsoa21_code``; ``imd_rank`` (float), ``imd_decile`` (int),
        ``n_parents`` and ``method`` (``"U"``, ``"S"``, ``"M"`` or ``"X"``), sorted by code.

    Notes
    -----
    A 2021 LSOA with one 2011 parent keeps the parent's published rank and
    decile (unchanged or split).  One with several parents (merged, or an
    irregular redesign) gets

    .. math:: r_j = \\frac{\\sum_i w_{ij} r_i}{\\sum_i w_{ij}}, \\qquad w_{ij} = \\frac{P_i}{k_i}

    where :math:`P_i` is parent :math:`i`'s population and :math:`k_i` the
    number of 2021 LSOAs it went to, and the decile :math:`\\lceil 10 r_j / n \\rceil`.
    A mean rank is not a rank of the index (ranks cannot be averaged into a
    new ranking), so it is marked by ``method`` and the profile labels every
    figure "IMD 2019 on 2011 areas".

    Raises
    ------
    ConsistencyError
        When a 2011 LSOA in the lookup has no IMD row or no population.
    """
    lk = lookup[["lsoa11_code", "change_code", "lsoa21_code"]].astype(str).drop_duplicates()
    ranks = imd.set_index("lsoa11_code")
    missing = sorted(set(lk["lsoa11_code"]) - set(ranks.index))
    if missing:
        raise ConsistencyError(f"{len(missing):,} LSOA 2011(s) in the lookup have no IMD 2019 rank: "
                               f"{', '.join(missing[:10])}", fix="use the complete IMD 2019 file")
    pop = population11.reindex(lk["lsoa11_code"].unique())
    if pop.isna().any():
        raise ConsistencyError(f"{int(pop.isna().sum()):,} LSOA 2011(s) have no population to weight a merge: "
                               f"{', '.join(pop.index[pop.isna()][:10])}", fix="pass the 2011 LSOA populations")
    k = lk.groupby("lsoa11_code")["lsoa21_code"].transform("nunique").to_numpy(float)
    lk = lk.assign(
        rank=ranks.loc[lk["lsoa11_code"], "imd19_rank"].to_numpy(float),
        decile=ranks.loc[lk["lsoa11_code"], "imd19_decile"].to_numpy(np.int64),
        w=population11.loc[lk["lsoa11_code"]].to_numpy(float) / k,
    )
    lk["wr"] = lk["w"] * lk["rank"]
    g = lk.groupby("lsoa21_code", sort=True)
    out = pd.DataFrame({"n_parents": g["lsoa11_code"].nunique(), "method": g["change_code"].agg(_method),
                        "first_rank": g["rank"].first(), "first_decile": g["decile"].first(),
                        "w": g["w"].sum(), "wr": g["wr"].sum()})
    one = out["n_parents"] == 1
    mean = np.where(out["w"] > 0, out["wr"] / out["w"].where(out["w"] > 0, 1), out["first_rank"])
    out["imd_rank"] = np.where(one, out["first_rank"], mean)
    out["imd_decile"] = np.where(one, out["first_decile"], decile_of_rank(out["imd_rank"], n_areas)).astype(np.int64)
    out.index.name = "lsoa21_code"
    return out[["imd_rank", "imd_decile", "n_parents", "method"]]


def _method(changes: pd.Series) -> str:
    s = set(changes)
    for c in ("X", "M", "S"):
        if c in s:
            return c
    return "U"

