"""The click map's geometry file: every unit drawn once, fetched once per page.

The browser fetches this file a single time (it is named by the data's cache
key, so Streamlit's ``Cache-Control: public`` is safe) and keeps the shapes;
each rerun afterwards only sends which footprint each unit belongs to.

Geometry goes through :func:`layers.geometry.to_map_geometry` (coverage
simplification, EPSG:4326, rounded) and :func:`layers.topology.to_topology`
(shared, quantised, delta-encoded arcs), the same path as the other maps.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from boundaries import Geographies

from layers.geometry import DEFAULT_TOLERANCE_M, to_map_geometry
from layers.topology import pack_topology, to_topology
from .vendor import FRONTEND_DIR
from boundaries.files import atomic_write

__all__ = ["FORMAT_VERSION", "DATA_SUBDIR", "map_data", "map_data_name", "map_data_ready", "ensure_map_data"]

#: Bumped whenever the file layout changes (old files are then ignored).
FORMAT_VERSION = 3  # 3: the geography, so the info box names places and sub-ICB locations in 2024
#: Gitignored folder inside the component's frontend that holds the files.
DATA_SUBDIR = "data"
#: Area layers whose code and name the map shows for the unit under the mouse.
_INFO_LAYERS = ("msoa", "ward", "borough", "ccg")


def map_data_name(geo: Geographies, tolerance_m: float = DEFAULT_TOLERANCE_M) -> str:
    """File name (relative to the frontend folder) of ``geo``'s map data.

    The name changes with the data's cache key, the unit codes, the
    simplification tolerance and :data:`FORMAT_VERSION`.
    """
    h = hashlib.sha256()
    h.update(f"{geo.region}|{geo.key}|{tolerance_m}|{FORMAT_VERSION}|{len(geo.units)}".encode())
    if not geo.key:  # no cache key: fall back on the unit codes themselves
        h.update("\n".join(geo.units["code"].astype(str)).encode())
    return f"{DATA_SUBDIR}/units-{geo.region}-{h.hexdigest()[:16]}.json"


def _packed(gdf, tolerance_m: float) -> dict[str, Any]:
    light = to_map_geometry(gdf[["geometry"]], tolerance_m)
    return pack_topology(to_topology(light.geometry.values))


def map_data(geo: Geographies, tolerance_m: float = DEFAULT_TOLERANCE_M) -> dict[str, Any]:
    """The map file's content for ``geo``.

    Parameters
    ----------
    geo : Geographies
        Units in EPSG:27700, in the order of the engine's unit index (unit id
        = position), which is the order the assignment list uses.
    tolerance_m : float
        Simplification tolerance in metres.

    Returns
    -------
    dict
        ``codes``, ``names``: per unit; ``msoa``, ``ward``, ``borough``, ``ccg``: per
        unit the position of its area in ``areas[layer]`` (``codes``,
        ``names``); ``units``: packed topology of the units (feature k is
        unit k, ``null`` when it collapsed); ``boroughs``: packed topology of
        the borough outlines; ``bounds``: ``[[south, west], [north, east]]``.
    """
    units = geo.units
    out: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "region": geo.region,
        "geography": str(getattr(geo, "geography", "2018")),
        "key": geo.key,
        "codes": units["code"].astype(str).tolist(),
        "names": units["name"].astype(str).tolist(),
        "areas": {},
    }
    for layer in (name for name in _INFO_LAYERS if name in units):
        pos, keys = pd.factorize(units[layer].astype(str), sort=True)
        names = units.groupby(units[layer].astype(str))[f"{layer}_name"].first().reindex(keys)
        out[layer] = pos.tolist()
        out["areas"][layer] = {"codes": list(map(str, keys)), "names": names.astype(str).tolist()}
    out["units"] = _packed(units, tolerance_m)
    out["boroughs"] = _packed(geo.layer("borough"), tolerance_m)
    west, south, east, north = units.to_crs(4326).total_bounds
    out["bounds"] = [[round(float(south), 5), round(float(west), 5)], [round(float(north), 5), round(float(east), 5)]]
    return out


def map_data_ready(geo: Geographies, tolerance_m: float = DEFAULT_TOLERANCE_M, *,
                   frontend_dir: Path = FRONTEND_DIR) -> bool:
    """Whether ``geo``'s map file is already written (no work left for :func:`ensure_map_data`)."""
    return (frontend_dir / map_data_name(geo, tolerance_m)).is_file()


def ensure_map_data(geo: Geographies, tolerance_m: float = DEFAULT_TOLERANCE_M, *,
                    frontend_dir: Path = FRONTEND_DIR) -> str:
    """Write ``geo``'s map file under the frontend folder unless it is there.

    Written through a temporary file and :func:`os.replace`, so two app
    processes starting together never serve half a file.

    Returns
    -------
    str
        The file's path relative to ``frontend_dir`` (what the browser fetches).
    """
    name = map_data_name(geo, tolerance_m)
    path = frontend_dir / name
    if path.is_file():
        return name
    text = json.dumps(map_data(geo, tolerance_m), separators=(",", ":"), ensure_ascii=False)
    atomic_write(path, lambda f: f.write(text), parents=True, mode=0o644)
    return name
