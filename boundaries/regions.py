"""A region is a choice: ``region`` (london | england | an NHS region | an ICB or STP) x ``geography`` (2018 | 2024).

The registry builds three base tables: London 2018 (LSOA 2011, 20 m
boundaries), England 2018 (LSOA 2011, super generalised) and England 2024
(LSOA 2021).  Every other region is the subset of its geography's England
table whose units the lookups place in it (NHS region, ONS region, ICB or STP:
memberships from the lookups, never from point-in-polygon), with its layers
dissolved again from those units.  Subsets are cached beside the base tables.

>>> from boundaries.regions import load_region
>>> geo = load_region("QMF", geography="2024")          # doctest: +SKIP
>>> len(geo.units), geo.units.population.sum()          # doctest: +SKIP
(1197, 1998637)
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from .cache import _read, _write, load_geographies
from .config import DEFAULT_GEOGRAPHY, GEOGRAPHIES, Settings, default_year, settings as default_settings
from .errors import DataError, MissingDataError
from .paths import locate
from .registry import get_dataset, get_region

if TYPE_CHECKING:  # numpy and the tables are imported where a region is matched or cut out, so base_region and
    # check_geography stay light (the app's first page keys its cached files with them)
    import numpy as np

    from .geographies import Geographies, Progress

__all__ = ["RegionError", "base_region", "load_region", "region_choices", "check_geography", "fetch_command"]

#: Base registry region of each geography's England table.
_ENGLAND = {"2018": "england", "2024": "england-2024"}
#: Columns a region name or code is looked up in, in order (code column, name column).
_REGION_COLUMNS = (("nhs_region", "nhs_region_name"), ("region", "region_name"), ("stp", "stp_name"),
                   ("stp_nhs", None))


class RegionError(DataError):
    """An unknown region, or one not available in the chosen geography."""


def check_geography(geography: str | int) -> str:
    """``"2018"`` or ``"2024"`` (ints accepted); anything else is a :class:`RegionError`."""
    g = str(geography).strip()
    if g not in GEOGRAPHIES:
        raise RegionError(f"unknown geography {geography!r}",
                          fix=f"use one of {', '.join(GEOGRAPHIES)} (2018: LSOA 2011, CCGs and STPs; "
                              "2024: LSOA 2021, sub-ICB locations and ICBs)")
    return g


def base_region(region: str, geography: str = DEFAULT_GEOGRAPHY) -> tuple[str, str | None]:
    """Registry region to load and the subset to take from it (``None``: all of it)."""
    geography = check_geography(geography)
    r = str(region).strip()
    if not r:
        raise RegionError("empty region name", fix="give london, england, an NHS region or an ICB")
    key = r.casefold()
    if geography == "2018" and key == "london":
        return "london", None
    if key == "england":
        return _ENGLAND[geography], None
    return _ENGLAND[geography], r


def fetch_command(region_name: str, config: Settings) -> str | None:
    """``python -m boundaries fetch ID ...`` for the region's missing files (``None`` when none is missing)."""
    reg = get_region(region_name)
    missing = [i for i in reg.datasets() if not locate(get_dataset(i), config)[0].is_file()]  # data dir or bundle
    return f"python -m boundaries fetch {' '.join(missing)}" if missing else None


def _norm(name: str) -> str:
    t = re.sub(r"\bintegrated care board\b|\bicb\b|^nhs\s+|\bnhs england\b", " ", str(name).casefold())
    return re.sub(r"[^a-z0-9]+", " ", t).strip()


def _match(geo: Geographies, spec: str) -> tuple[str, str, np.ndarray]:
    """(column, code, unit mask) for a region spec."""
    import numpy as np

    units = geo.units
    want, want_n = spec.strip().upper(), _norm(spec)
    for code_col, name_col in _REGION_COLUMNS:
        if code_col not in units:
            continue
        codes = units[code_col].astype(str).to_numpy()
        hit = codes == want
        if hit.any():
            return code_col, want, hit
        if name_col and name_col in units:
            names = units[name_col].astype(str).map(_norm).to_numpy()
            hit = names == want_n
            if hit.any():
                return code_col, str(codes[hit][0]), hit
    return "", "", np.zeros(len(units), dtype=bool)


def region_choices(geo: Geographies) -> list[tuple[str, str]]:
    """``(code, label)`` of every region a user may pick in ``geo``'s geography (England first)."""
    out = [("england", "England")]
    if geo.geography == "2018":
        out.append(("london", "London (LSOA 2011, 20 m boundaries)"))
    for code_col, name_col, word in (("nhs_region", "nhs_region_name", "NHS region"),
                                     ("stp", "stp_name", "ICB" if geo.geography == "2024" else "STP")):
        if code_col in geo.units:
            pairs = geo.units[[code_col, name_col]].drop_duplicates().sort_values(name_col)
            out += [(c, f"{n} ({word} {c})") for c, n in pairs.itertuples(index=False)]
    return out


def load_region(
    region: str = "london",
    *,
    geography: str = DEFAULT_GEOGRAPHY,
    year: int | None = None,
    config: Settings | None = None,
    progress: Progress | None = None,
) -> Geographies:
    """Units and layers of ``region`` in ``geography``.

    Parameters
    ----------
    region : str
        ``"london"``, ``"england"``, an NHS region (code such as ``Y56`` or
        name), an ONS region (``E12000007`` or ``"London"``), or an ICB / STP
        (GSS code ``E54...``, NHS code such as ``QMF`` for 2024, or name).
    geography : {"2018", "2024"}
    year : int, optional
        Population year (default mid-2017 for 2018, Census 2021 for 2024).

    Raises
    ------
    RegionError
        Unknown region, with the closest names and the regions available.
    MissingDataError
        A file of the region is not downloaded yet; the fix names the fetch command.
    """
    geography = check_geography(geography)
    config = config or default_settings()
    name, spec = base_region(region, geography)
    cmd = fetch_command(name, config)
    if cmd:
        raise MissingDataError(f"the data for region {region!r} ({geography} geography) is not downloaded yet",
                               dataset=name, fix=f"run `{cmd}` (or set FOOTPRINTS_DATA to the data mirror)")
    year = default_year(geography) if year is None else year
    base = load_geographies(name, config=config, progress=progress)
    if spec is None:
        geo = base
    else:
        geo = _subset(base, spec, config)
    geo = replace(geo, area=str(region).strip() if spec else str(region).strip().casefold())
    return geo.with_year(year)


def _subset(base: Geographies, spec: str, config: Settings) -> Geographies:
    col, code, mask = _match(base, spec)
    if not mask.any():
        choices = region_choices(base)
        pool = {c.casefold(): c for c, _ in choices} | {_norm(lbl.split(" (")[0]): c for c, lbl in choices}
        near = difflib.get_close_matches(spec.casefold(), list(pool), n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(pool[n] for n in near)}?" if near else ""
        other = "2024" if base.geography == "2018" else "2018"
        raise RegionError(
            f"no region {spec!r} in the {base.geography} geography{'.' + hint if hint else ''}",
            fix="use england, london, an NHS region (e.g. Y56, or its name London), "
                f"or an {'ICB' if base.geography == '2024' else 'STP'} code or name; or try --geography {other}",
        )
    key = hashlib.blake2b(f"{base.key};{col}={code}".encode(), digest_size=12).hexdigest()
    folder = config.processed_dir / f"{base.region}-{key}"
    cached = _read(folder)
    if cached is not None:
        return cached
    from .geographies import LEVEL_LAYERS, Geographies, dissolve_units

    units = base.units[mask].reset_index(drop=True)
    layers = {n: dissolve_units(units, n) for n in LEVEL_LAYERS if n in units}
    published = {}
    for n, pub in base.published.items():
        if n in layers:
            published[n] = pub[pub["code"].isin(layers[n]["code"])].reset_index(drop=True)
    geo = Geographies(base.region, base.year, units, layers, published,
                      [*base.notes, f"subset of {base.region}: {col} = {code} ({len(units):,} units)"],
                      key, geography=base.geography)
    _write(geo, folder)
    return geo
