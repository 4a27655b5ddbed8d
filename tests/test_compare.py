"""nicsim compare: group means, paired differences under common random numbers, the report."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nicsim.analysis.compare import group_order, group_summary, paired_differences
from nicsim.ui.cli import SUMMARY_METRICS, main

# Two designs x four seeds. With common random numbers, seed s of both designs faces the same
# landscape from the same start, so run s of "hub" pairs with run s of "siloed".
SILOED = [0.50, 0.60, 0.55, 0.70]
HUB = [0.58, 0.66, 0.59, 0.80]


def hand_runs() -> pd.DataFrame:
    rows = []
    for design, values, steps in (
        ("siloed", SILOED, [None, 20, None, 12]),
        ("hub", HUB, [30, 18, None, 10]),
    ):
        for r, (value, reached) in enumerate(zip(values, steps, strict=True)):
            rows.append(
                {
                    "seed": r + 1,
                    "replication": r,
                    "design": design,
                    "k": 4,
                    "mean_outcome": value,
                    "steps_to_target": np.nan if reached is None else reached,
                }
            )
    runs = pd.DataFrame(rows)
    runs.insert(0, "run_id", range(len(runs)))
    return runs


def test_paired_difference_matches_a_hand_computed_example():
    # differences hub - siloed, seed by seed: 0.08, 0.06, 0.04, 0.10
    # mean d = 0.28 / 4 = 0.07
    # deviations 0.01, -0.01, -0.03, 0.03; sum of squares 0.0020; sd = sqrt(0.0020 / 3) = 0.025820
    # se = sd / sqrt(4) = 0.012910; t = 0.07 / 0.012910 = 5.4222 on 3 df
    # p = 2 * P(T3 > 5.4222) = 0.012308 (scipy.stats.ttest_rel gives the same below)
    # 95% CI: t(0.975, 3) = 3.182446; half width 3.182446 * 0.012910 = 0.041085
    #         -> [0.028915, 0.111085]
    # Cohen's dz = mean / sd = 0.07 / 0.025820 = 2.7111
    got = paired_differences(hand_runs(), "design", "siloed", ["seed"], ["mean_outcome"])
    assert len(got) == 1
    row = got.iloc[0]
    assert row["group"] == "hub" and row["metric"] == "mean_outcome"
    assert row["pairs"] == 4 and row["n"] == 4
    assert row["mean_diff"] == pytest.approx(0.07)
    assert row["ci_low"] == pytest.approx(0.028915, abs=1e-6)
    assert row["ci_high"] == pytest.approx(0.111085, abs=1e-6)
    assert row["t"] == pytest.approx(5.422177, abs=1e-6)
    assert row["p"] == pytest.approx(0.012308, abs=1e-6)
    assert row["cohens_dz"] == pytest.approx(2.711088, abs=1e-6)
    check = stats.ttest_rel(HUB, SILOED)
    assert row["t"] == pytest.approx(check.statistic)
    assert row["p"] == pytest.approx(check.pvalue)


def test_pairs_follow_the_seed_not_the_row_order():
    runs = hand_runs().sample(frac=1.0, random_state=3)  # shuffled rows, same pairs
    got = paired_differences(runs, "design", "siloed", ["seed"], ["mean_outcome"])
    assert got.iloc[0]["mean_diff"] == pytest.approx(0.07)
    assert got.iloc[0]["t"] == pytest.approx(5.422177, abs=1e-6)


def test_missing_values_drop_only_their_pairs():
    # steps_to_target: siloed [-, 20, -, 12], hub [30, 18, -, 10]: both reached for seeds 2 and
    # 4 only, differences -2 and -2, so mean -2 with sd 0 (a certain, constant difference).
    got = paired_differences(hand_runs(), "design", "siloed", ["seed"], ["steps_to_target"])
    row = got.iloc[0]
    assert row["pairs"] == 4 and row["n"] == 2
    assert row["mean_diff"] == pytest.approx(-2.0)
    assert row["cohens_dz"] == -math.inf and row["p"] == 0.0


def test_group_summary_means_cis_and_counts():
    # siloed: mean 0.5875, sd 0.085391, half width 3.182446 * 0.085391 / 2 = 0.135877
    got = group_summary(hand_runs(), "design", ["mean_outcome", "steps_to_target"])
    assert list(got["group"]) == ["siloed", "siloed", "hub", "hub"]  # first-seen order
    row = got[(got["group"] == "siloed") & (got["metric"] == "mean_outcome")].iloc[0]
    assert row["runs"] == 4 and row["n"] == 4
    assert row["mean"] == pytest.approx(0.5875)
    assert row["ci_low"] == pytest.approx(0.5875 - 0.135877, abs=1e-6)
    assert row["ci_high"] == pytest.approx(0.5875 + 0.135877, abs=1e-6)
    steps = got[(got["group"] == "hub") & (got["metric"] == "steps_to_target")].iloc[0]
    assert steps["runs"] == 4 and steps["n"] == 3 and steps["mean"] == pytest.approx(58 / 3)


def test_group_order_sorts_numbers_and_keeps_text_in_first_seen_order():
    runs = pd.DataFrame({"h": [0.5, 0.0, 0.25, 0.0], "design": ["siloed", "hub", "siloed", "net"]})
    assert group_order(runs, "h") == [0.0, 0.25, 0.5]
    assert group_order(runs, "design") == ["siloed", "hub", "net"]


def grid_runs() -> pd.DataFrame:
    """design x h x 3 seeds. The hub's gain is 0.10-0.14 at h = 0 and 0.20-0.24 at h = 0.5."""
    rows = []
    for design in ("siloed", "hub"):
        for h, gains in ((0.0, [0.10, 0.12, 0.14]), (0.5, [0.20, 0.22, 0.24])):
            for r in range(3):
                base = 0.3 + 0.1 * r + h  # the same problem for both designs
                value = base + (gains[r] if design == "hub" else 0.0)
                rows.append(
                    {
                        "seed": 10 + r,
                        "replication": r,
                        "design": design,
                        "h": h,
                        "mean_outcome": value,
                    }
                )
    runs = pd.DataFrame(rows).sample(frac=1.0, random_state=1)
    runs.insert(0, "run_id", range(len(runs)))
    return runs


def test_pairs_are_formed_within_the_same_value_of_the_other_swept_parameters():
    # pairs (seed, h): differences 0.10, 0.12, 0.14, 0.20, 0.22, 0.24, mean 1.02 / 6 = 0.17
    got = paired_differences(grid_runs(), "design", "siloed", ["seed", "h"], ["mean_outcome"])
    row = got.iloc[0]
    assert row["pairs"] == 6 and row["n"] == 6
    assert row["mean_diff"] == pytest.approx(0.17)
    d = np.array([0.10, 0.12, 0.14, 0.20, 0.22, 0.24])
    assert row["cohens_dz"] == pytest.approx(d.mean() / d.std(ddof=1))


def test_pairing_on_the_seed_alone_is_refused_when_ambiguous():
    with pytest.raises(ValueError, match="cannot pair runs"):
        paired_differences(grid_runs(), "design", "siloed", ["seed"], ["mean_outcome"])


def test_groups_without_shared_seeds_get_no_pairs_instead_of_an_error():
    runs = hand_runs()
    runs.loc[runs["design"] == "hub", "seed"] += 100
    row = paired_differences(runs, "design", "siloed", ["seed"], ["mean_outcome"]).iloc[0]
    assert row["pairs"] == 0 and row["n"] == 0 and math.isnan(row["mean_diff"])


# -- the command ------------------------------------------------------------------------------
def write_results(path, runs: pd.DataFrame, swept: list[str]) -> None:
    """A results directory as a sweep writes it: runs.csv, timeseries.parquet, plan.json."""
    path.mkdir()
    runs = runs.copy()
    for metric in SUMMARY_METRICS:
        if metric not in runs:
            runs[metric] = runs["mean_outcome"] / 2 if metric != "steps_to_target" else np.nan
    runs.to_csv(path / "runs.csv", index=False)
    series = []
    for row in runs.itertuples():
        for step in range(3):
            series.append(
                {
                    "run_id": row.run_id,
                    "seed": row.seed,
                    "replication": row.replication,
                    **{k: getattr(row, k) for k in swept},
                    "step": step,
                    "mean_outcome": row.mean_outcome * step / 2,
                    "equity_gap": row.equity_gap * step / 2,
                }
            )
    pd.DataFrame(series).to_parquet(path / "timeseries.parquet", index=False)
    (path / "plan.json").write_text(json.dumps({"name": "hand", "swept": swept}))


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_writes_the_report_and_the_figures(tmp_path, capsys):
    d = tmp_path / "res"
    write_results(d, hand_runs(), ["design"])
    code, out, err = run_cli(["compare", str(d), "--by", "design", "--reference", "siloed"], capsys)
    assert code == 0, err
    text = (d / "comparison.md").read_text()
    assert out == text
    assert not list(d.glob("*.tmp"))
    assert text.startswith("# Comparison by `design`")
    assert "Compared 8 runs" in text and "reference `design = siloed`" in text
    assert "share `seed`" in text
    assert "| metric | siloed (reference, n = 4) | hub (n = 4) |" in text
    assert "| hub | mean_outcome | 4 | 0.070 [0.029, 0.111] | 5.422 | 0.012 | 2.711 |" in text
    assert "(reached 2/4)" in text and "(reached 3/4)" in text
    assert "## How to read" in text and "0.8 large" in text
    for kind in ("outcome", "final", "equity"):
        assert (d / "figures" / f"compare_design_{kind}.png").stat().st_size > 1000


@pytest.mark.slow
def test_reference_is_matched_as_a_number_and_defaults_follow_the_plan(tmp_path, capsys):
    d = tmp_path / "grid"
    write_results(d, grid_runs(), ["design", "h"])
    code, out, _ = run_cli(["compare", str(d), "--by", "h", "--reference", "0.50"], capsys)
    assert code == 0
    assert "reference `h = 0.5`" in out and "share `seed` and `design`" in out
    assert "| metric | 0.0 (n = 6) | 0.5 (reference, n = 6) |" in out
    code, out, _ = run_cli(["compare", str(d)], capsys)  # default: first swept, first group
    assert code == 0
    assert "by `design`" in out and "reference `design = siloed`" in out
    assert "| hub | mean_outcome | 6 | 0.170 [" in out


def test_compare_by_a_parameter_that_was_not_swept(tmp_path, capsys):
    d = tmp_path / "res"
    write_results(d, hand_runs(), ["design"])
    code, out, err = run_cli(["compare", str(d), "--by", "k"], capsys)
    assert code == 0, err
    assert "Only one group of `k`" in out
    assert (d / "figures" / "compare_k_outcome.png").exists()


@pytest.mark.slow
def test_compare_says_so_when_no_run_can_be_paired(tmp_path, capsys):
    runs = hand_runs()
    runs.loc[runs["design"] == "hub", "seed"] += 100
    d = tmp_path / "res"
    write_results(d, runs, ["design"])
    code, out, _ = run_cli(["compare", str(d), "--by", "design"], capsys)
    assert code == 0
    assert "| hub | all | 0 | no pairs: no run shares `seed` with a reference run |" in out


@pytest.mark.parametrize(
    "args, words",
    [
        (["--by", "colour"], ["colour", "not a column", "swept parameters are design"]),
        (["--by", "design", "--reference", "mesh"], ["mesh", "expected one of siloed, hub"]),
        ("missing", ["does not exist"]),
        ("empty", ["has no runs.csv"]),
    ],
)
def test_bad_compare_input_is_one_line_with_status_2(tmp_path, capsys, args, words):
    d = tmp_path / "res"
    write_results(d, hand_runs(), ["design"])
    (tmp_path / "empty").mkdir()
    argv = (
        ["compare", str(tmp_path / args)] if isinstance(args, str) else ["compare", str(d), *args]
    )
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == ""
    assert err.startswith("nicsim: error: ") and err.count("\n") == 1
    for word in words:
        assert word in err
