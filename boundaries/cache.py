"""Processed cache: the built units and layers as GeoParquet, keyed by source hashes.

Building from the source files takes a couple of seconds (reading, joining,
cleaning the coverage, dissolving); reading the processed cache takes a
fraction of that.  The key is a hash of the region's configuration, the cache
format version and the bytes of every source file the build reads, so the
cache is rebuilt whenever a source changes.  Writes are atomic: a cache
folder is written under a temporary name and renamed into place whole.

What is cached is what was hashed: the sources are hashed again after the
build has read them, and a build whose sources changed in between (a
symlink repointed, a sync tool or a second process replacing files) is never
stored; it is started again from the new files.  Building and writing one key
happens under a file lock (``<cache>/locks/<folder>.lock``), so concurrent processes build
it once.  A cache folder that cannot be used (read-only, a file, a full disk,
a lock held too long) never stops the program: the data is built without it
and a :class:`CacheWarning` says why.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .config import Settings, default_year, settings as default_settings
from .errors import DataError
from .files import atomic_write
from .paths import locate
from .registry import Region, get_dataset, get_region

if TYPE_CHECKING:  # geopandas and the builders are imported where a table is read or built, so keys, stamps
    # and cached_json stay light (the app's first page uses them before any data is loaded)
    from .geographies import Geographies, Progress

__all__ = ["CACHE_FORMAT", "CacheWarning", "code_stamp", "source_key", "load_geographies", "clear_cache", "lock_path",
           "sources_stamp", "cached_json", "is_cached"]

#: Bump when the processed tables change shape.
CACHE_FORMAT = 5  # 3: bundle/profile tables (main); 4: geography field, 2024 units (age bands, utla, nhs_region), NHS regions on England 2018; 5: IMD 2019 carried onto the 2024 units
#: Builds started before giving up on sources that keep changing while they are read.
BUILD_ATTEMPTS = 3
#: Seconds to wait for another process building the same cache key.
LOCK_TIMEOUT = 600.0


class CacheWarning(UserWarning):
    """The processed cache could not be used; the data was built from the sources without it."""


def _warn(what: str, exc: BaseException | str, folder: Path) -> None:
    reason = exc if isinstance(exc, str) else (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)
    warnings.warn(CacheWarning(
        f"the processed cache {what} ({reason}; folder: {folder}); the data was loaded without it, which is "
        f"slower but correct. Fix: point FOOTPRINTS_CACHE at a writable folder with free space"), stacklevel=3)


def lock_path(folder: Path) -> Path:
    """The lock file guarding the build and write of one cache folder (in ``<cache>/locks``)."""
    return folder.parent.parent / "locks" / f"{folder.name}.lock"


def _changed_sources(region: Region, config: Settings) -> list[str]:
    paths = [region.units, *(j.dataset for j in region.joins), *(p.dataset for p in region.published.values()),
             *region.profile.values()]
    return sorted({str(get_dataset(d).path) for d in paths})


def _file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def code_stamp(*roots: Path) -> str:
    """Fingerprint of the Python source under ``roots`` (files or folders): a cached result built by
    other code is never read back (an upgrade or an edit changes the name of every file it keys)."""
    h = hashlib.blake2b(digest_size=16)
    for root in roots:
        files = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in files:
            h.update(str(path.relative_to(root.parent)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def sources_stamp(dataset_ids: Iterable[str], config: Settings | None = None) -> str:
    """Path, size and modification time of each dataset's file: changes when any is replaced, fetched or removed.

    Cheaper than :func:`source_key` (no file is read), for small derived tables
    (the data status, the region list) that a cold start would otherwise rebuild.
    """
    config = config or default_settings()
    parts = []
    for ds_id in dataset_ids:
        try:
            path = locate(get_dataset(ds_id), config)[0]
            info = path.stat()
            parts.append(f"{ds_id}:{path}:{info.st_size}:{info.st_mtime_ns}")
        except OSError:
            parts.append(f"{ds_id}:missing")
    return "|".join(parts)


def cached_json(name: str, dataset_ids: Iterable[str], build: Callable[[], Any], *,
                config: Settings | None = None) -> Any:
    """``build()`` (a JSON value), kept in ``<cache>/derived/`` once per version of the datasets it reads.

    The file name holds a hash of ``name`` and :func:`sources_stamp`, so a replaced
    source gives another file and a stale value is never read.  Written atomically;
    an unreadable or unwritable file only costs the speed-up.
    """
    config = config or default_settings()
    digest = hashlib.blake2b(f"{name};{sources_stamp(dataset_ids, config)}".encode(), digest_size=12).hexdigest()
    path = config.cache_dir / "derived" / f"{name}-{digest}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    value = build()
    try:  # a read-only or full cache folder only costs the speed-up
        atomic_write(path, lambda f: json.dump(value, f), parents=True)
    except (OSError, TypeError, ValueError):
        pass
    return value


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


def is_cached(region: str = "london", config: Settings | None = None) -> bool:
    """Whether :func:`load_geographies` finds ``region``'s processed cache complete (reads it, builds nothing)."""
    reg = get_region(region)
    config = config or default_settings()
    return (config.processed_dir / f"{reg.name}-{source_key(reg, config)}" / "meta.json").is_file()


def _write(geo: Geographies, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        geo.units.to_parquet(tmp / "units.parquet")
        for name, gdf in geo.layers.items():
            gdf.to_parquet(tmp / f"layer_{name}.parquet")
        for name, gdf in geo.published.items():
            gdf.to_parquet(tmp / f"published_{name}.parquet")
        meta = {"region": geo.region, "year": geo.year, "notes": geo.notes, "key": geo.key, "geography": geo.geography, "area": geo.area,
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
    import geopandas as gpd

    from .geographies import Geographies

    try:
        meta = json.loads(meta_path.read_text())
        units = gpd.read_parquet(folder / "units.parquet")
        layers = {n: gpd.read_parquet(folder / f"layer_{n}.parquet") for n in meta["layers"]}
        published = {n: gpd.read_parquet(folder / f"published_{n}.parquet") for n in meta["published"]}
    except Exception:
        # A damaged cache is never trusted: the caller rebuilds it from the sources.
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return Geographies(meta["region"], meta["year"], units, layers, published, meta["notes"], meta["key"],
                       geography=meta.get("geography", "2018"), area=meta.get("area", ""))


def load_geographies(
    region: str = "london",
    *,
    year: int | None = None,
    config: Settings | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    after_hash: Callable[[], None] | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> Geographies:
    """Load a region's units and layers, from the processed cache when it is current.

    Parameters
    ----------
    region : str
        ``"london"`` (default) or ``"england"``.
    year : int, optional
        Population year for the ``population`` columns (default mid-2017 for
        the 2018 geography, Census 2021 for the 2024 one).
    config : Settings, optional
        Data and cache directories; default from the environment.
    use_cache : bool
        Read and write the processed cache (default True).
    progress : callable, optional
        ``progress(fraction, message)`` while building.
    after_hash : callable, optional
        Called with no arguments after the sources were hashed and before
        they are read (each build attempt).  For tests that change the files
        in between, as a sync tool would.
    lock_timeout : float
        Seconds to wait for another process building the same key; then the
        data is built without the cache (with a :class:`CacheWarning`).

    Returns
    -------
    Geographies
        From the processed cache when it was built from the same source files
        (:func:`source_key`); otherwise built by
        :func:`boundaries.geographies.build_geographies` (and cached).

    Raises
    ------
    DataError
        Any problem with the source files (a subclass says which), or the sources kept changing while they were read
        (:data:`BUILD_ATTEMPTS` builds); nothing is cached.

    Examples
    --------
    >>> from boundaries import load_geographies
    >>> geo = load_geographies()
    >>> len(geo.units), len(geo.layer("borough"))
    (4835, 33)
    """
    reg = get_region(region)
    year = default_year(reg.geography) if year is None else year
    config = config or default_settings()
    for _ in range(BUILD_ATTEMPTS):
        key = source_key(reg, config)
        folder = config.processed_dir / f"{reg.name}-{key}"
        if use_cache:
            geo = _read(folder)
            if geo is not None:
                return geo.with_year(year)
        lock = _acquire(folder, lock_timeout) if use_cache else None
        store = lock is not None
        try:
            if lock is not None:  # another process may have written it while we waited
                geo = _read(folder)
                if geo is not None:
                    return geo.with_year(year)
            if after_hash is not None:
                after_hash()
            from .geographies import build_geographies

            geo = build_geographies(reg, year=year, config=config, progress=progress)
            geo.key = key
            if source_key(reg, config) != key:
                continue  # the sources changed while they were read: never store this build
            if store:
                try:
                    _write(geo, folder)
                except OSError as exc:
                    _warn("could not be written", exc, config.processed_dir)
            return geo.with_year(year)
        finally:
            if lock is not None:
                lock.release()
    raise DataError(
        f"the data files changed while they were being read ({BUILD_ATTEMPTS} attempts); the numbers could mix "
        f"old and new files, so nothing was loaded or cached", path=", ".join(_changed_sources(reg, config)),
        fix="wait until the copy, sync or fetch into the data directory has finished, then start again")


def _acquire(folder: Path, timeout: float) -> "FileLock | None":
    """The key's lock, held; ``None`` (with a :class:`CacheWarning`) when the cache folder cannot be used."""
    from filelock import FileLock, Timeout  # only when building (~0.05 s to import: not on a cached start)

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        lock_path(folder).parent.mkdir(exist_ok=True)
        lock = FileLock(str(lock_path(folder)), timeout=timeout)
        lock.acquire()
    except Timeout:
        _warn(f"is locked by another process building it (waited {timeout:g} s for the lock)", "timeout",
              folder.parent)
        return None
    except OSError as exc:
        _warn("cannot be used", exc, folder.parent)
        return None
    return lock


def clear_cache(config: Settings | None = None) -> int:
    """Delete every processed cache folder; return how many were removed."""
    config = config or default_settings()
    n = 0
    if config.processed_dir.is_dir():
        for child in config.processed_dir.iterdir():
            shutil.rmtree(child, ignore_errors=True)
            n += 1
    return n
