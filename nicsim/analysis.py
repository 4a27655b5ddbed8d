"""Summaries of stored results: means with confidence intervals, and paired comparisons.

Replications that share a seed share their landscape and starting practices (common random
numbers), so designs are compared run by run with a paired t-test rather than as two
independent samples; the pairing removes the variance of the problem itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the two-sided t confidence interval; the interval is NaN for fewer than 2."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (float("nan"),) * 3
    m = float(x.mean())
    if x.size < 2:
        return m, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - half, m + half


def band(ts: pd.DataFrame, metric: str, level: float = 0.95) -> pd.DataFrame:
    """Per-step mean of ``metric`` across runs with its t confidence band."""
    g = ts.groupby("step")[metric]
    mean, sd, n = g.mean(), g.std(ddof=1), g.count()
    tq = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
    half = np.where(n > 1, tq * sd / np.sqrt(n), 0.0)
    return pd.DataFrame({"mean": mean, "lo": mean - half, "hi": mean + half})


def summary_table(runs: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Mean and 95% CI of each metric across the runs."""
    rows = []
    for metric in metrics:
        m, lo, hi = mean_ci(runs[metric])
        rows.append(
            {
                "metric": metric,
                "mean": m,
                "ci_low": lo,
                "ci_high": hi,
                "n": int(runs[metric].notna().sum()),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class PairedResult:
    """Paired difference (treatment - reference) over runs sharing a seed."""

    n: int
    mean_diff: float
    ci_low: float
    ci_high: float
    t: float
    p: float
    cohens_dz: float  # mean difference over the sd of the differences


def paired_difference(treatment, reference, level: float = 0.95) -> PairedResult:
    """Paired t-test on matched values; pairs with a missing value on either side are dropped."""
    a = np.asarray(treatment, dtype=float)
    b = np.asarray(reference, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    d = a[keep] - b[keep]
    n = d.size
    if n < 2:
        m = float(d.mean()) if n else float("nan")
        return PairedResult(
            n, m, float("nan"), float("nan"), float("nan"), float("nan"), float("nan")
        )
    m, lo, hi = mean_ci(d, level)
    sd = float(d.std(ddof=1))
    if sd == 0:
        t, p = (0.0, 1.0) if m == 0 else (float(np.sign(m) * np.inf), 0.0)
        dz = 0.0 if m == 0 else float(np.sign(m) * np.inf)
    else:
        t = m / (sd / np.sqrt(n))
        p = float(2 * stats.t.sf(abs(t), n - 1))
        dz = m / sd
    return PairedResult(n, m, lo, hi, float(t), p, float(dz))
