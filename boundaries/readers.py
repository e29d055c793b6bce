"""Read one registry dataset from disk and validate it.

Each reader returns the table and a list of notes (repairs made, oddities
found).  Problems that make the data unusable raise a :mod:`~boundaries.errors`
exception naming the dataset, the file and the fix.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .config import DATA_HELP, Settings, settings as default_settings
from .errors import (
    CodeError,
    CorruptFileError,
    CRSError,
    GeometryError,
    MissingDataError,
    RecordCountError,
)
from .files import TextEncodingError, decode_text
from .geometry import polygonal
from .paths import dataset_path, locate
from .registry import Dataset

__all__ = ["Loaded", "read_dataset", "load_dataset", "locate", "dataset_path", "validate_codes",
           "repair_geometries"]


@dataclass
class Loaded:
    """A dataset read from disk.

    Attributes
    ----------
    dataset : Dataset
    path : Path
    frame : pandas.DataFrame or geopandas.GeoDataFrame
    notes : list of str
        Repairs and warnings, in plain words.
    source : str
        Where it was read from: ``"env"``, ``"mirror"``, ``"download"``,
        ``"bundle"`` (empty when read from an explicit folder).
    """

    dataset: Dataset
    path: Path
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    source: str = ""


def load_dataset(ds: Dataset, config: Settings | None = None) -> Loaded:
    """Read and validate ``ds`` from where :func:`locate` finds it (data directory, else bundle).

    Raises
    ------
    MissingDataError, CorruptFileError, CRSError, GeometryError, CodeError, RecordCountError
    """
    config = config or default_settings()
    path, source = locate(ds, config)
    if source == "bundle":
        from .bundle import read_bundled

        return read_bundled(ds, config.bundle_dir)
    loaded = read_dataset(ds, config.data_dir)
    loaded.source = source
    return loaded


def read_dataset(ds: Dataset, data_dir: Path | str, *, path: Path | None = None) -> Loaded:
    """Read and validate one dataset.

    Parameters
    ----------
    ds : Dataset
        Registry entry.
    data_dir : path-like
        Data directory in the mirror's layout.
    path : Path, optional
        Read this file instead of the one the registry names (used to check a
        fresh download before it goes into the cache).

    Returns
    -------
    Loaded

    Raises
    ------
    MissingDataError, CorruptFileError, CRSError, GeometryError, CodeError, RecordCountError
    """
    path = Path(path) if path is not None else dataset_path(ds, Path(data_dir))
    if not path.is_file():
        raise MissingDataError(
            "file not found", dataset=ds.id, path=path, fix=DATA_HELP,
        )
    if path.stat().st_size == 0:
        raise CorruptFileError("file is empty", dataset=ds.id, path=path, fix="delete it and fetch it again")
    notes: list[str] = []
    if ds.kind == "vector":
        frame = _read_vector(ds, path, notes)
    elif ds.kind == "csv":
        frame = _read_csv(ds, path, notes)
    elif ds.kind == "table":
        frame = _read_table(ds, path)
    else:  # pragma: no cover - registry is static
        raise ValueError(f"unknown dataset kind {ds.kind!r}")
    return validated(ds, path, frame, notes)


def validated(ds: Dataset, path: Path, frame: pd.DataFrame, notes: list[str], source: str = "") -> Loaded:
    """Check the record count and the codes of a frame read from ``path``; wrap it as :class:`Loaded`."""
    if len(frame) != ds.records:
        raise RecordCountError(
            f"expected {ds.records:,} records, found {len(frame):,}",
            dataset=ds.id, path=path,
            fix="the file is incomplete or a different edition; fetch it again or update the registry",
        )
    validate_codes(frame, ds, path)
    return Loaded(ds, path, frame, notes, source)


def read_vector_raw(ds: Dataset, path: Path) -> gpd.GeoDataFrame:
    """The layer as stored (no CRS check, no repair)."""
    import pyogrio  # here, not on import: loading the processed cache reads no source file

    try:
        return pyogrio.read_dataframe(path, layer=ds.layer, use_arrow=True)
    except Exception as exc:  # pyogrio raises several error types for bad files
        raise CorruptFileError(
            f"cannot read layer {ds.layer!r}: {exc}".rstrip(),
            dataset=ds.id, path=path, fix="the file is damaged or not a GeoPackage; fetch it again",
        ) from exc


def _read_vector(ds: Dataset, path: Path, notes: list[str]) -> gpd.GeoDataFrame:
    return check_vector(ds, path, read_vector_raw(ds, path), notes)


def check_vector(ds: Dataset, path: Path, gdf: gpd.GeoDataFrame, notes: list[str]) -> gpd.GeoDataFrame:
    """CRS checks, reprojection to EPSG:27700 and geometry repair of a layer read from ``path``."""
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf:
        raise CorruptFileError("layer has no geometry column", dataset=ds.id, path=path,
                               fix="use the boundary file named in SOURCES.md")
    if gdf.crs is None:
        raise CRSError(
            "layer has no coordinate reference system", dataset=ds.id, path=path,
            fix=f"set its CRS to EPSG:{ds.crs} (e.g. ogr2ogr -a_srs EPSG:{ds.crs}) or fetch the published file",
        )
    epsg = gdf.crs.to_epsg()
    if ds.crs is not None and epsg != ds.crs:
        raise CRSError(
            f"layer is in {gdf.crs.name} (EPSG:{epsg}), expected EPSG:{ds.crs}",
            dataset=ds.id, path=path,
            fix=f"reproject it to EPSG:{ds.crs} or fetch the published file",
        )
    if epsg != 27700:
        gdf = gdf.to_crs(27700)
        notes.append(f"reprojected from EPSG:{epsg} to EPSG:27700")
    if ds.code_column in gdf:
        codes = gdf[ds.code_column].astype("string")
    else:
        codes = pd.Series(np.arange(len(gdf)).astype(str))
    repaired = repair_geometries(gdf, codes, ds, path)
    if repaired:
        notes.append(f"repaired {len(repaired)} invalid geometr{'y' if len(repaired) == 1 else 'ies'} with make_valid: {', '.join(repaired)}")
    return gdf


def repair_geometries(gdf: gpd.GeoDataFrame, codes: pd.Series, ds: Dataset, path: Path) -> list[str]:
    """Repair invalid geometries in place; reject empty ones.

    Returns
    -------
    list of str
        Codes of the repaired features.

    Raises
    ------
    GeometryError
        When a feature has no geometry or an empty one.
    """
    geoms = gdf.geometry.values
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        bad = codes[empty].tolist()
        raise GeometryError(
            f"{int(empty.sum())} feature(s) have empty or missing geometry: {', '.join(map(str, bad[:10]))}",
            dataset=ds.id, path=path, fix="restore the boundary from the published file",
        )
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return []
    fixed = shapely.make_valid(geoms[invalid])
    # make_valid can return collections with stray lines; keep the polygonal part.
    fixed = np.array([polygonal(g) for g in fixed], dtype=object)
    if (shapely.is_empty(fixed) | ~shapely.is_valid(fixed)).any():
        raise GeometryError("invalid geometries could not be repaired", dataset=ds.id, path=path,
                            fix="repair them in QGIS or fetch the published file")
    gdf.loc[invalid, gdf.geometry.name] = fixed
    return codes[invalid].tolist()


def _read_table(ds: Dataset, path: Path) -> pd.DataFrame:
    """Attribute table of a dBase (or any OGR) file, without geometry."""
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path, layer=ds.layer, read_geometry=False)
    except Exception as exc:  # pyogrio raises several error types for bad files
        raise CorruptFileError(
            f"cannot read the table: {exc}".rstrip(), dataset=ds.id, path=path,
            fix="the file is damaged or not a dBase table; fetch it again",
        ) from exc
    return pd.DataFrame(frame)


def _read_csv(ds: Dataset, path: Path, notes: list[str]) -> pd.DataFrame:
    raw = path.read_bytes()
    if raw[:3] == b"\xef\xbb\xbf":
        notes.append("UTF-8 byte-order mark removed")
    head = raw[:512].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml")):
        raise CorruptFileError(
            "file is an HTML/XML page, not CSV data (a download error page?)",
            dataset=ds.id, path=path, fix="delete it and fetch it again",
        )
    try:
        text = decode_text(raw, where=str(path), utf16=False)
    except TextEncodingError as exc:
        raise CorruptFileError(
            f"file is not UTF-8 text (line {exc.line}, column {exc.column})", dataset=ds.id, path=path,
            fix="save it as CSV UTF-8 or fetch it again",
        ) from exc
    try:
        frame = pd.read_csv(io.StringIO(text), dtype={ds.code_column: "string"}, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise CorruptFileError(f"cannot parse CSV: {exc}", dataset=ds.id, path=path,
                               fix="the file is damaged; fetch it again") from exc
    return frame


def validate_codes(frame: pd.DataFrame, ds: Dataset, path: Path) -> None:
    """Check the code column: present, non-blank, well formed and (if required) unique.

    Raises
    ------
    CodeError
    """
    col = ds.code_column
    if col not in frame:
        raise CodeError(
            f"code column {col!r} is missing (columns: {', '.join(map(str, frame.columns[:12]))})",
            dataset=ds.id, path=path, fix="use the file named in SOURCES.md, whose columns the registry describes",
        )
    codes = frame[col].astype("string")
    blank = codes.isna() | (codes.str.strip() == "")
    if blank.any():
        rows = (np.flatnonzero(blank.to_numpy()) + 2)[:10]  # +2: header line, 1-based
        raise CodeError(
            f"{int(blank.sum())} record(s) have a blank {col} (lines {', '.join(map(str, rows))})",
            dataset=ds.id, path=path, fix="restore the codes from the published file",
        )
    ok = codes.str.fullmatch(ds.code_pattern).fillna(False).to_numpy(bool)
    if not ok.all():
        bad = codes[~ok].head(5).tolist()
        raise CodeError(
            f"{int((~ok).sum())} code(s) in {col} do not match {ds.code_pattern}: {', '.join(map(repr, bad))}",
            dataset=ds.id, path=path, fix="check the file is the right dataset; codes are GSS/ODS codes",
        )
    if ds.unique_codes:
        dup = codes[codes.duplicated()].unique().tolist()
        if dup:
            raise CodeError(
                f"{len(dup)} duplicate code(s) in {col}: {', '.join(map(str, dup[:10]))}",
                dataset=ds.id, path=path, fix="remove the duplicated records or fetch the published file",
            )
