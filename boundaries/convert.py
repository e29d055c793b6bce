"""Turn pinned source files that are not the mirror's format into the mirror's files.

Most pinned sources of the England datasets are R data files (``.rda``) of the
humaniverse ``geographr``/``demographr`` packages: data frames, and R ``sf``
tables whose geometry column is a list of rings (matrices of lon/lat).
:func:`convert` reads one with :mod:`pyreadr` (or :mod:`rdata` for ``sf`` tables), keeps the English (and Welsh,
for the England-and-Wales lookups) rows, renames the columns to the ONS
style the registry expects, reprojects boundaries from EPSG:4326 to
EPSG:27700 and writes the same CSV or GeoPackage layer the mirror has.

Each conversion is one :class:`Conversion` value in :data:`CONVERSIONS`,
keyed by the mirror path, not code per file.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import CorruptFileError, DataError

__all__ = ["Conversion", "CONVERSIONS", "convert", "read_rda_frame", "sf_geometry"]


@dataclass(frozen=True)
class Conversion:
    """How one pinned source file becomes the mirror's file.

    Parameters
    ----------
    rename : mapping
        Source column -> mirror column, in the mirror's column order (other
        columns are dropped).
    keep : str, optional
        Regular expression the first renamed (code) column must match for a
        row to be kept (e.g. ``"^E"``: England only).
    sort : bool or tuple of str
        Sort the rows by the first column (the mirror's files are in code
        order), or by these (renamed) columns.
    layer : str, optional
        GeoPackage layer to write (boundaries); None for a CSV.
    crs : int
        EPSG code written for a layer (reprojected from the source's EPSG:4326).
    points : tuple of str, optional
        For an ``sf`` point table: names of the longitude and latitude columns
        to write instead of the geometry.
    decimals : int, optional
        Decimal places the point coordinates are rounded to (as in the mirror's file).
    object : str, optional
        Name of the data frame in the R data file (default: its only one).
    sheet : str, optional
        For a spreadsheet (``.xlsx``): the sheet to read.
    header : int
        For a spreadsheet: 0-based row of the column headings.
    rest : bool
        Keep the columns not in ``rename`` too (after them, names as text).
    bng : tuple of str, optional
        For a point table: also write British National Grid coordinates
        (EPSG:27700) under these two names, to 0.1 m.
    repair : bool
        Repair invalid polygons with ``shapely.make_valid`` after reprojection.
    joins : tuple, optional
        ``(mirror path, key column, {column: new name})`` for each table whose
        columns are added (left join on the key, one row per key): columns the
        mirror file took from another pinned file (itself converted first).
    pivot : tuple, optional
        ``(index columns, key column, value column, key -> column name, total column)``:
        a long table turned into one row per index, one whole-number column per
        key, and their sum as the total.
    """

    rename: Mapping[str, str]
    keep: str | None = None
    sort: bool | tuple[str, ...] = True
    layer: str | None = None
    crs: int = 27700
    points: tuple[str, str] | None = None
    decimals: int | None = None
    object: str | None = field(default=None)
    sheet: str | None = None
    header: int = 0
    rest: bool = False
    pivot: tuple | None = None
    bng: tuple[str, str] | None = None
    repair: bool = False
    joins: tuple = ()


def _same(*columns: str) -> dict[str, str]:
    """Columns kept under their own names, in this order."""
    return {c: c for c in columns}


_CODE = {"lsoa11_code": "LSOA11CD", "lsoa11_name": "LSOA11NM"}
_CENSUS_BANDS = {
    "Aged 15 years and under": "age_0_15", "Aged 16 to 24 years": "age_16_24", "Aged 25 to 34 years": "age_25_34",
    "Aged 35 to 49 years": "age_35_49", "Aged 50 to 64 years": "age_50_64", "Aged 65 years and over": "age_65_plus",
}
_FLOWS = Conversion({"msoa_code": "msoa_code", "trust_code": "trust_code", "proportion": "proportion"},
                    sort=False)

#: Conversions by mirror path.
CONVERSIONS: Mapping[str, Conversion] = {
    "england/england_lsoa11_bsc.gpkg": Conversion(_CODE, keep="^E", layer="lsoa11"),
    "england/england_msoa11_bsc.gpkg": Conversion({"msoa11_code": "MSOA11CD", "msoa11_name": "MSOA11NM"},
                                                  keep="^E", layer="msoa11"),
    "england/england_lad19_bsc.gpkg": Conversion({"ltla19_code": "LAD19CD", "ltla19_name": "LAD19NM"},
                                                 keep="^E", layer="lad19"),
    "nhs/boundaries/england_stp20_geographr.gpkg": Conversion({"stp_name": "stp_name", "stp_code": "stp_code"},
                                                              sort=False, layer="stp20", crs=4326),
    "england/lsoa11_msoa11_lookup_ew.csv": Conversion(
        {**_CODE, "msoa11_code": "MSOA11CD", "msoa11_name": "MSOA11NM"}, keep="^[EW]"),
    "england/lsoa11_ward17_lookup_ew.csv": Conversion({"lsoa11_code": "LSOA11CD", "ward17_code": "WD17CD"},
                                                      keep="^[EW]"),
    "england/lsoa11_pop_mid2017_ew.csv": Conversion({**_CODE, "total_population": "pop_mid2017"}, keep="^[EW]"),
    "nhs/flows/phe_trust_msoa_proportions_catchment2018_successor_updated.csv": _FLOWS,
    "nhs/flows/phe_trust_msoa_proportions_catchment2019_successor_updated.csv": _FLOWS,
    "nhs/population/ccg18_pop_mid2018_persons_syoa_en.csv": Conversion(
        {"Area Codes ": "CCG18CD", "Area Names": "CCG18NM", "All Ages": "all_ages"}, keep="^E38",
        sheet="Mid-2018 Persons", header=6, rest=True),
    # 2021-2025 files (registry entries added by other issues get these through their mirror path).
    "england21/lsoa21_boundaries_bsc.gpkg": Conversion({"lsoa21_code": "lsoa21_code", "lsoa21_name": "lsoa21_name"},
                                                       keep="^E", layer="lsoa21"),
    "england21/lsoa11_lsoa21_ltla22_lookup.csv": Conversion(_same(
        "lsoa11_code", "lsoa11_name", "change_code", "lsoa21_code", "lsoa21_name", "ltla22_code", "ltla22_name"),
        sort=("lsoa11_code", "lsoa21_code")),
    "england21/lsoa21_pop_census2021.csv": Conversion(
        _same("lsoa21_code", "lsoa21_name", "usual_residents_all", *_CENSUS_BANDS.values()),
        pivot=(("lsoa21_code", "lsoa21_name"), "age_group", "usual_residents", _CENSUS_BANDS, "usual_residents_all")),
    "deprivation/imd2019_lsoa11_en.csv": Conversion(
        {"LSOA code (2011)": "lsoa11_code", "LSOA name (2011)": "lsoa11_name",
         "Local Authority District code (2019)": "lad19_code", "Local Authority District name (2019)": "lad19_name",
         "Index of Multiple Deprivation (IMD) Rank": "imd19_rank",
         "Index of Multiple Deprivation (IMD) Decile": "imd19_decile"}, sheet="IMD2019"),
    "nhs/lookups/lsoa21_sicbl24_icb24_en.csv": Conversion(
        _same("lsoa21_code", "lsoa21_name", "sicbl24_code", "sicbl24_code_nhs", "sicbl24_name", "icb24_code",
              "icb24_code_nhs", "icb24_name"),
        joins=(("england21/lsoa11_lsoa21_ltla22_lookup.csv", "lsoa21_code", _same("ltla22_code", "ltla22_name")),
               ("local_authorities/lsoa21_ward24_ltla24_lookup.csv", "lsoa21_code",
                _same("ltla24_code", "ltla24_name")))),
    "nhs/boundaries/england_sicbl22.gpkg": Conversion(
        {"sicbl22cd": "sicbl22_code", "sicbl22nm": "sicbl22_name",
         **_same("bng_e", "bng_n", "long", "lat", "shape_length", "shape_area")},
        layer="sicbl22", repair=True),
    "nhs/trusts/nhs_trusts_points_2022.csv": Conversion(
        _same("nhs_trust22_code", "nhs_trust22_name", "status"), sort=False, points=("lon", "lat"),
        bng=("easting", "northing")),
    "nhs/trusts/hospital_sites_2022.csv": Conversion(
        _same("hospital22_name"), points=("lon", "lat"), bng=("easting", "northing"), sort=("hospital22_name", "lon")),
    "nhs/boundaries/england_icb22_buc.gpkg": Conversion(_same("icb22_code", "icb22_name"), sort=False, layer="icb22"),
    "nhs/lookups/lsoa11_sicbl22_icb22_ltla22_en.csv": Conversion(_same(
        "lsoa11_code", "lsoa11_name", "sicbl22_code", "sicbl22_code_h", "sicbl22_name", "icb22_code",
        "icb22_code_h", "icb22_name", "ltla22_code", "ltla22_name")),
    "nhs/flows/trust22_icb22_shares.csv": Conversion(_same(
        "nhs_trust22_code", "icb22_code", "proportion_trust_came_from_icb"), sort=False),
    "nhs/flows/trust22_ltla21_shares.csv": Conversion(_same(
        "nhs_trust22_code", "ltla21_code", "proportion_trust_came_from_ltla"), sort=False),
    "nhs/trusts/nhs_trust_to_stp_nhscode_geographr_2021-06.csv": Conversion(_same(
        "nhs_trust_code", "stp_code", "status"), sort=False),
    "nhs/trusts/nhs_trusts_points_geographr_2021-11.csv": Conversion(
        _same("nhs_trust_name", "nhs_trust_code", "status"), sort=False, points=("lon", "lat"), decimals=6),
    "local_authorities/ltla19_utla19_lookup.csv": Conversion(_same(
        "ltla19_name", "ltla19_code", "utla19_name", "utla19_code"), sort=False),
    "local_authorities/ltla21_utla21_lookup.csv": Conversion(_same(
        "ltla21_name", "ltla21_code", "utla21_name", "utla21_code"), sort=False),
    "local_authorities/ltla23_utla23_lookup.csv": Conversion(_same(
        "ltla23_code", "ltla23_name", "utla23_code", "utla23_name"), sort=False),
    "local_authorities/ltla22_ltla23_lookup.csv": Conversion(_same(
        "ltla22_code", "ltla22_name", "ltla23_code", "ltla23_name"), sort=False),
    "local_authorities/ltla24_region24_lookup.csv": Conversion(_same(
        "ltla24_name", "ltla24_code", "region24_name", "region24_code"), sort=False),
    "local_authorities/lsoa21_ward24_ltla24_lookup.csv": Conversion(_same(
        "lsoa21_name", "lsoa21_code", "ward24_name", "ward24_code", "ltla24_name", "ltla24_code"), sort=False),
    "local_authorities/msoa11_msoa21_ltla22_lookup.csv": Conversion(_same(
        "msoa11_name", "msoa11_code", "msoa21_name", "msoa21_code", "ltla22_name", "ltla22_code"), sort=False),
    "nhs/trusts/nhs_trusts_points_geographr_2021-03.csv": Conversion(
        {"nhs_trust_name": "nhs_trust_name", "nhs_trust_code": "nhs_trust_code", "status": "status"},
        sort=False, points=("lon", "lat"), decimals=6),
}


def read_rda_frame(path: Path | str, name: str | None = None) -> pd.DataFrame:
    """The data frame stored in an ``.rda`` file (the only one, or ``name``).

    Plain data frames are read with :mod:`pyreadr` (the C library librdata:
    a 200,000-row table in about 2 s); R ``sf`` tables, whose geometry column
    librdata cannot read, with :mod:`rdata` (pure Python, 20 times slower).

    Raises
    ------
    CorruptFileError
        The file is not an R data file, or holds no data frame.
    """
    objects = None
    try:
        import pyreadr

        objects = dict(pyreadr.read_r(str(path)))
    except Exception:  # librdata refuses sf list columns ("unsupported features"): rdata reads those
        objects = None
    if objects is None:
        import rdata

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # rdata warns about R classes it has no converter for (sf, tbl_df)
                objects = rdata.read_rda(path)
        except Exception as exc:  # rdata raises several types for a bad file
            raise CorruptFileError(f"cannot read the R data file: {type(exc).__name__}: {exc}", path=path,
                                   fix="the download is damaged; fetch it again") from exc
    frames = {k: v for k, v in objects.items() if isinstance(v, pd.DataFrame)}
    if name is not None and name in frames:
        return frames[name]
    if len(frames) != 1:
        raise CorruptFileError(f"expected one data frame in the R data file, found {sorted(frames) or 'none'}",
                               path=path, fix="check the pinned address in boundaries/pins.tsv")
    return next(iter(frames.values()))


def read_sheet(path: Path | str, conv: Conversion) -> pd.DataFrame:
    """One sheet of a spreadsheet, headings on row ``conv.header``, blank rows dropped.

    Raises
    ------
    CorruptFileError
        The file is not a spreadsheet or has no such sheet.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl: "Cannot parse header or footer" (print settings)
            frame = pd.read_excel(path, sheet_name=conv.sheet, header=conv.header, engine="openpyxl")
    except Exception as exc:  # openpyxl/zipfile raise several types for a bad file
        raise CorruptFileError(f"cannot read sheet {conv.sheet!r} of the spreadsheet: {type(exc).__name__}: {exc}",
                               path=path, fix="the download is damaged; fetch it again") from exc
    frame = frame.dropna(how="all")
    first = frame.columns[0]
    frame = frame[frame[first].notna()].copy()
    for col in frame.columns[2:]:  # counts: whole numbers (the sheet stores them as numbers)
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.notna().all() and (values % 1 == 0).all():
            frame[col] = values.astype("int64")
    return frame


def sf_geometry(values) -> np.ndarray:
    """Shapely geometries from an R ``sf`` geometry column read by :mod:`rdata`.

    A point is a vector of 2 numbers; a polygon a list of rings (n x 2
    matrices, the first the exterior); a multipolygon a list of polygons.
    Polygons are returned as MultiPolygons, as in the mirror's files.
    """
    out = []
    for value in values:
        if isinstance(value, np.ndarray) and value.ndim == 1:
            out.append(shapely.Point(value[:2]))
            continue
        polys = value if value and isinstance(value[0], list) else [value]
        out.append(shapely.MultiPolygon([shapely.Polygon(np.asarray(p[0])[:, :2],
                                                         [np.asarray(r)[:, :2] for r in p[1:]])
                                         for p in polys]))
    return np.array(out, dtype=object)


def _pivot(frame: pd.DataFrame, index, key: str, value: str, names: Mapping[str, str], total: str,
           *, source) -> pd.DataFrame:
    """One row per ``index``, a whole-number column per ``key`` (renamed by ``names``) and their sum."""
    unknown = sorted(set(frame[key].astype(str)) - set(names))
    if unknown:
        raise CorruptFileError(f"unexpected {key} values in the R data file: {', '.join(unknown[:5])}", path=source,
                               fix="the pinned source changed; check boundaries/pins.tsv and boundaries/convert.py")
    counts = pd.to_numeric(frame[value], errors="raise")
    if (counts % 1 != 0).any():
        raise CorruptFileError(f"{value} has fractional counts", path=source, fix="check the pinned source")
    wide = (frame.assign(**{value: counts.astype("int64")})
            .pivot(index=list(index), columns=key, values=value)[list(names)]
            .rename(columns=dict(names)))
    if wide.isna().any().any():
        raise CorruptFileError(f"some {index[0]} lack a {key}", path=source, fix="check the pinned source")
    wide = wide.astype("int64")
    wide.insert(0, total, wide.sum(axis=1))
    wide.columns.name = None
    return wide.reset_index()


#: ``sources(mirror_path) -> Path``: the pinned source file of another mirror file (for joins).
SourceFn = Callable[[str], Path]


def converted_frame(source: Path | str, conv: Conversion, sources: SourceFn | None = None) -> pd.DataFrame:
    """The mirror's table (or GeoDataFrame) from the pinned source file ``source``."""
    frame = read_sheet(source, conv) if conv.sheet else read_rda_frame(source, conv.object)
    if conv.pivot:
        frame = _pivot(frame, *conv.pivot, source=source)
    missing = [c for c in conv.rename if c not in frame]
    if missing:
        raise CorruptFileError(f"columns missing from the R data file: {', '.join(missing)} "
                               f"(it has {', '.join(map(str, frame.columns))})", path=source,
                               fix="the pinned source changed; check boundaries/pins.tsv")
    columns = list(conv.rename) + ([c for c in frame.columns if c not in conv.rename] if conv.rest else [])
    out = frame[columns].rename(columns={**{c: str(c) for c in columns}, **conv.rename}).reset_index(drop=True)
    geometry = frame["geometry"].reset_index(drop=True) if "geometry" in frame else None
    first = out.columns[0]
    for col in out.columns:
        if isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None).astype("str")
    mask = np.ones(len(out), bool)
    if conv.keep:
        mask = out[first].astype(str).str.contains(conv.keep, regex=True).to_numpy()
    out = out[mask].reset_index(drop=True)
    for other_path, key, columns in conv.joins:
        out = _join(out, other_path, key, columns, sources, source)
    geoms = sf_geometry(geometry[mask].tolist()) if geometry is not None else None
    if geoms is not None and conv.points:
        lon, lat = conv.points
        for col, values in ((lon, shapely.get_x(geoms)), (lat, shapely.get_y(geoms))):
            # numpy's rounding (scale, round half to even, unscale), as the mirror's files were written;
            # else the 15 significant digits R keeps (-1.4085736, not -1.4085736000000002).
            out[col] = (np.round(values, conv.decimals) if conv.decimals is not None
                        else [float(f"{v:.15g}") for v in values])
        if conv.bng:
            bng = gpd.GeoSeries(geoms, crs=4326).to_crs(27700)
            out[conv.bng[0]] = np.round(bng.x.to_numpy(), 1)
            out[conv.bng[1]] = np.round(bng.y.to_numpy(), 1)
        geoms = None
    if isinstance(conv.sort, tuple):  # numbers sort as numbers, the rest as text
        keys = [out[c].to_numpy() if pd.api.types.is_numeric_dtype(out[c]) else out[c].to_numpy(str)
                for c in reversed(conv.sort)]
        order = np.lexsort(keys)
    elif conv.sort:
        order = np.argsort(out[first].to_numpy(str), kind="stable")
    else:
        order = np.arange(len(out))
    out = out.iloc[order].reset_index(drop=True)
    if geoms is None:
        return out
    gdf = gpd.GeoDataFrame(out, geometry=geoms[order], crs=4326)
    gdf = gdf.to_crs(conv.crs) if conv.crs != 4326 else gdf
    if conv.repair:
        bad = ~gdf.geometry.is_valid.to_numpy()
        if bad.any():
            # "structure": rebuilds the rings as polygons (no stray lines), as the mirror's repair did
            fixed = [g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon(
                [q for q in shapely.get_parts(g) if q.geom_type == "Polygon"])
                for g in shapely.make_valid(gdf.geometry.values[bad], method="structure")]
            gdf.loc[bad, "geometry"] = np.array(fixed, dtype=object)
    return gdf


def _join(out: pd.DataFrame, other_path: str, key: str, columns: Mapping[str, str], sources: SourceFn | None,
          source) -> pd.DataFrame:
    """``out`` with ``columns`` of the converted mirror file ``other_path`` joined on ``key``."""
    if sources is None:
        raise DataError(f"this conversion also needs {other_path}", path=source,
                        fix="convert it through `python -m boundaries fetch`, which downloads both")
    other = converted_frame(sources(other_path), CONVERSIONS[other_path], sources)
    other = other[[key, *columns]].rename(columns=dict(columns)).drop_duplicates(key)
    joined = out.merge(other, on=key, how="left", validate="many_to_one")
    lost = joined[list(columns.values())].isna().any(axis=1).to_numpy()
    if lost.any():
        raise CorruptFileError(f"{int(lost.sum())} row(s) have no match in {other_path}: "
                               f"{', '.join(joined.loc[lost, key].astype(str).head(5))}", path=source,
                               fix="the pinned editions do not match; check boundaries/pins.tsv")
    return joined


def convert(source: Path | str, dest: Path | str, mirror_path: str, sources: SourceFn | None = None) -> Path:
    """Convert the pinned ``source`` into ``dest``, the mirror's file ``mirror_path``.

    ``sources(path)`` gives the pinned source of another mirror file, for a
    conversion that joins columns from it.

    Raises
    ------
    DataError
        No conversion is known for ``mirror_path``, or the source is not as expected.
    OSError
        Writing ``dest`` failed (e.g. the disk is full); the caller removes it.
    """
    conv = CONVERSIONS.get(mirror_path)
    if conv is None:
        raise DataError(f"no conversion is defined for {mirror_path}", path=source,
                        fix="add a Conversion for it in boundaries/convert.py, or use the bundle or a mirror")
    frame = converted_frame(source, conv, sources)
    dest = Path(dest)
    if conv.layer:
        import pyogrio

        pyogrio.write_dataframe(frame, dest, layer=conv.layer, driver="GPKG")
    else:
        frame.to_csv(dest, index=False)
    return dest
