"""Preloaded scenarios: the named partnerships of the two 2018 London papers.

Each scenario is a scenario file (``docs/SCENARIO_FORMAT.md``) in
``spatial/scenarios/<id>.json``; its ``source`` field cites the paper and
slide, its ``description`` says what it holds.  Users start from these and
save their own copies.

>>> from spatial.preloaded import list_preloaded, load_preloaded
>>> [sid for sid, _, _ in list_preloaded()][:2]
['borough-systems', 'devolution-pilots']
>>> load_preloaded("kingston-richmond").names()
['South West London', 'Kingston and Richmond']
"""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path

from .errors import ScenarioError, UnknownPreloadedError  # UnknownPreloadedError: re-exported, moved to spatial.errors
from .footprints import Scenario
from .io import loads

__all__ = ["UnknownPreloadedError", "list_preloaded", "load_preloaded", "preloaded_path", "PRELOADED_DIR",
           "preloaded_for"]

#: Folder of the preloaded scenario files.
PRELOADED_DIR = Path(str(resources.files(__package__) / "scenarios"))


def _ids() -> list[str]:
    return sorted(p.stem for p in PRELOADED_DIR.glob("*.json"))


def preloaded_path(scenario_id: str) -> Path:
    """Path of a preloaded scenario file by id."""
    return PRELOADED_DIR / f"{scenario_id}.json"


def _load(scenario_id: str) -> Scenario:
    path = preloaded_path(scenario_id)
    return loads(path.read_bytes(), where=f"preloaded/{path.name}")


def list_preloaded() -> list[tuple[str, str, str]]:
    """``(id, name, description)`` of every preloaded scenario, sorted by id."""
    out = []
    for sid in _ids():
        s = _load(sid)
        out.append((sid, s.name, s.description))
    return out


def preloaded_for(geography: str = "2018") -> list[tuple[str, str, str]]:
    """``(id, name, description)`` of the preloaded scenarios of one geography (2018: the papers' files;
    2024: those built from the April 2024 lookup, :mod:`spatial.preloaded_2024`)."""
    if str(geography) == "2024":
        from .preloaded_2024 import list_preloaded_2024

        return list_preloaded_2024()
    return list_preloaded()


def load_preloaded(id_or_name: str, geo=None) -> Scenario:
    """A preloaded scenario by id (``"kingston-richmond"``) or name (case-insensitive).

    Parameters
    ----------
    id_or_name : str
    geo : Geographies, optional
        The loaded geography; needed for the 2024 scenarios built from the
        lookups (:mod:`spatial.preloaded_2024`), which are built for its units.

    Raises
    ------
    UnknownPreloadedError
        When nothing matches; the message suggests the closest ids.
    """
    key = str(id_or_name).strip()
    from .preloaded_2024 import PRELOADED_2024, load_preloaded_2024

    if key.casefold() in PRELOADED_2024 or key.casefold() in {v[0].casefold() for v in PRELOADED_2024.values()}:
        if geo is None or getattr(geo, "geography", "2018") != "2024":
            raise ScenarioError(f"preloaded scenario {key!r} is of the 2024 geography", where="preloaded scenarios",
                                fix="load the 2024 geography (--geography 2024, and --region as wanted)")
        return load_preloaded_2024(key, geo)
    ids = _ids()
    folded = key.casefold()
    for sid in ids:
        if sid.casefold() == folded or sid.casefold() == folded.replace(" ", "-").replace("_", "-"):
            return _load(sid)
    names = {}
    for sid in ids:
        s = _load(sid)
        if s.name.casefold() == folded:
            return s
        names[s.name.casefold()] = sid
    near = difflib.get_close_matches(folded, ids, n=3, cutoff=0.5)
    near += [names[n] for n in difflib.get_close_matches(folded, list(names), n=2, cutoff=0.6)
             if names[n] not in near]
    raise UnknownPreloadedError(key, near, ids)
