"""Turn pinned source files that are not the mirror's format into the mirror's files.

Most pinned sources of the England datasets are R data files (``.rda``) of the
humaniverse ``geographr``/``demographr`` packages: data frames, and R ``sf``
tables whose geometry column is a list of rings (matrices of lon/lat).
:func:`convert` reads one with :mod:`rdata`, keeps the English (and Welsh,
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
from typing import Mapping

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
    sort : bool
        Sort the rows by the first column (the mirror's files are in code order).
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
    """

    rename: Mapping[str, str]
    keep: str | None = None
    sort: bool = True
    layer: str | None = None
    crs: int = 27700
    points: tuple[str, str] | None = None
    decimals: int | None = None
    object: str | None = field(default=None)
    sheet: str | None = None
    header: int = 0
    rest: bool = False


_CODE = {"lsoa11_code": "LSOA11CD", "lsoa11_name": "LSOA11NM"}
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
    "nhs/trusts/nhs_trusts_points_geographr_2021-03.csv": Conversion(
        {"nhs_trust_name": "nhs_trust_name", "nhs_trust_code": "nhs_trust_code", "status": "status"},
        sort=False, points=("lon", "lat"), decimals=6),
}


def read_rda_frame(path: Path | str, name: str | None = None) -> pd.DataFrame:
    """The data frame stored in an ``.rda`` file (the only one, or ``name``).

    Raises
    ------
    CorruptFileError
        The file is not an R data file, or holds no data frame.
    """
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


def converted_frame(source: Path | str, conv: Conversion) -> pd.DataFrame:
    """The mirror's table (or GeoDataFrame) from the pinned source file ``source``."""
    frame = read_sheet(source, conv) if conv.sheet else read_rda_frame(source, conv.object)
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
    out = out[mask]
    if geometry is not None:
        geometry = geometry[mask]
    order = np.argsort(out[first].to_numpy(str), kind="stable") if conv.sort else np.arange(len(out))
    out = out.iloc[order].reset_index(drop=True)
    if geometry is None:
        return out
    geoms = sf_geometry(geometry.iloc[order].tolist())
    if conv.points:
        lon, lat = conv.points
        for col, values in ((lon, shapely.get_x(geoms)), (lat, shapely.get_y(geoms))):
            # Python's round is correctly rounded: the same float as the mirror's 6-decimal text.
            out[col] = [round(float(v), conv.decimals) for v in values] if conv.decimals is not None else values
        return out
    gdf = gpd.GeoDataFrame(out, geometry=geoms, crs=4326)
    return gdf.to_crs(conv.crs) if conv.crs != 4326 else gdf


def convert(source: Path | str, dest: Path | str, mirror_path: str) -> Path:
    """Convert the pinned ``source`` into ``dest``, the mirror's file ``mirror_path``.

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
    frame = converted_frame(source, conv)
    dest = Path(dest)
    if conv.layer:
        import pyogrio

        pyogrio.write_dataframe(frame, dest, layer=conv.layer, driver="GPKG")
    else:
        frame.to_csv(dest, index=False)
    return dest
