"""Model 1 reachable: model 2's code on model 1's settings against nicsim 0.4's results.

    nicsim sweep calibration/model1.toml --workers 2 --out calibration/results/model1
    python calibration/model1.py calibration/results/model1

Compares, design by design, each final metric of the sweep's ``runs.csv`` with the same
metric in ``calibration/model1_reference/runs.csv`` (nicsim 0.4.0's headline experiment,
the same designs, seeds and target): mean and 95% CI of each, and Welch's t-test of the
difference (the two codes draw other random numbers, so runs are not paired across them).
Then each design's paired effect on the final mean outcome (minus siloed, pairs sharing a
seed) in both. Model 1 is reached when the statistics agree within their CIs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from scipy.stats import ttest_ind

from nicsim.analysis.compare import mean_ci, paired_difference
from nicsim.lab.registry import NIC

REFERENCE = Path(__file__).parent / "model1_reference" / "runs.csv"
DESIGNS = ["siloed", "hub", "networked", "complete"]


def _ci(values: pd.Series) -> str:
    m, lo, hi = mean_ci(values)
    return f"{m:.4g} [{lo:.4g}, {hi:.4g}]"


def _welch_p(a: pd.Series, b: pd.Series) -> float:
    """Welch's p; two constant samples are the same (1) or differ (0) without a test."""
    if a.std() == 0 and b.std() == 0:
        return float(a.mean() == b.mean())
    return float(ttest_ind(a, b, equal_var=False).pvalue)


def comparison(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """One row per metric and design: both codes' mean [95% CI] and Welch's p."""
    rows = []
    # the final metrics `nicsim compare` tabulates that 0.4 recorded too, then the months
    # to the target over the runs that reached it
    both = [m for m in NIC.report_metrics if m in old and m in new and m != "steps_to_target"]
    for metric in [*both, "steps_to_target"]:
        for design in DESIGNS:
            a = old.loc[old.design == design, metric].dropna()
            b = new.loc[new.design == design, metric].dropna()
            label = metric if metric != "steps_to_target" else "steps_to_target (runs reaching)"
            extra = f" ({len(a)} / {len(b)})" if metric == "steps_to_target" else ""
            rows.append(
                {
                    "metric": label,
                    "design": design,
                    "nicsim 0.4": _ci(a),
                    "model 2 code, model 1 settings": _ci(b) + extra,
                    "Welch p": _welch_p(a, b),
                }
            )
    return pd.DataFrame(rows)


def design_effects(runs: pd.DataFrame) -> dict[str, str]:
    """Each design's paired effect on the final mean outcome, minus siloed (by seed)."""
    wide = runs.pivot(index="seed", columns="design", values="mean_outcome")
    out = {}
    for design in DESIGNS[1:]:
        r = paired_difference(wide[design], wide["siloed"])
        out[design] = f"{r.mean_diff:+.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"
    return out


def markdown(table: pd.DataFrame) -> str:
    """A Markdown table of ``table``'s rows (p values to three decimals)."""
    cells = table.map(lambda v: f"{v:.3f}" if isinstance(v, float) else str(v))
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the sweep's results folder")
    args = parser.parse_args()
    old, new = pd.read_csv(REFERENCE), pd.read_csv(args.results / "runs.csv")
    table = comparison(old, new)
    print(markdown(table))
    low = table.sort_values("Welch p").head(3)
    print(f"\n{len(table)} comparisons; the smallest Welch p:")
    print(low[["metric", "design", "Welch p"]].to_string(index=False))
    print("\npaired effect on the final mean outcome, minus siloed:")
    effects = {"nicsim 0.4": design_effects(old), "model 2 code": design_effects(new)}
    print(markdown(pd.DataFrame(effects).rename_axis("design").reset_index()))


if __name__ == "__main__":
    main()
