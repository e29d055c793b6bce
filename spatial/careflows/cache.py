"""The care-flow model kept in the processed cache: built once per dataset and data version, then read.

Building :class:`spatial.careflows.CareFlows` for London reads three tables
(PHE catchment flows, trust points, England-wide MSOA populations) and
locates every trust in a unit: about 0.4 s, paid on every cold start of a
page that checks footprints.  :func:`cached_care_flows` builds it once and
keeps it in ``<cache>/derived/``; a later process reads it in milliseconds.

The file's name is a hash of everything the model is made from, so a file
is only read for exactly the inputs it was built from:

* the units: the dataset's cache key (``geo.key``: the content of every
  source file of the units and the cache format), region, area, geography
  and the unit codes;
* the data: :func:`boundaries.cache.sources_stamp` of every registry dataset
  (path, size and modification time of each file: a replaced flow, trust or
  population file gives another name);
* the code: the content of the engine's and data layer's source files
  (``spatial/``, ``boundaries/``), so an edited model is never read from a
  file an older version wrote;
* the catchment year.

The file is an ``.npz`` of plain arrays read with ``allow_pickle=False``
(the sparse proportions as data/indices/indptr, the trust table as Parquet
bytes, the words as JSON), so a damaged or hostile file in the cache can
never run code: it fails to parse and the model is built again.  A missing,
unreadable or foreign file is rebuilt; an unwritable folder only costs the
speed-up.  Data warnings
(:class:`boundaries.flows.FlowDataWarning`) are issued when the model is
built; a model read back carries the same text in ``notes``.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from boundaries import Geographies
from boundaries.cache import sources_stamp
from boundaries.config import Settings, settings as default_settings
from boundaries.files import atomic_write_bytes
from boundaries.registry import REGISTRY

__all__ = ["cached_care_flows", "care_flows_path"]

#: The packages whose source goes into the file name (the model is computed by their code).
_CODE = (Path(__file__).resolve().parents[1], Path(__file__).resolve().parents[2] / "boundaries")


def _code_stamp() -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for root in _CODE:
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root.parent)).encode())
            h.update(path.read_bytes())
    return h.digest()


def care_flows_path(geo: Geographies, year: int = 2018, *, config: Settings | None = None) -> Path | None:
    """Where the model of ``geo`` and catchment ``year`` is kept; ``None`` for data with no cache key."""
    if not geo.key:
        return None
    config = config or default_settings()
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{year};{geo.region};{getattr(geo, 'area', '')};{getattr(geo, 'geography', '2018')};{geo.key};"
             f"{len(geo.units)}".encode())
    h.update("\n".join(geo.units["code"].astype(str)).encode())
    h.update(sources_stamp(list(REGISTRY), config).encode())
    h.update(_code_stamp())
    return config.cache_dir / "derived" / f"careflows-{geo.region}-{h.hexdigest()}.npz"


def cached_care_flows(geo: Geographies, year: int = 2018, *, config: Settings | None = None):
    """``CareFlows.load(geo, year)``, read from the processed cache when it was built before.

    Parameters
    ----------
    geo : Geographies
        The units the model is for (as for :meth:`CareFlows.load`).
    year : int
        PHE catchment year.
    config : Settings, optional

    Returns
    -------
    CareFlows
        Equal to a freshly built model (same proportions, trusts, supply side and notes).

    Raises
    ------
    As :meth:`spatial.careflows.CareFlows.load` (nothing is written then).
    """
    from .model import CareFlows

    path = care_flows_path(geo, year, config=config)
    if path is not None:
        try:
            return _from_bytes(path.read_bytes())
        except Exception:  # noqa: BLE001 - missing, damaged or from other code: build it again
            pass
    model = CareFlows.load(geo, year, config=config)
    if path is not None:
        try:  # the per-call memo (activity matrices) is not kept: it depends on the population year
            atomic_write_bytes(path, _to_bytes(model))
        except (OSError, ValueError, TypeError):
            pass
    return model


_META = ("year", "source", "outside_year", "notes", "unmatched_msoas", "area_label")


def _to_bytes(model) -> bytes:
    """The model as an ``.npz`` of plain arrays (no pickled objects)."""
    trusts = io.BytesIO()
    model.trusts.to_parquet(trusts)
    p = model.proportions
    arrays = {"unit_codes": np.asarray(model.unit_codes).astype(str), "data": p.data, "indices": p.indices,
              "indptr": p.indptr, "shape": np.asarray(p.shape, dtype=np.int64),
              "trusts": np.frombuffer(trusts.getvalue(), dtype=np.uint8),
              "meta": np.frombuffer(json.dumps({k: getattr(model, k) for k in _META}).encode(), dtype=np.uint8)}
    if model.outside_activity is not None:
        arrays["outside_activity"] = np.asarray(model.outside_activity)
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def _from_bytes(raw: bytes):
    """The model written by :func:`_to_bytes` (``allow_pickle=False``: object arrays are refused)."""
    from .model import CareFlows

    with np.load(io.BytesIO(raw), allow_pickle=False) as z:
        meta = json.loads(z["meta"].tobytes().decode("utf-8"))
        proportions = sp.csr_array((z["data"], z["indices"], z["indptr"]), shape=tuple(int(n) for n in z["shape"]))
        trusts = pd.read_parquet(io.BytesIO(z["trusts"].tobytes()))
        outside = z["outside_activity"] if "outside_activity" in z.files else None
        return CareFlows(unit_codes=z["unit_codes"], proportions=proportions, trusts=trusts,
                         outside_activity=outside, **meta)
