"""Share of runs whose mean outcome reaches each candidate target, per design.

    nicsim sweep calibration/target.toml --out results/calibration/target
    python calibration/target.py results/calibration/target [--targets 50 60 70 80 90]

Reads the sweep's ``timeseries.parquet``: a run reaches a target when its mean outcome
is at least the target at some step of the horizon (what ``steps_to_target`` records).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def reach_shares(series: pd.DataFrame, targets: list[float], by: str = "design") -> pd.DataFrame:
    """Rows: values of ``by``; columns: targets; cells: share of runs reaching the target."""
    best = series.groupby([by, "run_id"])["mean_outcome"].max()
    shares = {t: (best >= t).groupby(level=by).mean() for t in targets}
    return pd.DataFrame(shares)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--targets", type=float, nargs="+", default=[60, 65, 70, 75, 80, 85, 90])
    args = parser.parse_args()
    series = pd.read_parquet(args.results / "timeseries.parquet")
    runs = series.groupby("design")["run_id"].nunique()
    final = series[series.step == series.step.max()].groupby("design")["mean_outcome"]
    table = reach_shares(series, args.targets)
    table.insert(0, "final mean", final.mean().round(1))
    table.insert(0, "runs", runs)
    print(table.round(2).to_string())


if __name__ == "__main__":
    main()
