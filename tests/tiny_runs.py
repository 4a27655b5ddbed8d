"""Tiny runs written by the command line, for the tests of nicsim from Python: what
``nicsim.simulate``, the Mesa models and the analysis libraries give must be what
``nicsim sweep`` and ``nicsim run`` write for the same seeds and parameters."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import pandas as pd

from nicsim.lab.config import to_toml
from nicsim.ui.cli import main

# A few districts for a few months, each run of the grid and seeds its own by month 4.
TINY = {
    "partnerships": 2,
    "districts_per_partnership": 2,
    "leaders_per_district": 1,
    "n_components": 6,
    "k": 2,
    "steps": 4,
    "tests_per_leader": 2,
    "min_tests": 1,
}
GRID = {"h": [0.0, 0.5], "design": ["siloed", "networked"]}
SEEDS = [1, 2]
MARCH = {"model": "march", "m": 8, "n": 6, "max_periods": 12, "p3": 0.1}


def quietly(argv: list[str]) -> None:
    """Run the command line, its summary table unprinted."""
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(argv) == 0


def outputs(out: Path) -> tuple[list[dict[str, str]], pd.DataFrame]:
    """A results directory's runs.csv rows (as text) and timeseries.parquet."""
    with open(out / "runs.csv", newline="") as fh:
        return list(csv.DictReader(fh)), pd.read_parquet(out / "timeseries.parquet")


def sweep_tiny(root: Path) -> tuple[list[dict[str, str]], pd.DataFrame]:
    """``nicsim sweep`` over GRID around TINY, for SEEDS."""
    (root / "tiny.toml").write_text(to_toml(TINY))
    (root / "sweep.toml").write_text(
        f'base = "tiny.toml"\nreplications = {len(SEEDS)}\nseed = {SEEDS[0]}\n\n[grid]\n'
        + to_toml(GRID)
    )
    quietly(["sweep", str(root / "sweep.toml"), "--workers", "1", "--out", str(root / "out")])
    return outputs(root / "out")


def run_march(root: Path) -> tuple[list[dict[str, str]], pd.DataFrame]:
    """``nicsim run`` of MARCH for SEEDS."""
    (root / "march.toml").write_text(to_toml(MARCH))
    quietly(["run", str(root / "march.toml"), "--replications", "2", "--out", str(root / "out")])
    return outputs(root / "out")


def as_written(value) -> str:
    """A value as ``runs.csv`` writes it (None and NaN empty, floats by repr): compared as
    text, the numbers must agree to the last bit."""
    return "" if value is None or value != value else str(value)


def series_of(ts: pd.DataFrame, seed: int, **point) -> pd.DataFrame:
    """One run's rows of timeseries.parquet: step and metric columns, index from 0."""
    keep = ts["seed"] == seed
    for key, value in point.items():
        keep &= ts[key] == value
    columns = ["run_id", "seed", "replication", *point]
    return ts.loc[keep].drop(columns=columns).reset_index(drop=True)
