"""Build the unit table and the layers above it from registry datasets.

The **unit** is the smallest area that nests in every higher boundary (LSOA
2011).  Every higher layer (MSOA, borough, CCG, STP) is dissolved from the
units, so units and layers always agree; the published boundary of a layer is
kept beside it where the data has one, for analysts to compare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .attributes import AGE_COLUMNS, IMD_COLUMNS, age_bands_from_single_years, carry_imd_to_lsoa21, imd_columns
from .config import DEFAULT_YEAR, Settings, default_year, settings as default_settings
from .errors import ConsistencyError, DataError, GeometryError, PopulationError
from .geometry import dissolve_groups
from .readers import Loaded, load_dataset
from .registry import REGISTRY, Region, get_dataset, get_region

__all__ = [
    "LEVEL_LAYERS",
    "Geographies",
    "build_geographies",
    "dissolve_units",
    "available_years",
]

#: Layers built above the units, finest first.
LEVEL_LAYERS = ("msoa", "ward", "borough", "utla", "ccg", "stp", "nhs_region")
#: For each layer, the columns of the layers above it that it nests in when
#: the data says it nests (checked, not assumed).
_PARENTS = {"msoa": ("borough", "ccg", "stp"), "ward": ("borough", "ccg", "stp"),
            "borough": ("stp", "utla", "nhs_region"), "utla": ("stp", "nhs_region"), "ccg": ("stp", "nhs_region"),
            "stp": ("nhs_region",), "nhs_region": ()}
POP_RE = re.compile(r"^pop_(\d{4})$")
#: Census age-band columns (``age_0_15`` ...): numeric, summed into every layer like populations.
AGE_RE = re.compile(r"^age_\d+_(\d+|plus)$")


def _numeric(column: str) -> bool:
    return bool(POP_RE.match(column) or AGE_RE.match(column))

Progress = Callable[[float, str], None]


def available_years(frame: pd.DataFrame) -> list[int]:
    """Population years present as ``pop_YYYY`` columns, ascending."""
    return sorted(int(m.group(1)) for c in frame.columns if (m := POP_RE.match(str(c))))


@dataclass
class Geographies:
    """Units and layers of one region, ready for the engine.

    Attributes
    ----------
    region : str
    year : int
        Population year copied into each table's ``population`` column.
    units : geopandas.GeoDataFrame
        One row per unit: ``code, name, msoa, msoa_name, ward, ward_name, borough,
        borough_name, ccg, ccg_name, stp, stp_name, pop_YYYY..., age_0_15 ... age_85_plus,
        imd_rank, imd_decile, population, area_m2, geometry`` (the age and IMD columns where
        the region's ``profile`` datasets give them, see :mod:`boundaries.attributes`).
    layers : dict of str to GeoDataFrame
        ``msoa``, ``ward``, ``borough``, ``ccg``, ``stp`` dissolved from the units.
        Wards come from a best-fit LSOA lookup, so a ward layer is the wards as
        built from whole LSOAs, not the ward boundaries themselves.
    published : dict of str to GeoDataFrame
        Published boundaries (``code, name, geometry``) where the data has them.
    notes : list of str
        Repairs and warnings met while building, for the status panel.
    key : str
        Fingerprint of the source files the tables were built from.
    geography : {"2018", "2024"}
        Boundary vintage: LSOA 2011 with the April 2018 NHS geography, or LSOA
        2021 with the April 2024 one (then ``borough`` is the place, LAD 2024;
        ``ccg`` the sub-ICB location; ``stp`` the ICB; ``utla`` the upper-tier
        council; ``nhs_region`` the NHS region).
    area : str
        The region the user chose (``"london"``, ``"england"``, an NHS region
        or ICB/STP code); :attr:`region` is the registry table it comes from.
    """

    region: str
    year: int
    units: gpd.GeoDataFrame
    layers: dict[str, gpd.GeoDataFrame]
    published: dict[str, gpd.GeoDataFrame]
    notes: list[str] = field(default_factory=list)
    key: str = ""
    geography: str = "2018"
    area: str = ""

    @property
    def years(self) -> list[int]:
        """Population years available for this region."""
        return available_years(self.units)

    def layer(self, name: str, source: str = "dissolved") -> gpd.GeoDataFrame:
        """Return a layer by name.

        Parameters
        ----------
        name : {"unit", "units", "msoa", "ward", "borough", "ccg", "stp"}
        source : {"dissolved", "published"}
            Dissolved from units (default) or the published boundary.
        """
        if name in ("unit", "units"):
            return self.units
        table = self.layers if source == "dissolved" else self.published
        if source not in ("dissolved", "published"):
            raise ValueError(f"source must be 'dissolved' or 'published', not {source!r}")
        if name not in table:
            known = ", ".join(["unit", *table])
            raise KeyError(f"no {source} layer {name!r} for region {self.region}; known: {known}")
        return table[name]

    def with_year(self, year: int) -> "Geographies":
        """Copy whose ``population`` columns hold ``pop_<year>``.

        Raises
        ------
        PopulationError
            When the year is not in the data; the message lists the years that are.
        """
        if year == self.year:
            return self
        col = f"pop_{year}"
        if col not in self.units:
            raise PopulationError(
                f"no population for {year} in region {self.region}",
                fix=f"choose one of {', '.join(map(str, self.years))}",
            )
        def setyear(df):
            out = df.copy()
            if col in out:
                out["population"] = out[col]
            return out
        return replace(
            self,
            year=year,
            units=setyear(self.units),
            layers={k: setyear(v) for k, v in self.layers.items()},
        )


def _report(progress: Progress | None, frac: float, msg: str) -> None:
    if progress is not None:
        progress(frac, msg)


def build_geographies(
    region: str | Region = "london",
    *,
    year: int | None = None,
    config: Settings | None = None,
    progress: Progress | None = None,
) -> Geographies:
    """Read the region's datasets, validate them and build units and layers.

    This reads the source files; :func:`boundaries.load_geographies` wraps it
    with the processed cache, which is what callers normally want.

    Parameters
    ----------
    region : str or Region
    year : int
        Population year for the ``population`` columns.
    config : Settings, optional
        Paths; default from the environment.
    progress : callable, optional
        ``progress(fraction, message)``.

    Returns
    -------
    Geographies

    Raises
    ------
    DataError
        Any problem with the source files (a subclass says which).
    """
    reg = get_region(region) if isinstance(region, str) else region
    year = default_year(reg.geography) if year is None else year
    config = config or default_settings()
    notes: list[str] = []

    def read(ds_id: str) -> Loaded:
        loaded = load_dataset(get_dataset(ds_id), config)
        notes.extend(f"{ds_id}: {n}" for n in loaded.notes)
        if isinstance(loaded.frame, gpd.GeoDataFrame) and loaded.frame.geometry.name in loaded.frame:
            check_shapes(loaded, reg)
        return loaded

    _report(progress, 0.05, "reading unit boundaries")
    src = read(reg.units)
    units = _select(src, reg.unit_columns)
    for i, join in enumerate(reg.joins):
        _report(progress, 0.15 + 0.1 * i, f"joining {join.dataset}")
        units = _join(units, read(join.dataset), join)
    _name_unnamed(units, notes)
    units = units[units["borough"].astype(str).str.startswith(reg.code_prefix)].reset_index(drop=True)
    _check_lookup_borough(units, src)
    _check_population(units, src)
    _report(progress, 0.4, "joining age and deprivation")
    units = _attach_profile(units, reg, read, notes)
    _report(progress, 0.45, "cleaning the unit coverage")
    units = _clean_coverage(units, notes)
    units["area_m2"] = units.geometry.area
    units = _set_population(units, year, src)
    front = [c for c in ("code", "name", "msoa", "msoa_name", "ward", "ward_name", "borough", "borough_name",
                         "ccg", "ccg_name", "stp", "stp_name") if c in units]
    pops = [c for c in units.columns if POP_RE.match(c)]
    ages = [c for c in units.columns if AGE_RE.match(c)]  # single-year bands (AGE_COLUMNS) or Census 2021's
    profile = [c for c in IMD_COLUMNS if c in units]
    tail = pops + ages + profile + ["population", "area_m2", "geometry"]
    extra = [c for c in units.columns if c not in front and c not in tail]  # e.g. utla, nhs_region, lsoa11
    units = units[front + extra + tail]

    published: dict[str, gpd.GeoDataFrame] = {}
    for name, pub in reg.published.items():
        _report(progress, 0.55, f"reading published {name} boundaries")
        loaded = read(pub.dataset)
        published[name] = gpd.GeoDataFrame(
            {"code": loaded.frame[pub.code].astype(str).to_numpy(),
             "name": loaded.frame[pub.name].astype(str).to_numpy()},
            geometry=loaded.frame.geometry.to_numpy(), crs=27700,
        ).sort_values("code", ignore_index=True)
    if "borough" in published:
        _check_units_in_boroughs(units, published["borough"], src)

    _report(progress, 0.7, "dissolving layers from units")
    layers = {name: dissolve_units(units, name) for name in LEVEL_LAYERS if name in units}
    for name, n in reg.expected.items():
        table = units if name == "units" else layers[name]
        if len(table) != n:
            raise ConsistencyError(
                f"region {reg.name} should have {n:,} {name}, the data gives {len(table):,}",
                dataset=reg.units, fix="check the unit file and the lookup are the editions SOURCES.md names",
            )
    _report(progress, 1.0, "done")
    return Geographies(reg.name, year, units, layers, published, notes, geography=reg.geography)


def _select(loaded: Loaded, columns) -> gpd.GeoDataFrame:
    frame = loaded.frame
    missing = [c for c in columns if c not in frame]
    if missing:
        raise DataError(
            f"columns missing: {', '.join(missing)}", dataset=loaded.dataset.id, path=loaded.path,
            fix="use the file named in SOURCES.md",
        )
    out = frame[list(columns)].rename(columns=dict(columns))
    out = gpd.GeoDataFrame(out, geometry=frame.geometry.to_numpy(), crs=frame.crs)
    for c in out.columns:
        if c != "geometry" and not _numeric(c):
            out[c] = out[c].astype(str)
    return out


def _join(units: gpd.GeoDataFrame, loaded: Loaded, join) -> gpd.GeoDataFrame:
    table = loaded.frame
    missing = [c for c in [join.on, *join.columns] if c not in table]
    if missing:
        raise DataError(f"columns missing: {', '.join(missing)}", dataset=loaded.dataset.id,
                        path=loaded.path, fix="use the file named in SOURCES.md")
    table = table[[join.on, *join.columns]].rename(columns={join.on: join.key, **join.columns})
    table = table.drop_duplicates(join.key)
    for c in table.columns:
        if not _numeric(c):
            table[c] = table[c].astype(str)
    merged = units.merge(table, on=join.key, how="left",
                         validate="one_to_one" if join.key == "code" else "many_to_one")
    new = list(join.columns.values())[0]
    no_row = merged[new].isna() | (merged[new] == "nan")
    if not join.required:  # left missing; names are filled (and noted) by _name_unnamed
        merged.loc[no_row, new] = np.nan
        return merged
    unmatched = merged.loc[no_row, "code"].tolist()
    if unmatched:
        raise ConsistencyError(
            f"{len(unmatched)} unit(s) are missing from {loaded.dataset.id}: {', '.join(unmatched[:10])}",
            dataset=loaded.dataset.id, path=loaded.path,
            fix="use the lookup edition SOURCES.md names (it must cover every unit)",
        )
    return merged


def _name_unnamed(units: gpd.GeoDataFrame, notes: list[str]) -> None:
    """Give areas whose lookup has codes only (wards outside the GLA table) a name.

    The name is the code with its borough, e.g. ``"E05009288 (Hackney)"``, so
    every area can still be found, labelled and listed.
    """
    for layer in LEVEL_LAYERS:
        if layer not in units:
            continue
        col = f"{layer}_name"
        names = units[col].astype(object) if col in units else pd.Series(None, index=units.index, dtype=object)
        blank = names.isna() | names.astype(str).str.strip().isin(["", "nan"])
        if not blank.any():
            continue
        codes = units[layer].astype(str)
        fallback = codes + " (" + units["borough_name"].astype(str) + ")" if "borough_name" in units else codes
        units[col] = names.where(~blank, fallback).astype(str)
        notes.append(f"{codes[blank].nunique():,} {layer}(s) ({int(blank.sum()):,} unit(s)) have no published "
                     f"name; named by code and borough, e.g. {fallback[blank].iloc[0]}")


def _attach_profile(units: gpd.GeoDataFrame, reg: Region, read: Callable[[str], Loaded],
                    notes: list[str] | None = None) -> gpd.GeoDataFrame:
    """Join the region's age bands and IMD (``reg.profile``) onto the units, validated."""
    years = available_years(units)
    pop = units[f"pop_{DEFAULT_YEAR if DEFAULT_YEAR in years else years[-1]}"] if years else None
    if "age" in reg.profile:
        loaded = read(reg.profile["age"])
        ds = loaded.dataset
        total = next((c for c in loaded.frame.columns if str(c).startswith("pop_")), None)
        if total is None:
            raise DataError("no all-ages total column (pop_...)", dataset=ds.id, path=loaded.path,
                            fix="use the single-year-of-age file SOURCES.md names")
        bands = age_bands_from_single_years(loaded.frame, code=ds.code_column, total=total,
                                            dataset=ds.id, path=loaded.path)
        bands = bands.drop_duplicates("code").set_index("code")
        missing = ~units["code"].isin(bands.index)
        if missing.any():
            raise ConsistencyError(
                f"{int(missing.sum()):,} unit(s) have no age figures: {', '.join(units.loc[missing, 'code'][:10])}",
                dataset=ds.id, path=loaded.path, fix="use the age file covering every unit (SOURCES.md)")
        sub = bands.loc[units["code"]]
        for c in AGE_COLUMNS:
            units[c] = sub[c].to_numpy(np.int64)
    if "imd" in reg.profile:
        loaded = read(reg.profile["imd"])
        if "imd_lookup" in reg.profile:  # 2021 units: carry the 2011-area IMD through the ONS lookup
            table, code = _carried_imd(loaded, reg, read, notes if notes is not None else []), "lsoa21_code"
            cols = imd_columns(units["code"], table, population=pop, code=code, rank="imd_rank",
                               decile="imd_decile", dataset=reg.profile["imd_lookup"], path=loaded.path)
        else:
            cols = imd_columns(units["code"], loaded.frame, population=pop, code=loaded.dataset.code_column,
                               dataset=loaded.dataset.id, path=loaded.path)
        for c in IMD_COLUMNS:
            units[c] = cols[c].to_numpy()
    return units


def _carried_imd(imd: Loaded, reg: Region, read: Callable[[str], Loaded], notes: list[str]) -> pd.DataFrame:
    """IMD 2019 (2011 LSOAs) on 2021 LSOAs: ``reg.profile`` names the lookup and the merge weights.

    ``"imd_lookup"`` is the ONS LSOA 2011 -> 2021 lookup, ``"imd_weights"`` a table of
    2011 LSOA residents (the mid-2017 estimates) that weights a merged LSOA's mean rank;
    :func:`boundaries.attributes.carry_imd_to_lsoa21` applies the rules.
    """
    lk = read(reg.profile["imd_lookup"])
    wt = read(reg.profile["imd_weights"])
    need = {"lsoa11_code", "change_code", "lsoa21_code"}
    if need - set(lk.frame.columns):
        raise DataError(f"columns missing: {', '.join(sorted(need - set(lk.frame.columns)))}",
                        dataset=lk.dataset.id, path=lk.path, fix="use the lookup file named in SOURCES.md")
    table = lk.frame[["lsoa11_code", "change_code", "lsoa21_code"]].astype(str)
    table = table[table["lsoa11_code"].str.strip().str.startswith("E")]  # the IMD is England's
    code = wt.dataset.code_column
    value = next((c for c in wt.frame.columns if str(c).startswith("pop_")), None)
    if value is None:
        raise DataError("no population column (pop_...) to weight merged LSOAs", dataset=wt.dataset.id,
                        path=wt.path, fix="use the LSOA 2011 population file named in SOURCES.md")
    weights = pd.to_numeric(wt.frame[value], errors="coerce")
    weights.index = wt.frame[code].astype(str).str.strip()
    imd_table = imd.frame[[imd.dataset.code_column, "imd19_rank", "imd19_decile"]].rename(
        columns={imd.dataset.code_column: "lsoa11_code"})
    imd_table["lsoa11_code"] = imd_table["lsoa11_code"].astype(str).str.strip()
    try:
        carried = carry_imd_to_lsoa21(imd_table, table, weights[~weights.index.duplicated()].dropna())
    except ConsistencyError as err:  # name the file that lacks the rows
        src = wt if "population" in err.message else imd
        raise ConsistencyError(f"{err.message} (LSOA 2011 -> 2021 lookup: {lk.dataset.id})", dataset=src.dataset.id,
                               path=src.path, fix=err.fix) from None
    counts = carried["method"].value_counts()
    many = int((carried["n_parents"] > 1).sum())
    notes.append("IMD 2019 on 2011 areas, carried to LSOA 2021 through the ONS lookup: "
                 f"{len(carried) - many:,} LSOA(s) 2021 with one 2011 parent keep its rank and decile; {many:,} "
                 f"with several parents take their residents-weighted ({value}) mean rank "
                 f"(change codes: {counts.get('U', 0):,} unchanged, {counts.get('S', 0):,} parts of split LSOAs, "
                 f"{counts.get('M', 0):,} merged, {counts.get('X', 0):,} redesigned)")
    return carried.reset_index()


def _check_lookup_borough(units: gpd.GeoDataFrame, src: Loaded) -> None:
    if "lad18" not in units:
        return
    bad = units["lad18"] != units["borough"]
    if bad.any():
        rows = units.loc[bad, ["code", "borough", "lad18"]].head(10)
        listed = ", ".join(f"{r.code} ({r.borough} vs lookup {r.lad18})" for r in rows.itertuples())
        raise ConsistencyError(
            f"{int(bad.sum())} unit(s) have a borough that disagrees with the ONS lookup: {listed}",
            dataset=src.dataset.id, path=src.path, fix="use matching editions of the unit file and the lookup",
        )
    del units["lad18"]


def _check_population(units: gpd.GeoDataFrame, src: Loaded) -> None:
    for col in [c for c in units.columns if _numeric(c)]:
        values = pd.to_numeric(units[col], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            listed = ", ".join(f"{c} ({v})" for c, v in zip(units.loc[bad, "code"][:10], units.loc[bad, col][:10]))
            raise PopulationError(
                f"{int(bad.sum())} unit(s) have a missing or negative {col}: {listed}",
                dataset=src.dataset.id, path=src.path, fix="restore the figures from the ONS estimates",
            )
        units[col] = values.round().astype("int64")


def _set_population(units: gpd.GeoDataFrame, year: int, src: Loaded) -> gpd.GeoDataFrame:
    col = f"pop_{year}"
    if col not in units:
        raise PopulationError(
            f"no population for {year}", dataset=src.dataset.id, path=src.path,
            fix=f"choose one of {', '.join(map(str, available_years(units)))}",
        )
    units["population"] = units[col]
    return units


def _clean_coverage(units: gpd.GeoDataFrame, notes: list[str]) -> gpd.GeoDataFrame:
    geoms = units.geometry.to_numpy()
    if shapely.coverage_is_valid(geoms):
        return units
    invalid = ~shapely.is_empty(shapely.coverage_invalid_edges(geoms))
    cleaned = shapely.coverage_clean(geoms)
    if not shapely.coverage_is_valid(cleaned):
        raise DataError("the unit boundaries do not form a clean coverage even after coverage_clean",
                        fix="fetch the published unit boundaries again")
    codes = units.loc[invalid, "code"].tolist()
    notes.append(
        f"unit coverage cleaned (shapely.coverage_clean): {len(codes)} unit(s) had edges that did not "
        f"match their neighbours: {', '.join(codes[:10])}"
    )
    units = units.copy()
    units.geometry = gpd.GeoSeries(cleaned, crs=units.crs, index=units.index)
    return units


def _check_units_in_boroughs(units: gpd.GeoDataFrame, boroughs: gpd.GeoDataFrame, src: Loaded) -> None:
    """Each unit's representative point should lie in the published borough it names."""
    points = shapely.point_on_surface(units.geometry.to_numpy())
    tree = shapely.STRtree(boroughs.geometry.to_numpy())
    pt_idx, b_idx = tree.query(points, predicate="within")
    found = np.full(len(units), "", dtype=object)
    found[pt_idx] = boroughs["code"].to_numpy()[b_idx]
    # A point can fall just outside the published shape (foreshore, generalisation): then it has no
    # borough, which is not a disagreement. Only a different borough is.
    bad = (found != "") & (found != units["borough"].to_numpy())
    if bad.any():
        rows = units.loc[bad, ["code", "borough"]].assign(found=found[bad]).head(10)
        listed = ", ".join(f"{r.code} (says {r.borough}, lies in {r.found})" for r in rows.itertuples())
        raise ConsistencyError(
            f"{int(bad.sum())} unit(s) lie in a different borough than their code says: {listed}",
            dataset=src.dataset.id, path=src.path, fix="use matching editions of the unit and borough files",
        )


def dissolve_units(units: gpd.GeoDataFrame, by: str) -> gpd.GeoDataFrame:
    """Dissolve units into the areas of column ``by`` with coverage union.

    Parameters
    ----------
    units : GeoDataFrame
        The unit table (a valid coverage).
    by : str
        Column of area codes (``"msoa"``, ``"borough"``, ``"ccg"``, ``"stp"``);
        its names are in ``<by>_name``.

    Returns
    -------
    GeoDataFrame
        ``code, name, pop_YYYY..., population, n_units, area_m2`` and a parent
        code column for each layer above that every area nests in, sorted by code.
    """
    codes = units[by].to_numpy()
    order = np.argsort(codes, kind="stable")
    keys, starts = np.unique(codes[order], return_index=True)
    groups = np.split(order, starts[1:])
    geoms = units.geometry.to_numpy()
    merged = dissolve_groups(geoms, groups)
    pops = [c for c in units.columns if _numeric(c)] + ["population", "area_m2"]
    sums = units.groupby(by, sort=True)[pops].sum()
    names = units.groupby(by, sort=True)[f"{by}_name"].first()
    out = pd.DataFrame({"code": keys, "name": names.loc[keys].to_numpy()})
    for c in pops:
        out[c] = sums.loc[keys, c].to_numpy()
    out["n_units"] = [len(g) for g in groups]
    for parent in (p for p in _PARENTS.get(by, ()) if p in units):
        per = units.groupby(by, sort=True)[parent].nunique()
        if (per == 1).all():
            out[parent] = units.groupby(by, sort=True)[parent].first().loc[keys].to_numpy()
    return gpd.GeoDataFrame(out, geometry=merged, crs=units.crs)


def check_shapes(loaded: Loaded, region: Region) -> None:
    """Refuse a layer whose features are not polygons or lie outside the region's extent.

    Catches a file in degrees but labelled EPSG:27700 (every coordinate
    within +-180, +-90), a feature moved far away, and points, lines or
    collections where areas belong (they would otherwise become empty
    polygons, keeping their population, or break the coverage cleaning).

    Raises
    ------
    GeometryError
        Naming the features, the reason and the fix.
    """
    frame, ds = loaded.frame, loaded.dataset
    geoms = np.asarray(frame.geometry.values, dtype=object)
    codes = (frame[ds.code_column].astype(str).to_numpy() if ds.code_column in frame
             else np.array([f"feature {i}" for i in range(len(frame))]))
    kinds = shapely.get_type_id(geoms)
    bad = ~np.isin(kinds, (3, 6)) & ~shapely.is_missing(geoms)
    if bad.any():
        listed = ", ".join(f"{c} ({g.geom_type})" for c, g in list(zip(codes[bad], geoms[bad]))[:10])
        raise GeometryError(
            f"{int(bad.sum())} feature(s) are not polygons: {listed}", dataset=ds.id, path=loaded.path,
            fix="areas must be Polygon or MultiPolygon; restore them from the published boundary file")
    if region.extent is None or not len(geoms):
        return
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    if -180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90:
        raise GeometryError(
            f"the coordinates look like degrees (x {x0:.2f} to {x1:.2f}, y {y0:.2f} to {y1:.2f}) though the "
            f"layer is labelled EPSG:27700 (metres)", dataset=ds.id, path=loaded.path,
            fix="the file's CRS label is wrong: label it EPSG:4326 (ogr2ogr -a_srs EPSG:4326) so it is "
                "reprojected, or fetch the published file")
    ex0, ey0, ex1, ey1 = region.extent
    box = shapely.box(ex0, ey0, ex1, ey1)
    outside = ~shapely.within(geoms, box) & ~shapely.is_missing(geoms)
    if outside.any():
        far = shapely.distance(geoms[outside], shapely.boundary(box))
        listed = ", ".join(f"{c} ({d / 1000:,.0f} km outside)" for c, d in list(zip(codes[outside], far))[:10])
        raise GeometryError(
            f"{int(outside.sum())} feature(s) lie outside the {region.name} extent (x {ex0:,.0f}-{ex1:,.0f} m, "
            f"y {ey0:,.0f}-{ey1:,.0f} m in EPSG:27700): {listed}", dataset=ds.id, path=loaded.path,
            fix="restore the features' coordinates from the published boundary file")
