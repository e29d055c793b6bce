"""Map exports: one row per footprint with its checks and dissolved shape, as GeoJSON or GeoPackage.

Shapes are measured in EPSG:27700; GeoJSON is written in EPSG:4326 (as
RFC 7946 requires), GeoPackage in EPSG:27700.  Every export is atomic
(:func:`boundaries.files.atomic_path`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from boundaries.files import atomic_path

from ..checks import RULES, ScenarioReport
from ..errors import ScenarioError
from ..geometry import dissolve
from ..index import UnitIndex

__all__ = ["footprints_frame", "export_geojson", "export_gpkg"]


def footprints_frame(report: ScenarioReport, index: UnitIndex) -> gpd.GeoDataFrame:
    """One row per footprint with its metrics and dissolved shape (EPSG:27700).

    Columns: ``scenario, year, name, level, parent, population, n_units,
    n_boroughs, boroughs, ccgs, stps, contiguous, passed``, then for every rule
    ``<rule>_passed`` (nullable boolean: empty when the rule gives no verdict),
    ``<rule>_value`` (number) and ``<rule>_reason``; ``geometry`` is the union
    of the footprint's units, computed with :func:`shapely.coverage_union_all`
    on the unit coverage.

    Parameters
    ----------
    report : ScenarioReport
    index : UnitIndex
        The index the report was computed with (it holds the unit geometry).
    """
    geoms = index.geo.units.geometry.values
    rows, shapes = [], []
    for r in report.footprints:
        units = r.units if r.units is not None else index.expand(report.scenario.get(r.name).members)
        shapes.append(dissolve(geoms, units))
        row: dict[str, Any] = {
            "scenario": report.scenario.name, "year": int(report.scenario.year), "name": r.name,
            "level": r.level, "parent": r.parent or "", "population": int(r.population), "n_units": int(r.n_units),
            "n_boroughs": len(r.boroughs), "boroughs": ";".join(r.boroughs), "ccgs": ";".join(r.ccgs),
            "stps": ";".join(r.stps), "contiguous": bool(r.contiguous), "passed": bool(r.passed),
        }
        by_rule = {c.rule: c for c in r.checks}
        for rule in list(RULES) + [k for k in by_rule if k not in RULES]:
            c = by_rule.get(rule)
            row[f"{rule}_passed"] = None if c is None else c.passed
            value = None if c is None else c.value
            row[f"{rule}_value"] = float(value) if isinstance(value, (int, float, np.number)) and \
                not isinstance(value, bool) else np.nan
            row[f"{rule}_reason"] = "" if c is None else c.reason
        rows.append(row)
    frame = pd.DataFrame(rows)
    for col in frame.columns:
        if col.endswith("_passed"):
            frame[col] = frame[col].astype("boolean")
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(shapes, crs=index.geo.units.crs).values,
                           crs=index.geo.units.crs)
    gdf.attrs.update({"scenario": report.scenario.name, "year": int(report.scenario.year),
                      "source": report.scenario.source})
    return gdf


def _metadata(frame: gpd.GeoDataFrame) -> dict[str, str]:
    return {k: str(v) for k, v in frame.attrs.items() if v not in (None, "")}


def _write_frame(frame: gpd.GeoDataFrame, path: str | os.PathLike, driver: str, suffix: str, **kw) -> Path:
    path = Path(path)
    with atomic_path(path, suffix=suffix, error=ScenarioError) as tmp:
        tmp.unlink()  # the driver creates the file itself
        try:
            frame.to_file(tmp, driver=driver, engine="pyogrio", **kw)
        except Exception as exc:
            raise ScenarioError(f"could not write the {driver} file ({exc})", where=str(path),
                                fix="check the folder is writable and the disk not full") from exc
    return path


def export_geojson(frame: gpd.GeoDataFrame, path: str | os.PathLike) -> Path:
    """Write footprints as GeoJSON in EPSG:4326 (as RFC 7946 requires), atomically."""
    return _write_frame(frame.to_crs(4326), path, "GeoJSON", ".geojson", RFC7946="YES")


def export_gpkg(frame: gpd.GeoDataFrame, path: str | os.PathLike, *, layer: str = "footprints") -> Path:
    """Write footprints as a GeoPackage layer in EPSG:27700 (opens in QGIS), atomically."""
    return _write_frame(frame.to_crs(27700), path, "GPKG", ".gpkg", layer=layer,
                        layer_metadata=_metadata(frame) or None, promote_to_multi=True)
