"""Processed cache: the built units and layers as GeoParquet, keyed by source hashes.

Building from the source files takes a couple of seconds (reading, joining,
cleaning the coverage, dissolving); reading the processed cache takes a
fraction of that.  The key is a hash of the region's configuration, the cache
format version and the bytes of every source file the build reads, so the
cache is rebuilt whenever a source changes.  Writes are atomic: a cache
folder is written under a temporary name and renamed into place whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd

from .config import DEFAULT_YEAR, Settings, settings as default_settings
from .geographies import Geographies, Progress, build_geographies
from .readers import locate
from .registry import Region, get_dataset, get_region

__all__ = ["CACHE_FORMAT", "source_key", "load_geographies", "clear_cache"]

#: Bump when the processed tables change shape.
CACHE_FORMAT = 3


def _file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def source_key(region: Region, config: Settings) -> str:
    """Fingerprint of everything the region's build reads.

    Missing files are part of the key as ``missing`` (the build then raises a
    clear :class:`~boundaries.errors.MissingDataError`).
    """
    h = hashlib.blake2b(digest_size=12)
    h.update(f"format={CACHE_FORMAT};region={region!r}".encode())
    ids = [region.units, *(j.dataset for j in region.joins), *(p.dataset for p in region.published.values()),
           *region.profile.values()]
    seen: set[Path] = set()
    for ds_id in dict.fromkeys(ids):
        path, _ = locate(get_dataset(ds_id), config)
        if path in seen:
            continue
        seen.add(path)
        h.update(str(get_dataset(ds_id).path).encode())
        h.update(_file_digest(path).encode() if path.is_file() else b"missing")
    return h.hexdigest()


def _write(geo: Geographies, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        geo.units.to_parquet(tmp / "units.parquet")
        for name, gdf in geo.layers.items():
            gdf.to_parquet(tmp / f"layer_{name}.parquet")
        for name, gdf in geo.published.items():
            gdf.to_parquet(tmp / f"published_{name}.parquet")
        meta = {"region": geo.region, "year": geo.year, "notes": geo.notes, "key": geo.key,
                "layers": list(geo.layers), "published": list(geo.published)}
        # meta.json last: its presence marks a complete folder.
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        try:
            os.replace(tmp, folder)
        except OSError:
            # Another process wrote the same key first; its copy is as good as ours.
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _read(folder: Path) -> Geographies | None:
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text())
        units = gpd.read_parquet(folder / "units.parquet")
        layers = {n: gpd.read_parquet(folder / f"layer_{n}.parquet") for n in meta["layers"]}
        published = {n: gpd.read_parquet(folder / f"published_{n}.parquet") for n in meta["published"]}
    except Exception:
        # A damaged cache is never trusted: the caller rebuilds it from the sources.
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return Geographies(meta["region"], meta["year"], units, layers, published, meta["notes"], meta["key"])


def load_geographies(
    region: str = "london",
    *,
    year: int = DEFAULT_YEAR,
    config: Settings | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> Geographies:
    """Load a region's units and layers, from the processed cache when it is current.

    Parameters
    ----------
    region : str
        ``"london"`` (default) or ``"england"``.
    year : int
        Population year for the ``population`` columns (default mid-2017).
    config : Settings, optional
        Data and cache directories; default from the environment.
    use_cache : bool
        Read and write the processed cache (default True).
    progress : callable, optional
        ``progress(fraction, message)`` while building.

    Returns
    -------
    Geographies

    Examples
    --------
    >>> from boundaries import load_geographies
    >>> geo = load_geographies()
    >>> len(geo.units), len(geo.layer("borough"))
    (4835, 33)
    """
    reg = get_region(region)
    config = config or default_settings()
    if not use_cache:
        geo = build_geographies(reg, year=year, config=config, progress=progress)
        geo.key = source_key(reg, config)
        return geo
    key = source_key(reg, config)
    folder = config.processed_dir / f"{reg.name}-{key}"
    geo = _read(folder)
    if geo is None:
        geo = build_geographies(reg, year=year, config=config, progress=progress)
        geo.key = key
        _write(geo, folder)
    return geo.with_year(year)


def clear_cache(config: Settings | None = None) -> int:
    """Delete every processed cache folder; return how many were removed."""
    config = config or default_settings()
    n = 0
    if config.processed_dir.is_dir():
        for child in config.processed_dir.iterdir():
            shutil.rmtree(child, ignore_errors=True)
            n += 1
    return n
