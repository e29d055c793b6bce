"""boundaries.files: the one atomic write and the one text decoder."""

from __future__ import annotations

import os

import pytest

from boundaries.errors import FootprintsError
from boundaries.files import (TextEncodingError, WriteError, atomic_path, atomic_write, atomic_write_bytes,
                              decode_text)
from spatial.errors import ScenarioError


def _hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old", encoding="utf-8")
    assert atomic_write(path, lambda f: f.write("new\n")) == path
    assert path.read_text(encoding="utf-8") == "new\n"
    assert _hidden(tmp_path) == []


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old", encoding="utf-8")

    def half(f):
        f.write("half a fi")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        atomic_write(path, half)
    assert path.read_text(encoding="utf-8") == "old"
    assert _hidden(tmp_path) == []


def test_missing_folder_is_a_typed_error_naming_the_fix(tmp_path):
    with pytest.raises(WriteError, match="does not exist.*create the folder") as info:
        atomic_write(tmp_path / "nope" / "a.txt", lambda f: f.write("x"))
    assert isinstance(info.value, FootprintsError) and str(tmp_path / "nope") in str(info.value)
    with pytest.raises(ScenarioError, match="does not exist"):  # callers choose their own class
        atomic_write(tmp_path / "nope" / "a.txt", lambda f: f.write("x"), error=ScenarioError)
    assert not (tmp_path / "nope").exists()


def test_parents_binary_and_mode(tmp_path):
    path = atomic_write_bytes(tmp_path / "x" / "y" / "b.bin", b"\x00\x01", mode=0o644)
    assert path.read_bytes() == b"\x00\x01"
    assert (os.stat(path).st_mode & 0o777) == 0o644


def test_atomic_path_custom_replace_and_prefix(tmp_path):
    dest, moved = tmp_path / "d.json", []
    with atomic_path(dest, prefix=".part-", suffix=".json", replace=lambda tmp: moved.append(tmp.name)) as tmp:
        assert tmp.name.startswith(".part-") and tmp.name.endswith(".json") and tmp.parent == tmp_path
        tmp.write_text("{}", encoding="utf-8")
    assert moved and not dest.exists() and _hidden(tmp_path) == []  # replace chose not to move it


@pytest.mark.parametrize("data, text", [
    ("naïve,£\n".encode("utf-8"), "naïve,£\n"),
    (b"\xef\xbb\xbfcode\n", "code\n"),
    ("code\tfootprint\n".encode("utf-16"), "code\tfootprint\n"),
])
def test_decode_text_reads_utf8_bom_and_utf16(data, text):
    assert decode_text(data) == text


def test_decode_text_names_line_and_column():
    with pytest.raises(TextEncodingError) as info:
        decode_text(b"a,b\nok,\xff\n", where="plan.csv", fix="save as CSV UTF-8")
    e = info.value
    assert (e.line, e.column, e.byte, e.position) == (2, 4, 0xFF, 7)
    assert str(e) == "plan.csv, line 2, column 4: not UTF-8 text (byte 0xff). Fix: save as CSV UTF-8"


def test_decode_text_can_refuse_utf16():
    with pytest.raises(TextEncodingError, match="line 1, column 1"):
        decode_text("{}".encode("utf-16"), utf16=False)


def test_a_decoding_error_is_not_a_write_error():
    """Callers that catch WriteError around a save must not swallow a bad upload's decoding error."""
    with pytest.raises(TextEncodingError) as info:
        decode_text(b"\xff")
    assert not isinstance(info.value, WriteError) and isinstance(info.value, FootprintsError)
