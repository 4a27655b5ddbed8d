"""Summaries of stored results: means with confidence intervals, and paired comparisons.

Replications that share a seed share their landscape and starting practices (common random
numbers), so designs are compared run by run with a paired t-test rather than as two
independent samples; the pairing removes the variance of the problem itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

ANY = (-math.inf, math.inf)  # the range of a metric that may take any value
NO_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType({})


def mean_ci(
    values, level: float = 0.95, within: tuple[float, float] = ANY
) -> tuple[float, float, float]:
    """Mean and the two-sided t confidence interval; the interval is NaN for fewer than 2.

    ``within`` is the range the values can take (a share's 0 to 1): the mean lies in it, so
    the interval is cut to it. The cut interval covers the mean whenever the t interval
    does, so its level stands; a count's interval no longer reaches below 0 with few runs.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (float("nan"),) * 3
    m = float(x.mean())
    if x.size < 2:
        return m, float("nan"), float("nan")
    from scipy.special import stdtrit  # Student t quantiles, loaded on use

    half = float(stdtrit(x.size - 1, 0.5 + level / 2) * x.std(ddof=1) / np.sqrt(x.size))
    return m, max(m - half, within[0]), min(m + half, within[1])


def quantile_ci(
    values, percents, resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> pd.DataFrame:
    """Quantiles of ``values`` at ``percents`` (numpy's default, R's ``quantile`` type 7)
    with percentile-bootstrap confidence intervals: ``resamples`` resamples of the values
    with replacement, drawn from a generator seeded with ``seed``, so the intervals are the
    same on every call. One row per percent: ``percent``, ``estimate``, ``ci_low``,
    ``ci_high`` and ``n``; the interval is NaN for fewer than 2 values."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    percents = np.asarray(percents, dtype=float)
    table = pd.DataFrame({"percent": percents, "n": x.size})
    if x.size == 0:
        return table.assign(estimate=np.nan, ci_low=np.nan, ci_high=np.nan)
    table["estimate"] = np.percentile(x, percents)
    if x.size < 2:
        return table.assign(ci_low=np.nan, ci_high=np.nan)
    rng = np.random.default_rng(seed)
    boots = np.percentile(x[rng.integers(0, x.size, (resamples, x.size))], percents, axis=1)
    tail = 100 * (1 - level) / 2
    table["ci_low"], table["ci_high"] = np.percentile(boots, [tail, 100 - tail], axis=1)
    return table


def band(
    ts: pd.DataFrame, metric: str, level: float = 0.95, within: tuple[float, float] = ANY
) -> pd.DataFrame:
    """Per-step mean of ``metric`` across runs with its t confidence band, cut to ``within``
    as :func:`mean_ci` cuts an interval."""
    from scipy.special import stdtrit

    g = ts.groupby("step")[metric]
    mean, sd, n = g.mean(), g.std(ddof=1), g.count()
    tq = stdtrit(np.maximum(n - 1, 1), 0.5 + level / 2)
    half = np.where(n > 1, tq * sd / np.sqrt(n), 0.0)
    lo, hi = np.maximum(mean - half, within[0]), np.minimum(mean + half, within[1])
    return pd.DataFrame({"mean": mean, "lo": lo, "hi": hi})


def summary_table(
    runs: pd.DataFrame, metrics: list[str], ranges: Mapping[str, tuple[float, float]] = NO_RANGES
) -> pd.DataFrame:
    """Mean and 95% CI of each metric across the runs, cut to its range in ``ranges``."""
    return pd.DataFrame(
        [{"metric": metric, **ci_row(runs[metric], ranges.get(metric, ANY))} for metric in metrics]
    )


def ci_row(values: pd.Series, within: tuple[float, float] = ANY) -> dict[str, float | int]:
    """``mean``, ``ci_low``, ``ci_high`` (95%, cut to ``within``) and ``n`` (values
    present) of a column."""
    m, lo, hi = mean_ci(values, within=within)
    return {"mean": m, "ci_low": lo, "ci_high": hi, "n": int(values.notna().sum())}


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
        from scipy.special import stdtr  # Student t: what scipy.stats.t calls, lighter

        p = float(2 * stdtr(n - 1, -abs(t)))
        dz = m / sd
    return PairedResult(n, m, lo, hi, float(t), p, float(dz))


def group_order(runs: pd.DataFrame, by: str) -> list:
    """Distinct values of ``by``: numbers (and booleans) sorted, anything else in first-seen order.

    First-seen order keeps the order the experimenter wrote in the sweep's grid (e.g. siloed,
    hub, networked), which reads better than the alphabet; numbers read best ascending.
    """
    values = runs[by].drop_duplicates()
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        values = values.sort_values()
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def members(runs: pd.DataFrame, by: str, value) -> pd.DataFrame:
    """The runs whose ``by`` is ``value``; a missing value (NaN: ``steps_to_target`` where
    the target was never reached) is a group of its own, never equal to itself in pandas."""
    return runs[runs[by].isna()] if _missing(value) else runs[runs[by] == value]


def _missing(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def same_group(a, b) -> bool:
    """Whether two values of ``by`` name one group (two missing values do)."""
    return a == b or (_missing(a) and _missing(b))


def group_summary(
    runs: pd.DataFrame,
    by: str,
    metrics: list[str],
    order: list | None = None,
    ranges: Mapping[str, tuple[float, float]] = NO_RANGES,
) -> pd.DataFrame:
    """Mean and 95% CI of each final metric in each group of ``by``: one row per group and
    metric, the interval cut to the metric's range in ``ranges`` (:func:`mean_ci`).

    ``runs`` is the group size and ``n`` the runs with a value for the metric, so a metric that
    is missing in some runs (``steps_to_target`` when the target was never reached) reports
    over how many runs its mean was taken.
    """
    rows = []
    for value in group_order(runs, by) if order is None else order:
        group = members(runs, by, value)
        for metric in metrics:
            m, lo, hi = mean_ci(group[metric], within=ranges.get(metric, ANY))
            n = int(group[metric].notna().sum())
            rows.append(
                {
                    "group": value,
                    "metric": metric,
                    "runs": len(group),
                    "n": n,
                    "mean": m,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
    return pd.DataFrame(rows, columns=["group", "metric", "runs", "n", "mean", "ci_low", "ci_high"])


PAIRED_COLUMNS = [
    "group",
    "metric",
    "pairs",
    "n",
    "mean_diff",
    "ci_low",
    "ci_high",
    "t",
    "p",
    "cohens_dz",
]


def paired_differences(
    runs: pd.DataFrame,
    by: str,
    reference,
    pair_on: list[str],
    metrics: list[str],
    order: list | None = None,
) -> pd.DataFrame:
    """Paired differences (group - reference) of each metric, for every non-reference group.

    A run pairs with the reference run that has the same values of ``pair_on`` (the seed and
    every other swept parameter): with common random numbers the two faced the same landscape
    from the same start, so only ``by`` differs between them. ``pairs`` counts the matched
    runs and ``n`` those where both have a value of the metric; a group without any pair gets
    ``pairs = 0`` (as does every group when ``pair_on`` is empty), so the caller can say so
    instead of failing. Raises ValueError when ``pair_on`` does not identify runs uniquely
    within a group, as a pair would then be ambiguous.
    """
    order = group_order(runs, by) if order is None else order
    groups = [v for v in order if not same_group(v, reference)]
    ref = members(runs, by, reference)
    if pair_on:
        _check_unique(ref, by, reference, pair_on)
    rows = []
    for value in groups:
        group = members(runs, by, value)
        if pair_on:
            _check_unique(group, by, value, pair_on)
        cols = [*pair_on, *metrics]
        if pair_on:
            both = group[cols].merge(ref[cols], on=pair_on, suffixes=("", "_ref"))
        else:
            both = pd.DataFrame(columns=[*metrics, *(f"{m}_ref" for m in metrics)])
        for metric in metrics:
            r = paired_difference(both[metric], both[f"{metric}_ref"])
            rows.append({"group": value, "metric": metric, "pairs": len(both), **asdict(r)})
    return pd.DataFrame(rows, columns=PAIRED_COLUMNS)


def _check_unique(group: pd.DataFrame, by: str, value, pair_on: list[str]) -> None:
    dup = group.duplicated(pair_on, keep=False)
    if dup.any():
        first = group.loc[dup, pair_on].iloc[0].to_dict()
        key = ", ".join(f"{k} = {v}" for k, v in first.items())
        raise ValueError(
            f"cannot pair runs: {int(dup.sum())} runs with {by} = {value} share {key}; "
            "runs of a group must differ in the seed or a swept parameter"
        )


# -- replications: values at given rounds and head-to-head counts -----------------------------
def trajectories(ts: pd.DataFrame, by: list[str], metrics: list[str]) -> pd.DataFrame:
    """Per group and step: mean and 95% band of each metric, in long form.

    A compact stand-in for a large ``timeseries.parquet``: one row per group, step and metric
    rather than one per run and step, so a replication's figures can be redrawn (and
    committed) without the bulk output.
    """
    parts = []
    for key, group in ts.groupby(by, sort=True) if by else [((), ts)]:
        key = key if isinstance(key, tuple) else (key,)
        for metric in metrics:
            b = band(group, metric).reset_index()
            b.insert(0, "metric", metric)
            for name, value in zip(by, key, strict=True):
                b.insert(0, name, value)
            parts.append(b)
    return pd.concat(parts, ignore_index=True)


def at_steps(ts: pd.DataFrame, steps: list[int], keys: list[str], metrics: list[str]):
    """Each run's metrics at the given steps: one row per run and step, tagged with ``keys``.

    A step beyond a run's horizon takes the run's last step, so "final" is always there.
    """
    last = ts.groupby("run_id")["step"].transform("max")
    rows = []
    for step in steps:
        pick = ts[ts["step"] == np.minimum(step, last)]
        rows.append(pick[[*keys, *metrics]].assign(step=step))
    return pd.concat(rows, ignore_index=True)


def summary_at(at: pd.DataFrame, by: list[str], metric: str) -> pd.DataFrame:
    """Mean, 95% CI and n of ``metric`` per group of ``by`` and step (from :func:`at_steps`)."""
    keys = [*by, "step"]
    return pd.DataFrame(
        [
            {**dict(zip(keys, key, strict=True)), **ci_row(group[metric])}
            for key, group in at.groupby(keys, sort=True)
        ]
    )


@dataclass(frozen=True)
class HeadToHead:
    """How often A ends above B on the same landscape from the same start (same seed)."""

    step: int
    n: int
    a_higher: int
    b_higher: int
    tied: int
    share_a_higher: float  # a_higher / n
    mean_diff: float  # mean of A - B


def head_to_head(
    a: pd.DataFrame, b: pd.DataFrame, metric: str = "mean_outcome", tol: float = 1e-12
) -> list[HeadToHead]:
    """Landscape-by-landscape contest of two settings, per step (rows from :func:`at_steps`).

    Runs pair on ``seed``: with common random numbers a pair faced the same landscape from
    the same starting strings, so counting wins is the paper's head-to-head comparison.
    Differences within ``tol`` are ties (both settings often end on the same optimum).
    """
    both = a[["seed", "step", metric]].merge(
        b[["seed", "step", metric]], on=["seed", "step"], suffixes=("_a", "_b"), validate="1:1"
    )
    out = []
    for step, g in both.groupby("step", sort=True):
        d = (g[f"{metric}_a"] - g[f"{metric}_b"]).to_numpy()
        up, down = int((d > tol).sum()), int((d < -tol).sum())
        n = len(d)
        out.append(
            HeadToHead(
                int(step),
                n,
                up,
                down,
                n - up - down,
                up / n if n else float("nan"),
                float(d.mean()) if n else float("nan"),
            )
        )
    return out
