"""How systems and partitions are scored: the parts of a score and the user's weights.

A score is a weighted mean of parts in [0, 1] (higher is better); a part that
was not measured (no care-flow model, no IMD data) is left out and its weight
shared among the others.  :class:`RankWeights` holds the weights, reads them
from the CLI or a dict and says the score in words.

Notes
-----
With weights :math:`w_i \\ge 0` and the measured parts :math:`p_i \\in [0, 1]`
(the set :math:`M`),

.. math::  \\text{score} = \\frac{\\sum_{i \\in M} w_i p_i}{\\sum_{i \\in M} w_i}
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..errors import ProposalError

__all__ = ["SCORE_PARTS", "RankWeights"]

#: The parts of a score, in the order shown.
SCORE_PARTS = ("containment", "balance", "inside_stp", "compactness", "deprivation_balance")
_PART_LABELS = {
    "containment": "care-flow containment",
    "balance": "population balance",
    "inside_stp": "inside one STP",
    "compactness": "compactness",
    "deprivation_balance": "balance of deprivation across constituent places",
}


@dataclass(frozen=True)
class RankWeights:
    """How much each part counts in a system's score (any non-negative numbers; they are normalised).

    Each part is a number in [0, 1], higher is better:

    containment
        The care-flow containment the care-flow model measures (share of the
        residents' care given by providers inside the system).  Left out of
        the score, and said so, when no care-flow model is loaded.
    balance
        ``1 − CV`` of the populations of the system's boroughs (for a
        partition: of its systems), clipped at 0: 1 when they are all equal —
        a partnership of equals rather than one dominant borough.
    inside_stp
        Share of residents in the STP holding most of them (1 inside one STP).
    compactness
        Polsby–Popper ``4πA/P²`` of the system's outline (1 for a disc; London
        boroughs ≈ 0.3–0.6), exact from the borough perimeters and shared edges.
    deprivation_balance
        ``1 − gap`` in Core20 share (IMD 2019 most deprived national quintile)
        between the system's most and least deprived boroughs (for a partition:
        the mean over its systems), see :mod:`spatial.profile`.  Weight 0 by
        default (opt in): pooling deprived and affluent places may be the point
        of a partnership, or a risk to its focus.
    """

    containment: float = 0.4
    balance: float = 0.2
    inside_stp: float = 0.2
    compactness: float = 0.2
    deprivation_balance: float = 0.0

    def __post_init__(self) -> None:
        for name in SCORE_PARTS:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ProposalError(f"weight {name} must be a number of 0 or more, not {v!r}",
                                    where=f"weights.{name}", fix="use e.g. containment=0.4,balance=0.2")
        if sum(getattr(self, n) for n in SCORE_PARTS) <= 0:
            raise ProposalError("all weights are 0", where="weights", fix="give at least one weight above 0")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "RankWeights":
        """Defaults overridden by ``data`` (unknown keys are an error naming the known ones)."""
        data = dict(data or {})
        unknown = sorted(set(data) - set(SCORE_PARTS))
        if unknown:
            raise ProposalError(f"unknown weight(s): {', '.join(unknown)}", where="weights",
                                fix=f"use only {', '.join(SCORE_PARTS)}")
        return cls(**{k: float(v) for k, v in data.items()})

    @classmethod
    def parse(cls, text: str) -> "RankWeights":
        """From ``"containment=1,balance=0.5"`` (the CLI's ``--weights``)."""
        data: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in str(text).split(","))):
            key, sep, value = part.partition("=")
            try:
                if not sep:
                    raise ValueError
                data[key.strip()] = float(value)
            except ValueError:
                raise ProposalError(f"cannot read weight {part!r}", where="--weights",
                                    fix="write name=number pairs separated by commas, e.g. "
                                        "containment=1,balance=0.5,inside_stp=0.5,compactness=0.2") from None
        return cls.from_dict(data)

    def text(self) -> str:
        """The weights in words, e.g. ``"care-flow containment 0.4, population balance 0.2, …"``."""
        return ", ".join(f"{_PART_LABELS[n]} {getattr(self, n):g}" for n in SCORE_PARTS)

    def to_dict(self) -> dict[str, float]:
        """``{part: weight}``."""
        return {n: float(getattr(self, n)) for n in SCORE_PARTS}

    def score(self, parts: Mapping[str, float | None]) -> float:
        """Weighted mean of the parts that were measured (NaN/None parts are left out)."""
        num = den = 0.0
        for name in SCORE_PARTS:
            v = parts.get(name)
            w = getattr(self, name)
            if v is None or not math.isfinite(v) or w == 0:
                continue
            num += w * v
            den += w
        return num / den if den else 0.0

    def describe(self, parts: Mapping[str, float | None]) -> str:
        """The score as a sum in words, e.g. ``"0.2 × population balance 0.91 + …"``."""
        used = [n for n in SCORE_PARTS if getattr(self, n) > 0 and parts.get(n) is not None
                and math.isfinite(parts[n])]
        den = sum(getattr(self, n) for n in used)
        terms = [f"{getattr(self, n) / den:.2f} × {_PART_LABELS[n]} {parts[n]:.2f}" for n in used] if den else []
        missing = [_PART_LABELS[n] for n in SCORE_PARTS if getattr(self, n) > 0 and n not in used]
        text = " + ".join(terms) if terms else "no measured part"
        if missing:
            text += f" ({', '.join(missing)} not measured; its weight is shared among the others)"
        return text


def _balance(pops: np.ndarray) -> float:
    pops = np.asarray(pops, dtype=float)
    if len(pops) < 2 or pops.mean() <= 0:
        return 1.0
    return float(max(0.0, 1.0 - pops.std() / pops.mean()))


def _rounded(parts: Mapping[str, float | None]) -> dict[str, float | None]:
    """Score parts for JSON: 6 decimals, ``None`` for a part not measured (or not finite)."""
    return {k: (None if v is None or not math.isfinite(v) else round(float(v), 6)) for k, v in parts.items()}
