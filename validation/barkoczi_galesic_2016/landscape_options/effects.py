"""Do ``contribution_decimals`` and ``dependencies = "any"`` act? (docs/VALIDATION.md, 4.4)

Two checks of Barkoczi & Galesic's landscape options, each option switched off alone from
their setting (and, for a 2 x 2, the other off too), read pair by pair (same seed: the
same draws of keys and table, rounded or not, and the same starting strings):

1. the landscapes themselves (no dynamics, so no sampling noise beyond the landscape's):
   for every seed, the share of one-bit moves that tie, the strings where a strict
   hill-climber stops (no strictly better one-bit neighbour) and their mean performance,
   and the strict local peaks;
2. the runs of ``sweep.toml`` and ``individual.toml`` (results in ``results/``): final
   mean performance and unique positions per strategy.

    nicsim sweep validation/barkoczi_galesic_2016/landscape_options/sweep.toml \\
        --out validation/barkoczi_galesic_2016/landscape_options/results/landscape_options
    nicsim sweep validation/barkoczi_galesic_2016/landscape_options/individual.toml \\
        --out validation/barkoczi_galesic_2016/landscape_options/results/individual
    python validation/barkoczi_galesic_2016/landscape_options/effects.py

It writes ``effects.md`` beside itself. ``results/`` holds what it reads of the runs,
``runs.csv`` (one row per run, final values), with each sweep's manifest and plan; the
sweeps also write ``timeseries.parquet`` (24 MB in all), which is not committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from nicsim.analysis.compare import paired_differences
from nicsim.analysis.markdown import markdown_table
from nicsim.lab.config import load_config
from nicsim.nic.world import make_landscape

HERE = Path(__file__).resolve().parent
BASE = HERE.parents[2] / "configs" / "replications" / "barkoczi_galesic_2016" / "base.toml"
# (option, its value in their setting, its value off): each switched off alone
OPTIONS = (("contribution_decimals", 1, 0), ("dependencies", "any", "others"))
METRICS = ["mean_outcome", "unique_practices"]


def landscape_rows(seeds: int, ks: list[int]) -> pd.DataFrame:
    """Statistics of every seed's landscape under the four settings of the two options."""
    base = load_config(BASE).params
    n = base.n_components
    codes = np.arange(1 << n)
    flips = codes[:, None] ^ (1 << np.arange(n))[None, :]
    rows = []
    for k in ks:
        for seed in range(1, seeds + 1):
            for decimals in (1, 0):
                for dependencies in ("any", "others"):
                    p = base.replace(k=k, contribution_decimals=decimals, dependencies=dependencies)
                    out = make_landscape(p, seed, 100).outcome(codes, np.zeros_like(codes))
                    moves = out[flips]
                    stops = ~(moves > out[:, None]).any(axis=1)
                    rows.append(
                        {
                            "k": k,
                            "seed": seed,
                            "contribution_decimals": decimals,
                            "dependencies": dependencies,
                            "tied_moves": float((moves == out[:, None]).mean()),
                            "stops": int(stops.sum()),
                            "stop_performance": float(out[stops].mean()),
                            "peaks": int((moves < out[:, None]).all(axis=1).sum()),
                        }
                    )
    return pd.DataFrame(rows)


def effects(frame: pd.DataFrame, within: list[str], metrics: list[str]) -> pd.DataFrame:
    """Each option switched off alone from their setting (the other at theirs), paired by
    seed, within each group of ``within``: their mean, the mean without the option, and
    theirs - without with its 95% CI."""
    rows = []
    for keys, group in frame.groupby(within) if within else [((), frame)]:
        keys = keys if isinstance(keys, tuple) else (keys,)
        for option, theirs, off in OPTIONS:
            other, other_theirs, _ = next(o for o in OPTIONS if o[0] != option)
            sub = group[group[other] == other_theirs]
            diff = paired_differences(sub, option, off, ["seed"], metrics, order=[theirs, off])
            for metric, d in diff.set_index("metric").iterrows():
                rows.append(
                    {
                        **dict(zip(within, keys, strict=True)),
                        "metric": metric,
                        "option off": f"{option} = {off!r}",
                        "theirs": sub.loc[sub[option] == theirs, metric].mean(),
                        "without": sub.loc[sub[option] == off, metric].mean(),
                        "theirs - without [95% CI]": f"{d['mean_diff']:+.4f} "
                        f"[{d['ci_low']:+.4f}, {d['ci_high']:+.4f}]",
                        "n": int(d["n"]),
                    }
                )
    return pd.DataFrame(rows)


def strategy(runs: pd.DataFrame) -> pd.Series:
    if runs["velocity"].eq(0).all():
        return pd.Series("individual", index=runs.index)
    prefix = runs["learning"].map({"copy_best": "best", "conformity": "conf"})
    return prefix + runs["sample_size"].astype(str)


def main(seeds: int = 1000, k_seeds: int = 200) -> None:
    out = ["# Barkoczi & Galesic's landscape options: do they act?", "", __doc__.split("\n\n")[1]]
    land = landscape_rows(seeds, [7])
    stats = ["tied_moves", "stops", "stop_performance", "peaks"]
    out += ["", f"## The landscapes, K = 7 ({seeds} seeds)", ""]
    out += [markdown_table(effects(land, [], stats).round(4))]
    land_k = landscape_rows(k_seeds, [0, 2, 4, 6, 8, 10, 12, 14])
    table = effects(land_k, ["k"], ["stops", "peaks", "stop_performance"]).round(4)
    out += ["", f"## The landscapes by K ({k_seeds} seeds)", "", markdown_table(table)]
    runs = [
        pd.read_csv(HERE / "results" / name / "runs.csv")
        for name in ("landscape_options", "individual")
        if (HERE / "results" / name / "runs.csv").is_file()
    ]
    if runs:
        frame = pd.concat([r.assign(strategy=strategy(r)) for r in runs], ignore_index=True)
        n = frame["seed"].nunique()
        out += ["", f"## The runs, K = 7, fully connected, round 199 ({n} landscapes)", ""]
        out += [markdown_table(effects(frame, ["strategy"], METRICS).round(4))]
    (HERE / "effects.md").write_text("\n".join(out) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
