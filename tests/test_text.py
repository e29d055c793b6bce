"""spatial.text: the one percentage formatter (the CSV guard is tested in test_reliability_text.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spatial.text import percent, percent_short


@pytest.mark.parametrize("x, text", [(0.5361, "53.6%"), (1, "100.0%"), (0, "0.0%"), (np.float64(0.70001), "70.0%"),
                                     (None, "n/a"), (math.nan, "n/a"), (math.inf, "n/a"), ("x", "n/a")])
def test_percent(x, text):
    assert percent(x) == text


def test_percent_digits():
    assert percent(0.53617, 2) == "53.62%" and percent(0.5, 0) == "50%"


@pytest.mark.parametrize("x, text", [(0.372, "37%"), (0.0995, "10%"), (0.042, "4.2%"), (0, "0%"), (1, "100%")])
def test_percent_short(x, text):
    assert percent_short(x) == text
