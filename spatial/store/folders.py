"""Moving scenarios between the store and folders of scenario JSON files.

Export layout (``python -m spatial scenarios export FOLDER``)::

    FOLDER/footprints-store.json              manifest: scenarios, versions, authors, messages, times
    FOLDER/<safe name>--<id>/v0001.json       each version, a scenario file (docs/SCENARIO_FORMAT.md)

Import (``python -m spatial scenarios import FOLDER``) reads such an export
with its whole history, or any folder of plain scenario files (``*.json``),
each becoming a new scenario at version 1.  Nothing in the folder is changed.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import insert, select

from boundaries.errors import FootprintsError
from boundaries.files import decode_text

from ..errors import NameTakenError
from .models import ImportRow

__all__ = ["export_folder", "import_folder", "import_once", "MANIFEST"]

MANIFEST = "footprints-store.json"
_SAFE = re.compile(r"[^A-Za-z0-9 _.,&()\-]+")
I = ImportRow.__table__


def _stem(name: str) -> str:
    text = _SAFE.sub("-", unicodedata.normalize("NFKC", name)).strip(" .-_")[:60]
    return text or "scenario"


def export_folder(store, folder: Path, *, user: str | None = None) -> int:
    """Write every live scenario this user can see, every version, and the manifest; files written."""
    from boundaries.files import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"format": "footprints-store-export", "version": 1, "scenarios": []}
    written = 0
    for info in store.list(user=user):
        sub = f"{_stem(info.name)}--{info.id}"
        entry = {"id": info.id, "name": info.name, "geography": info.geography, "created": info.created.isoformat(),
                 "owner": info.owner, "private": info.private, "versions": []}
        for v in store.history(info.id, user=user):
            body = _body_of(store, info.id, v.number, user)
            rel = f"{sub}/v{v.number:04d}.json"
            (folder / sub).mkdir(exist_ok=True)
            atomic_write(folder / rel, lambda f, b=body: f.write(b))
            written += 1
            entry["versions"].append({"number": v.number, "file": rel, "author": v.author, "message": v.message,
                                      "saved_at": v.saved_at.isoformat(), "sha256": v.sha256})
        manifest["scenarios"].append(entry)
    atomic_write(folder / MANIFEST, lambda f: f.write(json.dumps(manifest, indent=2, ensure_ascii=False)))
    return written + 1


def _body_of(store, sid: str, number: int, user: str | None) -> str:
    from .models import VersionRow

    V = VersionRow.__table__
    store.info(sid, user=user)  # visibility
    with store._tx(False) as conn:
        return conn.execute(select(V.c.body).where(V.c.scenario_id == sid, V.c.number == number)).scalar_one()


def _free_name(store, name: str) -> str:
    if store.find(name) is None:
        return name
    for i in range(1, 1000):
        candidate = f"{name} (imported)" if i == 1 else f"{name} (imported {i})"
        if store.find(candidate) is None:
            return candidate
    return f"{name} ({datetime.now(timezone.utc):%Y%m%d%H%M%S%f})"


def import_folder(store, folder: Path, *, author: str = "import"):
    """See :meth:`spatial.store.Store.import_folder`."""
    from ..io import load_scenario, loads

    done, problems = [], []
    if not folder.is_dir():
        return done, [f"{folder}: not a folder"]
    manifest = folder / MANIFEST
    if manifest.is_file():
        try:
            data = json.loads(decode_text(manifest.read_bytes(), where=str(manifest), utf16=False))
            items = data["scenarios"]
        except (OSError, ValueError, KeyError, TypeError, FootprintsError) as exc:
            return done, [f"{manifest}: not a store export ({exc})"]
        for item in items:
            try:
                bodies = []
                for v in item["versions"]:
                    path = (folder / v["file"]).resolve()
                    if folder.resolve() not in path.parents:
                        raise ValueError(f"{v['file']!r} points outside the folder")
                    raw = path.read_bytes()
                    body = decode_text(raw, where=str(path), utf16=False)
                    loads(body, where=str(path))  # a valid scenario file
                    if v.get("sha256") and hashlib.sha256(raw).hexdigest() != v["sha256"]:
                        raise ValueError(f"{v['file']}: SHA-256 differs from the manifest")
                    bodies.append((v, body))
                if not bodies:
                    raise ValueError("no versions")
                meta = dict(item, name=_free_name(store, str(item["name"])))
                done.append(store._insert_history(meta, bodies))
            except (OSError, ValueError, KeyError, TypeError, FootprintsError) as exc:
                problems.append(f"{item.get('name', '?') if isinstance(item, dict) else '?'}: not imported ({exc})")
        return done, problems
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            scenario = load_scenario(path)
            name = _free_name(store, scenario.name)
            done.append(store.create(scenario, name=name, author=author,
                                     message=f"imported from {path.name}"))
        except NameTakenError as exc:  # pragma: no cover - a race with another importer
            problems.append(f"{path.name}: not imported ({exc})")
        except FootprintsError as exc:
            problems.append(f"{path.name}: not imported ({exc})")
    return done, problems


def import_once(store, folder: Path):
    """Import ``folder`` unless this store has imported it before; ``None`` when skipped."""
    key = str(Path(folder).expanduser().resolve())
    with store._tx(False) as conn:
        if conn.execute(select(I.c.path).where(I.c.path == key)).first() is not None:
            return None
    if not Path(key).is_dir():
        return None
    result = import_folder(store, Path(key), author="import")
    with store._tx(True) as conn:
        if conn.execute(select(I.c.path).where(I.c.path == key)).first() is None:
            conn.execute(insert(I).values(path=key, imported_at=datetime.now(timezone.utc), files=len(result[0])))
    return result
