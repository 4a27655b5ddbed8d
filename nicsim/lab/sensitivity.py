"""Global sensitivity analysis with SALib: one problem drives sampling and analysis.

The problem comes from a sweep file's ``[sample.ranges]``; ``[sample] points`` is the
number of Morris trajectories or the Sobol base sample size. The sampled points become an
ordinary run plan, so they run through the same evaluators and crash-proof store as any
sweep; the analysis then reads the stored outputs back in point order.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.params import ConfigError, ModelParams, fields_of
from .plans import DUMMY, Plan, Points, never_read_in
from .registry import for_params
from .sweeps import SweepFile

METHODS = ("morris", "sobol")
NOT_READ = "not read"  # the verdict on a parameter no run of the screen reads
MORRIS_LEVELS = 4
# Why a run leaves an output's runs.csv cell empty, for the outputs that may be empty
EMPTY_BECAUSE = {
    "steps_to_target": "the target was never reached",
    "periods_to_equilibrium": "equilibrium was never reached",
}


def problem(ranges: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """The SALib problem description for the named parameter ranges."""
    return {
        "num_vars": len(ranges),
        "names": list(ranges),
        "bounds": [list(b) for b in ranges.values()],
    }


def sample(prob: dict[str, Any], method: str, n: int, seed: int) -> np.ndarray:
    """Morris trajectories (n of them) or a Saltelli/Sobol sample with base size n."""
    rows(method, n, prob["num_vars"])  # checks the method and n
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(prob, n, num_levels=MORRIS_LEVELS, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(prob, n, calc_second_order=False, seed=seed)


def rows(method: str, n: int, dims: int) -> int:
    """How many points :func:`sample` gives, without drawing them: n trajectories of
    dims + 1 points (Morris), or n x (dims + 2) (Saltelli, first and total order)."""
    if method == "morris":
        return n * (dims + 1)
    if method == "sobol":
        if n & (n - 1):
            raise ConfigError(
                f"sample.points = {n} is not allowed for sobol: expected a power of 2"
            )
        return n * (dims + 2)
    raise ConfigError(f"--method {method!r} is not allowed: expected one of {', '.join(METHODS)}")


def analyze(
    prob: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    method: str,
    seed: int = 0,
    unread: Collection[str] = (),
) -> pd.DataFrame:
    """Morris mu*, its confidence interval and sigma, or Sobol S1 and ST with theirs.
    ``unread``: the parameters no run of the screen reads (:meth:`Design.unread`)."""
    if method == "morris":
        from SALib.analyze import morris

        res = morris.analyze(prob, x, y, num_levels=MORRIS_LEVELS, seed=seed)
        table = pd.DataFrame(
            {
                "parameter": prob["names"],
                "mu_star": res["mu_star"],
                "mu_star_conf": res["mu_star_conf"],
                "mu": res["mu"],
                "sigma": res["sigma"],
            }
        )
        if DUMMY in prob["names"]:
            table["vs_dummy"] = against_dummy(table, unread)
        return table.sort_values("mu_star", ascending=False, ignore_index=True)
    from SALib.analyze import sobol

    res = sobol.analyze(prob, y, calc_second_order=False, seed=seed)
    table = pd.DataFrame(
        {
            "parameter": prob["names"],
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )
    return table.sort_values("ST", ascending=False, ignore_index=True)


def against_dummy(table: pd.DataFrame, unread: Collection[str] = ()) -> list[str]:
    """Each parameter against the dummy, which the model never reads: ``inert`` when its
    mu* confidence interval overlaps the dummy's (its effect cannot be told from none),
    else ``acts``; the dummy itself is ``dummy``. A parameter in ``unread``, which no run of
    the screen reads, is ``not read``: its effect is none by construction, which says
    nothing of whether it acts where it is read."""
    dummy = table.loc[table["parameter"] == DUMMY].iloc[0]
    ceiling = dummy["mu_star"] + dummy["mu_star_conf"]
    low = table["mu_star"] - table["mu_star_conf"]
    return [
        DUMMY if name == DUMMY else NOT_READ if name in unread else _verdict(lo, ceiling)
        for name, lo in zip(table["parameter"], low, strict=True)
    ]


def _verdict(low: float, ceiling: float) -> str:
    """``acts`` or ``inert``; ``n/a`` when either interval is missing (an output empty at
    the points it needs): no verdict rather than a false ``inert``."""
    if np.isnan(low) or np.isnan(ceiling):
        return "n/a"
    return "acts" if low > ceiling else "inert"


def acts_on(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each parameter's verdict across several outputs (Morris tables with ``vs_dummy``, in
    the order given): the outputs on which it acts and those on which it is inert. A
    parameter is inert in the sense of P0 only when it acts on none of them."""
    first = next(iter(tables.values()))
    names = [n for n in first["parameter"] if n != DUMMY]
    verdict = {m: dict(zip(t["parameter"], t["vs_dummy"], strict=True)) for m, t in tables.items()}
    return pd.DataFrame(
        {
            "parameter": names,
            "acts_on": [", ".join(m for m in verdict if verdict[m][n] == "acts") for n in names],
            "inert_on": [", ".join(m for m in verdict if verdict[m][n] == "inert") for n in names],
        }
    )


def inert_everywhere(tables: dict[str, pd.DataFrame]) -> list[str]:
    """The parameters ``inert`` on every output of ``tables`` (Morris, with ``vs_dummy``):
    one with no verdict (``n/a``) on an output is not among them."""
    first = next(iter(tables.values()))
    return [
        name
        for name in first["parameter"]
        if name != DUMMY
        and all(
            (t.loc[t["parameter"] == name, "vs_dummy"] == "inert").all() for t in tables.values()
        )
    ]


def empty_output(metric: str) -> str:
    """What a report says of an output no run has a value of: it supports no conclusion,
    so no parameter is inert or active on it."""
    why = EMPTY_BECAUSE.get(metric, "no run records a value of it")
    return f"`{metric}` is empty in every run ({why}): no conclusion"


@dataclass(frozen=True)
class Design:
    """A sensitivity experiment: the problem and its run plan, whose points are the
    sample's rows."""

    method: str
    problem: dict[str, Any]
    plan: Plan

    @property
    def x(self) -> np.ndarray:
        """The unrounded sample (drawn on first use, after the budget is checked)."""
        return self.plan.points.sample

    def unread(self) -> dict[str, str]:
        """The sampled parameters that no run of the screen reads (a hub's setting screened
        in siloed partnerships), each with the runs that would read it."""
        return {
            name: found.runs
            for name, found in never_read_in([self.plan]).items()
            if name in self.problem["names"]
        }


def design(sweep: SweepFile, method: str) -> Design:
    """Turn the sweep's ranges into a run plan of the sampled points (R replications each).

    The sample is drawn when first needed, so what it would need is estimated first.
    Integer parameters are rounded when run; the analysis uses the unrounded sample so that
    Morris steps keep their size.
    """
    if not sweep.ranges:
        raise ConfigError(
            f"{sweep.path}: sensitivity needs [sample.ranges] and [sample] points in the sweep file"
        )
    if sweep.grid:
        raise ConfigError(f"{sweep.path}: sensitivity samples [sample.ranges] only: remove [grid]")
    prob = problem(sweep.ranges)
    n, seed = sweep.points, sweep.seed
    try:
        count = rows(method, n, len(sweep.ranges))
    except ConfigError as exc:
        raise ConfigError(f"{sweep.path}: {exc}") from None
    points = Points(
        {},
        sweep.ranges,
        count,
        lambda: sample(prob, method, n, seed),
        fields_of(type(sweep.base)),
    )
    plan = Plan(
        f"{sweep.name}-{method}",
        sweep.base,
        points,
        sweep.seed,
        sweep.replications,
        {**sweep.raw, "method": method},
        sweep.path,
    )
    plan.check()
    return Design(method, prob, plan)


def check_output(base: ModelParams, metric: str) -> None:
    """Refuse an output the model does not report, before the runs rather than after them
    (a sensitivity experiment can take hours)."""
    known = for_params(base).run_metrics
    if metric not in known:
        raise ConfigError(f"--output {metric!r} is not allowed: expected one of {', '.join(known)}")


def outputs(runs: pd.DataFrame, d: Design, metric: str) -> np.ndarray:
    """Mean of ``metric`` over each point's replications, in sample order."""
    if metric not in runs.columns:
        raise ConfigError(f"--output {metric!r} is not a column of runs.csv")
    point = runs["run_id"] // d.plan.replications
    y = runs.groupby(point)[metric].mean().reindex(range(len(d.x)))
    return y.to_numpy(dtype=float)
