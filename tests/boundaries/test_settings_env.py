"""Settings in one place: every environment variable is read by :func:`boundaries.config.settings`.

The scenarios folder (``FOOTPRINTS_SCENARIOS``) and the Chromium of the exports
(``FOOTPRINTS_CHROMIUM``) are :class:`~boundaries.config.Settings` fields, passed
down to :func:`ui.files.scenarios_dir` and :func:`layers.export.browser`; no
module of the app or the engine reads the environment itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import platformdirs
import pytest

from boundaries.config import DEFAULT_CHROMIUM, REPO_ROOT, settings

#: Reading the environment: os.environ / os.getenv / environ.get (imported as a name).
_READS_ENV = re.compile(r"\bos\.environ\b|\bgetenv\s*\(|\bfrom os import [^\n]*\b(environ|getenv)\b")


def test_scenarios_folder_and_chromium_come_from_the_environment(tmp_path):
    s = settings({"FOOTPRINTS_SCENARIOS": f"  {tmp_path / 'saved'} ", "FOOTPRINTS_CHROMIUM": "/opt/chromium/chrome"})
    assert s.scenarios_dir == tmp_path / "saved"
    assert s.chromium == "/opt/chromium/chrome"
    home = settings({"FOOTPRINTS_SCENARIOS": "~/fp-saved"}).scenarios_dir
    assert home == Path.home() / "fp-saved"


def test_defaults_without_the_variables():
    s = settings({})
    assert s.scenarios_dir == platformdirs.user_data_path("footprints", appauthor=False) / "scenarios"
    assert s.chromium == DEFAULT_CHROMIUM == "/usr/bin/chromium"
    assert settings({"FOOTPRINTS_CHROMIUM": "  "}).chromium == DEFAULT_CHROMIUM


def test_the_app_saves_where_the_settings_say(tmp_path, monkeypatch):
    from ui.files import scenarios_dir

    monkeypatch.setenv("FOOTPRINTS_SCENARIOS", str(tmp_path / "from-env"))
    assert scenarios_dir() == tmp_path / "from-env" and (tmp_path / "from-env").is_dir()
    given = settings({"FOOTPRINTS_SCENARIOS": str(tmp_path / "given")})
    assert scenarios_dir(create=False, config=given) == tmp_path / "given"
    assert not (tmp_path / "given").exists()


def test_exports_launch_the_chromium_they_are_given(tmp_path, monkeypatch):
    """A path passed in wins; without one, FOOTPRINTS_CHROMIUM (read by settings()) is used."""
    from layers.export import browser

    given, from_env = tmp_path / "given-chromium", tmp_path / "env-chromium"
    with pytest.raises(Exception, match=re.escape(str(given))):
        with browser(given):
            pass
    monkeypatch.setenv("FOOTPRINTS_CHROMIUM", str(from_env))
    with pytest.raises(Exception, match=re.escape(str(from_env))):
        with browser():
            pass


def test_no_module_outside_the_config_reads_the_environment():
    files = [REPO_ROOT / "app.py"] + [p for d in ("boundaries", "spatial", "layers", "ui")
                                      for p in sorted((REPO_ROOT / d).rglob("*.py"))]
    readers = [str(p.relative_to(REPO_ROOT)) for p in files
               if p != REPO_ROOT / "boundaries" / "config.py" and _READS_ENV.search(p.read_text(encoding="utf-8"))]
    assert len(files) > 50
    assert readers == [], f"read the variable in boundaries/config.py's settings() and pass it down: {readers}"
