"""The ``units x B`` area tables kept on disk, in the processed cache folder of the dataset.

One table per (units, B), beside the unit adjacency, keyed by a fingerprint of
the units and of every vertex of B, so a stale table is never read.  The folder
comes from the :class:`~boundaries.Settings` the caller passes down (as
:func:`spatial.index.cached_adjacency` does); only the public
:func:`precompute_unit_areas` falls back to the default settings.  An
unreadable file is recomputed and an unwritable folder only costs the speed-up.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import shapely

from boundaries import Settings, settings as default_settings
from boundaries.errors import FootprintsError
from boundaries.files import atomic_write

from ..errors import OverlapError
from ..index import UnitIndex
from .layers import _index_of
from .shapes import _Areas, _check_unit_built, _check_valid, _prepare_frame
from .unitareas import UnitAreas, _compute_unit_areas

__all__ = ["PRECOMPUTED_MARKER", "precompute_unit_areas"]

#: Version of the cached ``units x B`` area tables (bump when their computation changes).
_UNIT_AREAS_VERSION = 2


def _unit_areas_key(b: _Areas, index: UnitIndex) -> str:
    """Fingerprint of the units and of B: the dataset key, the units' areas, B's codes, vertices and ring areas.

    Any change of a vertex of B, of its codes or of the units (which changes their
    areas) gives another key, so a stale table is never read.
    """
    h = hashlib.blake2b(digest_size=12)
    h.update(f"unit-areas-v{_UNIT_AREAS_VERSION};{index.geo.key};{index.n};{len(b.geoms)}".encode())
    h.update(np.ascontiguousarray(index.area).tobytes())
    h.update("\x1f".join(b.codes[b.row_area]).encode())
    h.update(np.ascontiguousarray(shapely.get_coordinates(b.geoms)).tobytes())
    h.update(shapely.get_num_coordinates(b.geoms).astype(np.int64).tobytes())
    h.update(shapely.get_num_geometries(b.geoms).astype(np.int64).tobytes())
    h.update(np.ascontiguousarray(shapely.area(b.geoms)).tobytes())
    return h.hexdigest()


def _dataset_folder(index: UnitIndex, config: Settings) -> Path | None:
    """The processed cache folder of the index's dataset under ``config``, or None when it has none."""
    if not index.geo.key:
        return None
    folder = config.processed_dir / f"{index.geo.region}-{index.geo.key}"
    return folder if folder.is_dir() else None


def _unit_areas_path(index: UnitIndex, key: str, config: Settings) -> Path | None:
    """Where the table of key ``key`` lives (beside the unit adjacency), or None without a cache folder."""
    folder = _dataset_folder(index, config)
    return None if folder is None else folder / f"unit_areas_{key}.bin"


def _read_unit_areas(path: Path, b: _Areas, index: UnitIndex, key: str) -> UnitAreas | None:
    """The cached table, or None when the file is unreadable, truncated or of another shape.

    Layout (little-endian): int64 ``[version, n_units, n_B, nnz, n_inside, n_cut]``,
    then ``indptr`` (int64, n_units + 1), ``indices`` (int64, nnz), ``data`` (float64, nnz).
    A raw layout rather than ``.npz``: reading it is one ``np.fromfile`` (``np.load`` of
    an npz spends milliseconds parsing headers).
    """
    try:
        raw = np.fromfile(path, dtype="<i8")
    except (OSError, ValueError):
        return None
    n, nb = index.n, len(b)
    if len(raw) < 6 or list(raw[:3]) != [_UNIT_AREAS_VERSION, n, nb]:
        return None
    nnz, n_inside, n_cut = (int(x) for x in raw[3:6])
    if len(raw) != 6 + n + 1 + 2 * nnz:
        return None
    indptr, indices = raw[6:7 + n], raw[7 + n:7 + n + nnz]
    data = raw[7 + n + nnz:].view("<f8")
    if indptr[0] != 0 or indptr[-1] != nnz or (nnz and (indices.min() < 0 or indices.max() >= nb)):
        return None
    matrix = sp.csr_array((data, indices, indptr), shape=(n, nb))
    return UnitAreas(matrix, b.codes, b.names, b.area(), n_inside, n_cut, key, from_cache=True)


def _write_unit_areas(path: Path, table: UnitAreas) -> None:
    """Write the table atomically (temporary file, then ``os.replace``); a failed write leaves no file."""
    m = table.matrix
    head = np.array([_UNIT_AREAS_VERSION, m.shape[0], m.shape[1], m.nnz, table.n_inside, table.n_cut], "<i8")

    def write(f) -> None:
        for part in (head, m.indptr.astype("<i8"), m.indices.astype("<i8"), m.data.astype("<f8")):
            f.write(part.tobytes())

    try:  # a read-only or full cache folder only costs the speed-up
        atomic_write(path, write, binary=True)
    except (OSError, FootprintsError):
        pass


def _unit_areas(b: _Areas, index: UnitIndex, config: Settings, *, cache: bool = True,
                side: str | None = None) -> UnitAreas:
    """The ``units x B`` table, from the cache when there; ``side`` names B when its validity is still unchecked.

    ``config`` is the caller's settings (their ``processed_dir`` holds the cache); nothing
    here reads the default settings.  A table is only written for shapes that were
    checked valid, and its key covers every vertex of B, so a cache hit stands for that
    check too.
    """
    key = _unit_areas_key(b, index)
    path = _unit_areas_path(index, key, config) if cache else None
    if path is not None and path.is_file():
        found = _read_unit_areas(path, b, index, key)
        if found is not None:
            return found
    if side is not None:
        _check_valid(b.codes[b.row_area], b.geoms, side)
    table = _compute_unit_areas(b, index, key)
    if path is not None:
        _write_unit_areas(path, table)
    return table


PRECOMPUTED_MARKER = f"unit_areas_published_v{_UNIT_AREAS_VERSION}.done"
"""File in a dataset's processed cache folder saying :func:`precompute_unit_areas` has run for it."""


def precompute_unit_areas(index, config: Settings | None = None) -> list[str]:
    """Compute, once per dataset, the ``units x B`` table of each published layer that is not unit-built.

    The published boundaries are part of the dataset (the cache key covers them), so
    their tables are as much a per-dataset product as the unit adjacency: computing
    them when the dataset's processed cache is first used lets the first
    :func:`~spatial.overlaps.area_overlap` of a published layer (e.g. CCG x GLA borough) read its
    table instead of intersecting ~2,600 unit-borough pairs in the call.  Layers
    whose published shapes are unions of whole units (CCGs, STPs, MSOAs in London)
    need no table.  A marker file (:data:`PRECOMPUTED_MARKER`) makes later calls one
    ``stat``; an unwritable cache folder only costs the speed-up.

    Parameters
    ----------
    index : UnitIndex or Engine
    config : Settings, optional
        The settings the dataset was loaded with (its ``processed_dir`` holds the
        tables); default :func:`boundaries.settings`.  ``Engine.load`` passes its own.

    Returns
    -------
    list of str
        The published layers whose tables were computed in this call (empty when
        the marker was there or the dataset has no processed cache folder).
    """
    index = _index_of(index)
    config = config or default_settings()
    folder = _dataset_folder(index, config)
    if folder is None or (folder / PRECOMPUTED_MARKER).is_file():
        return []
    done = []
    for name, frame in index.geo.published.items():
        try:
            b = _Areas.of(*_prepare_frame(frame, name, validate=False))
        except OverlapError:
            continue
        if _check_unit_built(b, index).ok or not bool(shapely.is_valid(b.geoms).all()):
            continue
        _unit_areas(b, index, config, cache=True)
        done.append(name)
    try:
        (folder / PRECOMPUTED_MARKER).touch()
    except OSError:
        pass
    return done
