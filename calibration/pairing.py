"""Do pairs stay paired? The spread of paired differences against that of single runs.

    python calibration/pairing.py configs/model1.toml
    python calibration/pairing.py configs/default.toml [--seeds 40] [--set KEY=VALUE ...]

Runs the config (hub design unless ``--set`` says otherwise) for seeds 1..S at two
turnover rates, 0.19 and 0.3, and compares the final ``mean_outcome`` of each seed's pair:
the sd of the paired differences, the between-seed sd at each rate, and the ratio of the
first to the between-seed sd at 0.19. Common
random numbers help a paired comparison only as far as that ratio is below 1 (below
about 0.7, halving the seeds a paired comparison needs).
"""

from __future__ import annotations

import argparse

import numpy as np

from nicsim.lab.config import load_config, parse_overrides
from nicsim.lab.single_run import simulate

RATES = (0.19, 0.3)


def final_means(config: str, overrides: dict, seeds: range) -> np.ndarray:
    """Final mean outcome, one row per seed, one column per turnover rate."""
    out = np.empty((len(seeds), len(RATES)))
    for j, rate in enumerate(RATES):
        p = load_config(config, {"design": "hub", **overrides, "turnover_rate": rate}).params
        for i, seed in enumerate(seeds):
            out[i, j] = simulate(seed, **p.to_dict())["mean_outcome"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    runs = final_means(args.config, parse_overrides(args.set), range(1, args.seeds + 1))
    paired = np.std(runs[:, 1] - runs[:, 0], ddof=1)
    between = np.std(runs, axis=0, ddof=1)
    print(f"{args.config}, {args.seeds} seeds, turnover_rate {RATES[0]} and {RATES[1]}")
    print(f"  sd of paired differences  {paired:.3g}")
    print(f"  between-seed sd           {between[0]:.3g} / {between[1]:.3g}")
    print(f"  ratio to the sd at {RATES[0]}   {paired / between[0]:.2f}")


if __name__ == "__main__":
    main()
