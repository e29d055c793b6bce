"""The embedded London 2018 bundle: what a fresh clone runs on, with no mirror and no network.

The repository's ``data/`` folder holds every dataset the London app, the
command lines and the tests read (the London region's units, published
boundaries, lookups, ward names and catchment flows, plus trust points and the
England LSOA population the care-flow supply side needs), one zstd-compressed
(Geo)Parquet file per registry dataset, about 5 MB in all.  Each file is the
table exactly as :func:`boundaries.readers.read_dataset` reads it from the
mirror's file, before validation and repair, so reading the bundle gives the
same numbers as reading the mirror.

``data/manifest.json`` gives each file's SHA-256, record count and the
mirror file (path and SHA-256) it was built from; :func:`read_bundled`
checks the hash before reading, so a damaged file is reported, never used.
``data/SOURCES.md`` names the publishers, the licence and the attribution.

Build it with ``python -m boundaries bundle`` (``make bundle``) from the
original files: the same sources and library versions give the same bytes
(``python -m boundaries bundle --check`` rebuilds into a temporary folder and
compares with the committed manifest).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .config import BUNDLE_DIR
from .errors import CorruptFileError, MissingDataError
from .paths import dataset_path
from .pins import pin_for, sha256_file
from .registry import OGL, Dataset, get_dataset, get_region

if TYPE_CHECKING:  # the readers (pandas, geopandas) are imported where a table is read or written, so finding
    # a bundled file (boundaries.paths.locate, on the app's first page) stays light
    import pandas as pd

    from .readers import Loaded

__all__ = [
    "BUNDLE_FORMAT", "BUNDLED", "MANIFEST", "BUNDLE_FIX", "build_bundle", "check_bundle",
    "read_manifest", "bundled_file", "read_bundled",
]

#: Bump when the bundle's file layout changes.
BUNDLE_FORMAT = 1
MANIFEST = "manifest.json"
#: Registry datasets in the bundle: the London region's, and the tables London's care flows and
#: profiles read beside them.
BUNDLED: tuple[str, ...] = tuple(dict.fromkeys([
    *get_region("london").datasets(),
    "trust_points", "lsoa_pop_mid2017", "lsoa_msoa_lookup", "london_lsoa_pop_syoa_2017",
    "ccg_stp_lookup", "ccg_pop_mid2018",
]))
BUNDLE_FIX = (
    "rebuild the bundle with `python -m boundaries bundle` (`make bundle`) from the original files, "
    "or restore the committed copy (`git checkout -- data/`, or clone the repository again)"
)
#: zstd level: 19 of 22 (the bundle is written once and read often).
_ZSTD_LEVEL = 19


def _file_name(ds_id: str) -> str:
    return f"{ds_id}.parquet"


def read_manifest(bundle_dir: Path | str = BUNDLE_DIR) -> dict | None:
    """The bundle's manifest, or None when the folder has none."""
    path = Path(bundle_dir) / MANIFEST
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return None
    return _manifest(path, stamp)


@functools.lru_cache(maxsize=8)
def _manifest(path: Path, stamp: int) -> dict:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        if meta.get("format") != BUNDLE_FORMAT or not isinstance(meta.get("files"), dict):
            raise ValueError(f"format {meta.get('format')!r}, expected {BUNDLE_FORMAT}")
    except (OSError, ValueError) as exc:
        raise CorruptFileError(f"the bundle manifest is damaged ({exc})", dataset="bundle", path=path,
                               fix=BUNDLE_FIX) from exc
    return meta


def bundled_file(ds_id: str, bundle_dir: Path | str = BUNDLE_DIR) -> Path | None:
    """The bundle file of ``ds_id``, or None when the bundle does not hold it."""
    meta = read_manifest(bundle_dir)
    if meta is None or ds_id not in meta["files"]:
        return None
    return Path(bundle_dir) / meta["files"][ds_id]["file"]


def read_bundled(ds: Dataset, bundle_dir: Path | str = BUNDLE_DIR) -> Loaded:
    """Read ``ds`` from the bundle, after checking the file's SHA-256 against the manifest.

    Raises
    ------
    MissingDataError
        The bundle does not hold ``ds`` or its file is gone.
    CorruptFileError
        The file's hash differs from the manifest's, or it cannot be read.
    CRSError, GeometryError, CodeError, RecordCountError
        As for the mirror's file.
    """
    import geopandas as gpd
    import pandas as pd

    from .readers import check_vector, validated

    meta = read_manifest(bundle_dir)
    if meta is None or ds.id not in meta["files"]:
        raise MissingDataError("the bundle does not hold this dataset", dataset=ds.id,
                               path=Path(bundle_dir) / _file_name(ds.id), fix=BUNDLE_FIX)
    entry = meta["files"][ds.id]
    path = Path(bundle_dir) / entry["file"]
    if not path.is_file():
        raise MissingDataError("bundle file not found", dataset=ds.id, path=path, fix=BUNDLE_FIX)
    digest = sha256_file(path)
    if digest != entry["sha256"]:
        raise CorruptFileError(
            f"bundle file {path.name} is damaged: its SHA-256 is {digest}, data/{MANIFEST} says {entry['sha256']}",
            dataset=ds.id, path=path, fix=BUNDLE_FIX,
        )
    try:
        frame = gpd.read_parquet(path) if ds.kind == "vector" else pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise CorruptFileError(f"cannot read the bundle file: {exc}", dataset=ds.id, path=path,
                               fix=BUNDLE_FIX) from exc
    notes = list(entry.get("notes", []))
    if ds.kind == "vector":
        frame = check_vector(ds, path, frame, notes)
    return validated(ds, path, frame, notes, source="bundle")


def _raw_frame(ds: Dataset, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The table as :func:`read_dataset` reads it, before validation and repair, and the reading notes."""
    from .readers import _read_csv, _read_table, read_vector_raw

    notes: list[str] = []
    if ds.kind == "vector":
        return read_vector_raw(ds, path), notes
    if ds.kind == "csv":
        return _read_csv(ds, path, notes), notes
    return _read_table(ds, path), notes


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    import geopandas as gpd

    options = dict(compression="zstd", compression_level=_ZSTD_LEVEL, index=False)
    if isinstance(frame, gpd.GeoDataFrame):
        frame.to_parquet(path, schema_version="1.0.0", **options)
    else:
        frame.to_parquet(path, **options)


def _sources_md(meta: dict) -> str:
    lines = [
        "# Embedded London 2018 bundle",
        "",
        "Built by `python -m boundaries bundle` (`make bundle`) from the original files of the project's "
        "data mirror; do not edit by hand. Each file is one registry dataset (see `boundaries/registry.py`), "
        "the table exactly as read from the mirror's file, stored as zstd-compressed (Geo)Parquet. "
        "`manifest.json` gives the same hashes in machine form; the loader checks each file's SHA-256 "
        "before reading it.",
        "",
        f"Licence: all data {OGL} (https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/).",
        "Attribution, as on the maps:",
        "",
        "> Source: Office for National Statistics, GLA, PHE/OHID, NHS Digital; Open Government Licence v3.0. "
        "Contains OS data © Crown copyright and database right 2011–2022.",
        "",
        "| file | dataset | publisher | year | records | SHA-256 | built from (mirror path, SHA-256) |",
        "|---|---|---|---|---|---|---|",
    ]
    for ds_id, e in meta["files"].items():
        ds = get_dataset(ds_id)
        lines.append(f"| `{e['file']}` | {ds.description} | {ds.publisher} | {ds.year} | {e['records']:,} | "
                     f"`{e['sha256']}` | `{e['source_path']}` `{e['source_sha256']}` |")
    lines += ["", "Attribution per dataset:", ""]
    for text in dict.fromkeys(get_dataset(i).attribution for i in meta["files"]):
        lines.append(f"- {text}")
    return "\n".join(lines) + "\n"


def build_bundle(source_dir: Path | str, out_dir: Path | str = BUNDLE_DIR, *, ids=BUNDLED) -> dict:
    """Build the bundle in ``out_dir`` from the data directory ``source_dir``.

    Every source file must be valid (:func:`read_dataset`) and, where
    ``boundaries/pins.tsv`` has its row, have the pinned SHA-256, so the bundle
    is built from the published files and nothing else.  The files are
    written into a temporary folder and moved into ``out_dir`` one by one,
    the manifest last; files of datasets no longer bundled are removed.

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    DataError
        A source file missing, invalid or not the pinned one.
    """
    from .readers import read_dataset

    source_dir, out_dir = Path(source_dir), Path(out_dir)
    files: dict[str, dict] = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".bundle-", dir=out_dir))
    try:
        for ds_id in ids:
            ds = get_dataset(ds_id)
            src = dataset_path(ds, source_dir)
            read_dataset(ds, source_dir)  # the source itself must be valid
            digest = sha256_file(src)
            pin = pin_for(ds.path)
            if pin is not None and pin.sha256 != digest:
                raise CorruptFileError(
                    f"source file is not the pinned one: SHA-256 {digest}, pins.tsv says {pin.sha256}",
                    dataset=ds.id, path=src,
                    fix="build the bundle from the project's data mirror (../shared/data or FOOTPRINTS_DATA)",
                )
            frame, notes = _raw_frame(ds, src)
            name = _file_name(ds_id)
            _write_parquet(frame, tmp / name)
            files[ds_id] = {"file": name, "sha256": sha256_file(tmp / name), "bytes": (tmp / name).stat().st_size,
                            "records": len(frame), "kind": ds.kind, "source_path": ds.path,
                            "source_sha256": digest, "notes": notes}
        meta = {"format": BUNDLE_FORMAT, "files": files}
        (tmp / MANIFEST).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        (tmp / "SOURCES.md").write_text(_sources_md(meta), encoding="utf-8")
        for old in out_dir.glob("*.parquet"):
            if old.name not in {e["file"] for e in files.values()}:
                old.unlink()
        for name in [*(e["file"] for e in files.values()), "SOURCES.md", MANIFEST]:
            os.replace(tmp / name, out_dir / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return meta


def check_bundle(source_dir: Path | str, bundle_dir: Path | str = BUNDLE_DIR) -> list[str]:
    """Rebuild the bundle in a temporary folder and list every difference from ``bundle_dir``.

    Returns
    -------
    list of str
        Empty when every file has the same bytes (SHA-256) as the committed
        one and the committed files match their manifest.
    """
    problems = []
    committed = read_manifest(bundle_dir)
    if committed is None:
        return [f"no bundle manifest in {bundle_dir}"]
    with tempfile.TemporaryDirectory(prefix="footprints-bundle-") as tmp:
        fresh = build_bundle(source_dir, tmp)
        for ds_id in sorted(set(fresh["files"]) | set(committed["files"])):
            a, b = committed["files"].get(ds_id), fresh["files"].get(ds_id)
            if a is None or b is None:
                problems.append(f"{ds_id}: {'not in the committed bundle' if a is None else 'no longer built'}")
            elif a["sha256"] != b["sha256"]:
                problems.append(f"{ds_id}: rebuilt SHA-256 {b['sha256']} differs from the committed {a['sha256']}")
            elif sha256_file(Path(bundle_dir) / a["file"]) != a["sha256"]:
                problems.append(f"{ds_id}: committed file {a['file']} does not match its manifest")
        if (Path(tmp) / "SOURCES.md").read_bytes() != (Path(bundle_dir) / "SOURCES.md").read_bytes():
            problems.append("SOURCES.md differs from the rebuilt one")
    return problems

