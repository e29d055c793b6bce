"""``docs/RELIABILITY.md`` lists real tests: every ``file::test`` it names exists, and the catalogue is complete.

The catalogue's rows are numbered 1..N without gaps, N is at least 40 (the
issue's minimum) and matches the heading, and every row names at least one
test function that is defined (read with :mod:`ast`, not imported) in the
file it names.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "RELIABILITY.md"
_REF = re.compile(r"`(test_[a-z0-9_]+\.py)::(test_[A-Za-z0-9_]+)(?:\[[^`]*\])?`")
_ROW = re.compile(r"^\| (\d+) \|")


@cache
def _tests_in(filename: str) -> frozenset[str]:
    found = sorted((ROOT / "tests").rglob(filename))  # tests/<package>/<file>: names are unique across packages
    assert len(found) == 1, f"docs/RELIABILITY.md names {filename}, found {len(found)} times under tests/"
    path = found[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(n.name for n in ast.walk(tree)
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test_"))


def _rows() -> list[tuple[int, str]]:
    return [(int(m.group(1)), line) for line in DOC.read_text(encoding="utf-8").splitlines()
            if (m := _ROW.match(line))]


def test_catalogue_is_numbered_and_large_enough():
    numbers = [n for n, _ in _rows()]
    assert numbers == list(range(1, len(numbers) + 1)), "catalogue rows must be numbered 1..N without gaps"
    assert len(numbers) >= 40
    heading = re.search(r"^## Catalogue of bad inputs \((\d+) cases\)$", DOC.read_text(encoding="utf-8"), re.M)
    assert heading and int(heading.group(1)) == len(numbers), "the heading's count must match the rows"


def test_every_row_names_tests_that_exist():
    for n, line in _rows():
        refs = _REF.findall(line)
        assert refs, f"case {n} names no test: {line[:120]}"
        for filename, name in refs:
            assert name in _tests_in(filename), f"case {n}: tests/{filename} defines no {name}"


def test_every_named_test_anywhere_in_the_document_exists():
    text = DOC.read_text(encoding="utf-8")
    refs = _REF.findall(text)
    assert len(refs) >= 100
    missing = [f"{f}::{t}" for f, t in refs if t not in _tests_in(f)]
    assert missing == []
    # the invariant and load sections name bare test functions of their module
    for name in re.findall(r"`(test_[a-z0-9_]+)`", text):
        assert name in _tests_in("test_reliability_invariants.py") | _tests_in("test_reliability_load.py"), name
