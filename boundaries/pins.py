"""Pinned download addresses and hashes, keyed by the data directory's file path.

``pins.tsv`` beside this module is a copy of the data mirror's ``CHECKSUMS.tsv``
(columns ``path_here, sha256_here, source_url, source_sha256, converted``):
every file's SHA-256 and the address of the public repository file it came
from, pinned to a commit (``https://raw.githubusercontent.com/OWNER/REPO/COMMIT/PATH``).
A registry dataset whose ``path`` has a row here gets that address and those
hashes without any further code: adding a pin for a new dataset is adding (or
refreshing) its row.  Rows with ``converted = yes`` come from an R data file
or a spreadsheet that :mod:`boundaries.convert` turns into the mirror's file.
"""

from __future__ import annotations

import csv
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

__all__ = ["Pin", "PINS_FILE", "RAW_BASE", "pins", "pin_for", "pinned_url", "sha256_file"]

PINS_FILE = Path(__file__).with_name("pins.tsv")
#: Prefix of every pinned address (replaced by ``FOOTPRINTS_PINNED_URL`` for a stand-in server).
RAW_BASE = "https://raw.githubusercontent.com/"


@dataclass(frozen=True)
class Pin:
    """One row of ``pins.tsv``.

    Attributes
    ----------
    path : str
        File path in the data directory (the mirror's layout).
    sha256 : str
        SHA-256 of the mirror's file.
    url : str or None
        Pinned public address of the source file (None for files built from
        several sources, which only the bundle or a mirror provide).
    source_sha256 : str or None
        SHA-256 of the file at ``url``.
    converted : bool
        True when the source is another format (``.rda``, ``.xlsx``) converted
        into the mirror's file; False for a byte-for-byte copy.
    """

    path: str
    sha256: str
    url: str | None
    source_sha256: str | None
    converted: bool

    @property
    def source_suffix(self) -> str:
        """``".rda"``, ``".xlsx"``, ``".csv"``... of the pinned source file."""
        return Path(self.url or self.path).suffix.lower()


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> Mapping[str, Pin]:
    out: dict[str, Pin] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            out[row["path_here"]] = Pin(
                path=row["path_here"], sha256=row["sha256_here"], url=row["source_url"] or None,
                source_sha256=row["source_sha256"] or None, converted=row["converted"].strip() == "yes",
            )
    return MappingProxyType(out)


def pins(path: Path | str = PINS_FILE) -> Mapping[str, Pin]:
    """Every pin, by data-directory path (read once)."""
    return _load(Path(path))


def pin_for(path: str) -> Pin | None:
    """The pin of the data-directory file ``path``, or None."""
    return pins().get(path)


def pinned_url(pin: Pin, base: str | None = None) -> str | None:
    """The address to download ``pin`` from: its pinned address, or the same path under ``base``."""
    if pin.url is None:
        return None
    if base:
        rest = pin.url[len(RAW_BASE):] if pin.url.startswith(RAW_BASE) else pin.url.split("://", 1)[-1]
        return base.rstrip("/") + "/" + rest
    return pin.url
