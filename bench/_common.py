"""Small helpers shared by the benchmarks (timing and reporting)."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def timeit(fn: Callable[[], object], *, repeat: int = 5, number: int = 1) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` rounds of ``number`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def report(title: str, ours: float, naive: float, *, target_ratio: float | None = None,
           target_seconds: float | None = None, unit: str = "ms") -> None:
    """Print our time, the naive time and the ratio, with the targets."""
    scale = 1000 if unit == "ms" else 1
    ratio = naive / ours if ours > 0 else float("inf")
    line = (f"{title}: ours {ours * scale:.3f} {unit}, naive {naive * scale:.3f} {unit}, "
            f"ratio {ratio:,.1f}x")
    checks = []
    if target_ratio is not None:
        checks.append(f"ratio target >= {target_ratio:g}x: {'met' if ratio >= target_ratio else 'NOT met'}")
    if target_seconds is not None:
        checks.append(f"time target <= {target_seconds * scale:g} {unit}: "
                      f"{'met' if ours <= target_seconds else 'NOT met'}")
    print(line + (" [" + "; ".join(checks) + "]" if checks else ""))


def agree(condition: bool, what: str) -> None:
    """Stop the benchmark (exit 1) when our way and the naive way disagree."""
    if not condition:
        print(f"DISAGREE: {what}")
        sys.exit(1)
    print(f"agree: {what}")
