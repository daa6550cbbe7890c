"""Summary statistics of repeated runs."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def mean_se(values: Sequence[float]) -> dict[str, float]:
    """Mean and standard error of the mean (sample std / sqrt(n)) over the non-NaN values; se is NaN for one value.

    >>> mean_se([1.0, 2.0, 3.0])
    {'mean': 2.0, 'se': 0.5773502691896258, 'n': 3}
    >>> mean_se([float("nan")])["n"]
    0
    """
    values = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not values:
        return {"mean": math.nan, "se": math.nan, "n": 0}
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return {"mean": statistics.fmean(values), "se": se, "n": len(values)}


def format_mean_se(stat: dict[str, float], digits: int, scale: float = 1.0, suffix: str = "") -> str:
    """``"24.5 ± 0.5"`` (no ± for one run, ``"—"`` for none).

    >>> format_mean_se({"mean": 0.9, "se": 0.01, "n": 2}, 1, scale=100, suffix="%")
    '90.0 ± 1.0%'
    """
    if stat["n"] == 0:
        return "—"
    text = f"{scale * stat['mean']:.{digits}f}"
    if not math.isnan(stat["se"]):
        text += f" ± {scale * stat['se']:.{digits}f}"
    return text + suffix
