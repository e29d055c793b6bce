"""What data is there, where it came from, and whether it is usable."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .config import Settings, settings as default_settings
from .errors import DataError
from .geographies import LEVEL_LAYERS
from .readers import load_dataset, locate
from .registry import REGISTRY, Dataset

__all__ = ["DatasetStatus", "dataset_status", "all_status", "sources_stamp", "cached_status", "layer_status"]

#: Bumped when what :func:`dataset_status` reports changes (older status files are then ignored).
STATUS_CACHE_VERSION = 1


@dataclass
class DatasetStatus:
    """Status of one dataset (or one built layer) for ``python -m boundaries status``."""

    id: str
    kind: str
    records: int | None
    ok: bool
    path: str = ""
    source: str = ""
    crs: str = ""
    year: int | None = None
    licence: str = ""
    publisher: str = ""
    problem: str = ""
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """Plain dict for JSON."""
        d = asdict(self)
        d["notes"] = list(self.notes)
        return d


def dataset_status(ds: Dataset, config: Settings | None = None) -> DatasetStatus:
    """Read one dataset and report whether it is usable."""
    config = config or default_settings()
    path, source = locate(ds, config)
    base = dict(id=ds.id, kind="dataset", path=str(path), source=source,
                year=ds.year, licence=ds.licence, publisher=ds.publisher)
    try:
        loaded = load_dataset(ds, config)
    except DataError as exc:
        return DatasetStatus(records=None, ok=False, problem=str(exc), **base)
    crs = ""
    if hasattr(loaded.frame, "crs") and loaded.frame.crs is not None:
        crs = f"EPSG:{ds.crs}" if ds.crs else str(loaded.frame.crs)
    return DatasetStatus(records=len(loaded.frame), ok=True, crs=crs, notes=tuple(loaded.notes), **base)


def all_status(config: Settings | None = None) -> list[DatasetStatus]:
    """Status of every registry dataset."""
    config = config or default_settings()
    return [dataset_status(ds, config) for ds in REGISTRY.values()]


def sources_stamp(config: Settings | None = None) -> str:
    """Path, size and modification time of every registry file (see :func:`boundaries.cache.sources_stamp`)."""
    from .cache import sources_stamp as stamp

    return stamp(REGISTRY, config)


def cached_status(config: Settings | None = None) -> list[DatasetStatus]:
    """:func:`all_status`, kept in the cache folder once per version of the sources.

    Reading every dataset takes about a second; the app's first page shows the
    status, so a cold start reads it from ``<cache>/derived/`` instead (keyed by
    every registry file's path, size and modification time: see
    :func:`boundaries.cache.cached_json`).
    """
    from .cache import cached_json

    config = config or default_settings()
    rows = cached_json(f"status-v{STATUS_CACHE_VERSION}", REGISTRY,
                       lambda: [s.to_dict() for s in all_status(config)], config=config)
    try:
        return [DatasetStatus(**{**row, "notes": tuple(row["notes"])}) for row in rows]
    except (TypeError, KeyError):  # a file of another layout: read the data
        return all_status(config)


def layer_status(region: str = "london", config: Settings | None = None) -> list[DatasetStatus]:
    """Status of the layers built for ``region`` (units and the dissolved layers)."""
    from .cache import load_geographies

    config = config or default_settings()
    try:
        geo = load_geographies(region, config=config)
    except DataError as exc:
        return [DatasetStatus(id=name, kind="layer", records=None, ok=False, problem=str(exc))
                for name in ("units", *LEVEL_LAYERS)]
    out = [DatasetStatus(id="units", kind="layer", records=len(geo.units), ok=True, crs="EPSG:27700",
                         year=geo.year, source=f"processed cache {geo.key}", notes=tuple(geo.notes))]
    for name, gdf in geo.layers.items():
        pub = geo.published.get(name)
        note = (f"published boundary: {len(pub)} features",) if pub is not None else ()
        out.append(DatasetStatus(id=name, kind="layer", records=len(gdf), ok=True, crs="EPSG:27700",
                                 year=geo.year, source="dissolved from units", notes=note))
    return out
