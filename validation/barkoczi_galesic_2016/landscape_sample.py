"""How far is nicsim's sample of 1000 landscapes from its population? (docs/VALIDATION.md, 4.3)

Every cell of the NK sweeps runs on the same landscapes (seeds 1-1000), so a landscape
sample that happens to be unusual moves every cell together. Two of the compared numbers
are properties of the landscapes alone, with no dynamics:

- round 0's mean performance: random strings, so its expectation is the mean over all
  2**15 strings of (F / max F) ** 8;
- random copying's unique positions at the end: it copies a contact only if strictly
  better and never searches, so on their connected networks every agent ends on one of
  the starting strings with the highest payoff, and the count is the number of distinct
  starting strings tied at the top (estimated from DRAWS sets of 100 distinct strings per
  landscape, as their code draws them).

This prints both for seeds 1-1000 and for 4000 fresh seeds, beside their code's round 0
and random copying's final unique positions (``theirs_nk.csv``, K = 7). Run from the
repository root (about two minutes):

    python validation/barkoczi_galesic_2016/landscape_sample.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nicsim.lab.config import load_config
from nicsim.nic.world import make_landscape

HERE = Path(__file__).resolve().parent
DRAWS = 20
BASE = HERE.parents[1] / "configs" / "replications" / "barkoczi_galesic_2016" / "base.toml"


def start_level(table: np.ndarray, exponent: float) -> float:
    """Round 0's expected mean performance on one landscape's fitness table: (F / max F)
    ** exponent over all strings (random starting strings are a uniform sample of them)."""
    return float(np.mean((table / table.max()) ** exponent))


def top_ties(table: np.ndarray, rng: np.random.Generator) -> float:
    """The mean number of distinct strings at the highest payoff among 100 distinct random
    strings, over DRAWS draws on one landscape's fitness table."""
    picks = np.stack([rng.choice(table.size, 100, replace=False) for _ in range(DRAWS)])
    payoff = table[picks]
    return float(np.mean(np.sum(payoff == payoff.max(axis=1, keepdims=True), axis=1)))


def describe(values: np.ndarray) -> str:
    return f"{values.mean():.5f} (standard error {values.std(ddof=1) / np.sqrt(values.size):.5f})"


def main() -> None:
    params = load_config(BASE).params
    rng = np.random.default_rng(0)
    theirs = pd.read_csv(HERE / "theirs_nk.csv")
    theirs = theirs[theirs["k"] == 7]
    start = theirs[(theirs["metric"] == "mean_outcome") & (theirs["step"] == 0)]["mean"]
    end = theirs[
        (theirs["metric"] == "unique_practices")
        & (theirs["strategy"] == "random")
        & (theirs["step"] == theirs["step"].max())
    ]["mean"]

    def measures(first: int, last: int) -> np.ndarray:
        """Both measures for each seed, each landscape built once: (seeds, 2)."""
        rows = []
        for seed in range(first, last + 1):
            table = make_landscape(params, seed, 100).shared.full_table()
            rows.append((start_level(table, params.outcome_exponent), top_ties(table, rng)))
        return np.array(rows)

    committed, fresh = measures(1, 1000), measures(1001, 5000)
    for column, (what, published) in enumerate(
        (("Round 0's mean performance", start), ("Random copying's final unique positions", end))
    ):
        print(what)
        print(f"  nicsim, seeds 1-1000 (the committed sweeps): {describe(committed[:, column])}")
        print(f"  nicsim, seeds 1001-5000: {describe(fresh[:, column])}")
        print(
            f"  their code, mean of its {published.size} cells: {published.mean():.5f} "
            f"(cells {published.min():.5f}-{published.max():.5f})"
        )


if __name__ == "__main__":
    main()
