"""A footprint's profile and its words: :class:`Profile` and :class:`Constituent`.

The figures are measured by :func:`spatial.profile.measure.profile_units`;
this module only holds them and says them (summary line, Check-page table,
JSON dict, export columns).

Notes
-----
The Core20 gap is :math:`\\max_c s_c - \\min_c s_c` over the Core20 shares
:math:`s_c` of the counted constituents (those holding at least
``GAP_MIN_PART_SHARE`` of the footprint's residents); constituents are kept
most deprived first, so it is ``constituents[0]`` minus ``constituents[-1]``
of the counted ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from ..text import percent, percent_short
from ..thresholds import GAP_MIN_PART_SHARE

__all__ = ["Profile", "Constituent"]


@dataclass(frozen=True)
class Constituent:
    """Core20 share of one constituent area (the part inside the footprint)."""

    code: str
    name: str
    residents: int
    core20_residents: int
    core20_share: float
    #: Whether it holds enough of the footprint's residents to count in the gap (``GAP_MIN_PART_SHARE``).
    counted: bool = True


@dataclass(frozen=True)
class Profile:
    """Who lives in a footprint.

    Attributes
    ----------
    residents : int
        Residents in ``population_year`` (the IMD weights).
    population_year : int
    age_bands : dict of str to int
        Residents by age band (``"0-15"`` ... ``"85+"``), from ``age_source`` of ``age_year``.
    age_residents : int
        Sum of the bands (the age source's own total).
    aged_65_plus, aged_75_plus : int or None
        Counts; ``None`` when the bands do not measure it (Census 2021 bands: 65+ only).
    share_65_plus, share_75_plus : float or None
        Of ``age_residents``.
    imd_deciles : tuple of 10 int
        Residents by national IMD decile (1 = most deprived).
    imd_quintiles : tuple of 5 int
        Residents by national quintile.
    core20_residents : int
    core20_share : float or None
        Share in the most deprived national quintile (NHS England's Core20).
    mean_imd_rank : float or None
        Residents-weighted mean national rank (1 = most deprived of 32,844).
    constituent_layer : str
        Layer of the constituent areas (``"borough"``, ``"ward"``, ``"locality"``...).
    constituents : tuple of Constituent
        Each constituent's Core20 share, most deprived first.
    core20_gap : float or None
        Most minus least deprived constituent's Core20 share (``None`` with fewer than two).
    notes : tuple of str
        What could not be measured, and why.
    sources : dict of str to str
        Figure -> year and source.
    """

    residents: int
    population_year: int
    age_bands: dict
    age_residents: int
    aged_65_plus: int | None
    share_65_plus: float | None
    aged_75_plus: int | None
    share_75_plus: float | None
    imd_deciles: tuple
    imd_quintiles: tuple
    core20_residents: int
    core20_share: float | None
    mean_imd_rank: float | None
    constituent_layer: str
    constituents: tuple
    core20_gap: float | None
    notes: tuple
    sources: dict
    #: What the geography calls the constituent layer (``"place"`` for ``"borough"`` in 2024).
    constituent_word: str = ""

    @property
    def _word(self) -> str:
        return self.constituent_word or self.constituent_layer

    @property
    def most_deprived(self) -> Constituent | None:
        """Counted constituent with the highest Core20 share."""
        counted = [c for c in self.constituents if c.counted]
        return counted[0] if counted else None

    @property
    def least_deprived(self) -> Constituent | None:
        """Counted constituent with the lowest Core20 share."""
        counted = [c for c in self.constituents if c.counted]
        return counted[-1] if counted else None

    def gap_reason(self) -> str:
        """The gap in words: "Core20 share 41% in Newham vs 3% in Havering: gap 38 points"."""
        if self.core20_gap is None:
            return (f"fewer than two {self._word}s with at least {GAP_MIN_PART_SHARE:.0%} of the "
                    "residents: no gap to measure")
        hi, lo = self.most_deprived, self.least_deprived
        return (f"Core20 share {percent_short(hi.core20_share)} in {hi.name} vs {percent_short(lo.core20_share)} in {lo.name}: "
                f"gap {_pts(self.core20_gap)} points")

    def summary(self) -> str:
        """One line for the Sketch tally."""
        parts = []
        if self.share_65_plus is not None:
            age = f"65+ {percent(self.share_65_plus)}"
            if self.share_75_plus is not None:
                age += f", 75+ {percent(self.share_75_plus)}"
            parts.append(age)
        if self.core20_share is not None:
            parts.append(f"Core20 {percent(self.core20_share)}")
            parts.append(f"mean IMD rank {self.mean_imd_rank:,.0f}")
        if self.core20_gap is not None:
            parts.append(f"Core20 gap {_pts(self.core20_gap)} pts across {self._word}s")
        return " · ".join(parts) if parts else "no profile data"

    def table(self) -> pd.DataFrame:
        """Figure, value and source, one row per figure (the Check page's profile table)."""
        s = self.sources
        rows: list[tuple[str, str, str]] = [("Residents", f"{self.residents:,}", s["residents"])]
        for label, n in self.age_bands.items():
            share = n / self.age_residents if self.age_residents else 0.0
            rows.append((f"Aged {label}", f"{n:,} ({percent(share)})", s["age"]))
        for label, n, share in (("65+", self.aged_65_plus, self.share_65_plus),
                                ("75+", self.aged_75_plus, self.share_75_plus)):
            if label in self.age_bands:  # the Census 2021 band "65+" is already a row
                continue
            rows.append((f"Aged {label}", "not measurable" if n is None else f"{n:,} ({percent(share)})",
                         s["age"]))
        if self.core20_share is not None:
            for d, n in enumerate(self.imd_deciles, start=1):
                rows.append((f"IMD decile {d}" + (" (most deprived)" if d == 1 else " (least deprived)" if d == 10
                                                  else ""), f"{n:,} ({percent(n / self.residents if self.residents else 0)})",
                             s["imd"]))
            for q, n in enumerate(self.imd_quintiles, start=1):
                rows.append((f"IMD quintile {q}", f"{n:,} ({percent(n / self.residents if self.residents else 0)})",
                             s["imd"]))
            rows.append(("Core20 (most deprived national quintile)",
                         f"{self.core20_residents:,} ({percent(self.core20_share)})", s["imd"]))
            rows.append(("Mean IMD rank (1 = most deprived)", f"{self.mean_imd_rank:,.0f}", s["imd"]))
            rows.append((f"Core20 gap across {self._word}s", self.gap_reason(), s["imd"]))
        for note in self.notes:
            rows.append(("Note", note, ""))
        return pd.DataFrame(rows, columns=["figure", "value", "source"])

    def to_dict(self) -> dict:
        """JSON-ready dict (the CLI's ``profile`` field)."""
        d = asdict(self)
        d["constituents"] = [asdict(c) for c in self.constituents]
        d["imd_deciles"] = list(self.imd_deciles)
        d["imd_quintiles"] = list(self.imd_quintiles)
        d["notes"] = list(self.notes)
        d["gap_reason"] = self.gap_reason()
        d["summary"] = self.summary()
        return d

    def columns(self) -> dict:
        """Flat figures for export tables (CSV/XLSX, Proposals): name -> value."""
        return {
            "aged_65_plus": self.aged_65_plus, "share_65_plus": _round(self.share_65_plus),
            "aged_75_plus": self.aged_75_plus, "share_75_plus": _round(self.share_75_plus),
            "core20_residents": self.core20_residents, "core20_share": _round(self.core20_share),
            "mean_imd_rank": None if self.mean_imd_rank is None else round(self.mean_imd_rank, 1),
            "core20_gap_points": None if self.core20_gap is None else round(100 * self.core20_gap, 1),
            "imd_source": self.sources["imd"], "age_source": self.sources["age"],
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


def _pts(x: float) -> str:
    v = 100 * x
    return f"{v:.0f}" if abs(v - round(v)) < 0.05 or v >= 10 else f"{v:.1f}"
