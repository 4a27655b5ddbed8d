"""Do R's long-double sums explain nicsim's extra unique positions? (docs/VALIDATION.md, 4.3)

At 1000 landscapes nicsim ends with a few more unique positions than Barkoczi & Galesic's
code in most cells. nicsim scores a string as the exact mean of its rounded contributions
(``nk.exact_sums``), so strings whose contributions add up alike always tie; their R
takes ``mean()`` of the fifteen doubles, which sums in 80-bit long doubles and then adds a
correction pass (R's ``summary.c``, ``real_mean``) and splits a few of those ties by a last
bit. More ties leave more agents on distinct strings of equal payoff, so the hypothesis is
that nicsim's extra unique positions come from the ties R splits.

The test: the same landscapes and starting strings (seeds 1..SEEDS), fully connected, every
strategy, scored both ways: nicsim's exact means, and R's ``mean()`` emulated with numpy's
long double (80-bit x87 on x86-64 Linux, as R's LDOUBLE there) on each string's fifteen
contributions in R's order. Only the fitness arithmetic differs, so the paired differences
are its effect. The emulation is patched into this process only (nicsim has no such
option: it would exist for one program's rounding). Run from the repository root:

    python validation/barkoczi_galesic_2016/ties/ties.py

It writes ``ties.md`` and ``runs.csv`` (one row per run) beside itself; about 10 minutes on
one core (a number of seeds as argument runs fewer).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

import nicsim.nic.nk as nk
from nicsim import simulate
from nicsim.analysis.compare import paired_differences
from nicsim.analysis.markdown import markdown_table
from nicsim.lab.config import load_config
from nicsim.nic.world import make_landscape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
BASE = ROOT / "configs" / "replications" / "barkoczi_galesic_2016" / "base.toml"
SEEDS = 300
STRATEGIES = {
    "best3": {"learning": "copy_best", "sample_size": 3},
    "best9": {"learning": "copy_best", "sample_size": 9},
    "conf3": {"learning": "conformity", "sample_size": 3},
    "conf9": {"learning": "conformity", "sample_size": 9},
    "random": {"learning": "copy_best", "sample_size": 1, "individual_learning": False},
    "individual": {"learning": "copy_best", "velocity": 0.0},
}


def contributions(land: nk.NKLandscape, codes: np.ndarray) -> np.ndarray:
    """Each component's contribution to each code, (codes, N), in component order."""
    return np.column_stack(
        [nk.evaluate(land.deps[None, [i]], land.table[None, [i]], codes, 0) for i in range(land.n)]
    )


def r_mean(x: np.ndarray) -> np.ndarray:
    """R's ``mean()`` of each row of doubles: a long-double sum in order, divided by n, then
    the mean of the long-double residuals added, rounded to a double at the end."""
    n = x.shape[1]
    s = np.zeros(x.shape[0], dtype=np.longdouble)
    for i in range(n):
        s += x[:, i].astype(np.longdouble)
    s /= n
    t = np.zeros_like(s)
    for i in range(n):
        t += x[:, i].astype(np.longdouble) - s
    s += t / n
    return s.astype(np.float64)


def use_r_means() -> None:
    """Score every NK landscape of this process by R's ``mean()`` of its contributions."""

    def table(self: nk.NKLandscape) -> np.ndarray:
        if getattr(self, "_r_table", None) is None:
            r = r_mean(contributions(self, np.arange(1 << self.n)))
            object.__setattr__(self, "_r_table", r)  # a frozen dataclass: cached aside
        return self._r_table

    nk.NKLandscape.full_table = lambda self: table(self).copy()
    nk.NKLandscape.fitness = lambda self, codes: table(self)[np.asarray(codes)]


def one_bit_ties(fitness: np.ndarray, n: int) -> float:
    """The share of one-bit moves (string, bit) that leave fitness equal."""
    codes = np.arange(1 << n)
    return float(np.mean([np.mean(fitness == fitness[codes ^ (1 << b)]) for b in range(n)]))


def main(seeds: int = SEEDS) -> int:
    base = load_config(BASE).params
    params = {
        name: value
        for name, value in vars(base).items()
        if name not in ("graph_file",) and not name.startswith("_")
    }
    params["graph_file"] = str(
        ROOT / "validation/barkoczi_galesic_2016/networks/fully-connected.csv"
    )
    rows, ties = [], []
    for arithmetic in ("exact", "R mean"):
        if arithmetic == "R mean":
            use_r_means()
        for seed in range(1, seeds + 1):
            if seed <= 20:
                shared = make_landscape(base, seed, 100).shared
                ties.append(
                    {
                        "arithmetic": arithmetic,
                        "seed": seed,
                        "ties": one_bit_ties(shared.full_table(), shared.n),
                    }
                )
            for strategy, changes in STRATEGIES.items():
                out = simulate(seed, **{**params, **changes})
                rows.append(
                    {
                        "arithmetic": arithmetic,
                        "strategy": strategy,
                        "seed": seed,
                        "mean_outcome": out["mean_outcome"],
                        "unique_practices": out["unique_practices"],
                    }
                )
        print(arithmetic, "done", file=sys.stderr)
    runs = pd.DataFrame(rows)
    runs.to_csv(HERE / "runs.csv", index=False)
    diffs = pd.concat(
        [
            paired_differences(
                runs[runs["strategy"] == strategy],
                "arithmetic",
                "exact",
                ["seed"],
                ["unique_practices", "mean_outcome"],
            ).assign(strategy=strategy)
            for strategy in STRATEGIES
        ]
    )
    diffs = diffs[["strategy", "metric", "n", "mean_diff", "ci_low", "ci_high", "p"]]
    tie_share = pd.DataFrame(ties).groupby("arithmetic")["ties"].mean()
    means = runs.groupby(["strategy", "arithmetic"])[["unique_practices", "mean_outcome"]].mean()
    text = [
        "# R's long-double means against nicsim's exact means (generated by ties.py)",
        "",
        f"Fully connected, K = 7, seeds 1-{seeds}: the same landscapes and starts, "
        "scored both ways.",
        "",
        "One-bit moves that tie (first 20 landscapes): "
        + ", ".join(f"{a} {v:.2%}" for a, v in tie_share.items())
        + ".",
        "",
        "Means:",
        "",
        markdown_table(means.round(4).reset_index()),
        "",
        "Paired differences, R mean - exact (95% CI):",
        "",
        markdown_table(diffs),
    ]
    (HERE / "ties.md").write_text("\n".join(text) + "\n")
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:])))
