"""The scenarios folder: where the app saves scenario files, and user-given names made safe as file names.

The folder is :attr:`boundaries.config.Settings.scenarios_dir` (``FOOTPRINTS_SCENARIOS``
when set, else ``<user data dir>/footprints/scenarios``).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from boundaries.config import Settings, settings
from spatial.errors import ScenarioError

__all__ = ["SCENARIOS_ENV", "scenarios_dir", "safe_scenario_name", "scenario_path", "saved_scenarios"]

#: Environment variable naming the folder where the app saves scenarios (read by :func:`boundaries.settings`).
SCENARIOS_ENV = "FOOTPRINTS_SCENARIOS"

_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_UNSAFE = re.compile(r"[^A-Za-z0-9 _.,&()\-]+")


def scenarios_dir(create: bool = True, *, config: Settings | None = None) -> Path:
    """Folder where the app saves scenarios: :attr:`Settings.scenarios_dir <boundaries.config.Settings>`.

    That is ``$FOOTPRINTS_SCENARIOS`` when set, else ``<user data dir>/footprints/scenarios``
    (:func:`platformdirs.user_data_path`).

    Parameters
    ----------
    create : bool
        Make the folder when it does not exist.
    config : Settings, optional
        The run's settings (default: :func:`boundaries.settings`, read now).
    """
    folder = (config or settings()).scenarios_dir
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def safe_scenario_name(name: str) -> str:
    """A file stem made from a user-given scenario name, safe to join to the scenarios folder.

    Path separators, ``..``, drive letters, control and other special
    characters are replaced; leading dots and dashes are dropped; Windows
    reserved device names (``CON``, ``NUL.txt``, ``COM1``...) get an
    underscore after the name; the result has at most 80 characters.

    Raises
    ------
    ScenarioError
        When nothing usable is left (e.g. ``"../.."``).
    """
    text = unicodedata.normalize("NFKC", str(name))
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = _UNSAFE.sub("-", text.replace("\\", "-").replace("/", "-"))
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"-{2,}", "-", text).strip(" .-_")
    text = text[:80].rstrip(" .-_")
    if not text:
        raise ScenarioError(f"{name!r} cannot be used as a file name", where="save as",
                            fix="give a name with letters or digits, e.g. 'SWL with Merton'")
    base, dot, rest = text.partition(".")
    if base.strip().casefold() in _RESERVED:  # Windows reserves "NUL" and "NUL.txt" alike
        text = f"{base}_{dot}{rest}"
    return text


def scenario_path(folder: Path, name: str) -> Path:
    """``folder/<safe name>.json``, guaranteed to lie directly inside ``folder``."""
    folder = Path(folder).resolve()
    path = (folder / f"{safe_scenario_name(name)}.json").resolve()
    if path.parent != folder:  # pragma: no cover - safe_scenario_name already prevents this
        raise ScenarioError(f"{name!r} points outside the scenarios folder", where="save as",
                            fix="use a plain name without folders")
    return path


def saved_scenarios(folder: Path) -> list[Path]:
    """Scenario files in the folder, newest first."""
    files = [p for p in Path(folder).glob("*.json") if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (-p.stat().st_mtime, p.name))
