"""nicsim compare: group means, paired differences under common random numbers, the report."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nicsim.analysis.compare import (
    PAIRED_COLUMNS,
    band,
    ci_row,
    group_order,
    group_summary,
    mean_ci,
    paired_difference,
    paired_differences,
    quantile_ci,
    summary_at,
    summary_table,
    trajectories,
)
from nicsim.analysis.report import comparison_markdown
from nicsim.lab.plans import Plan, Points
from nicsim.lab.registry import for_params
from nicsim.march.params import MarchParams
from nicsim.nic.params import Params
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


def test_compare_by_a_parameter_that_was_not_swept_is_refused(tmp_path, capsys):
    """One group is no comparison: refused, naming the value and what was swept, and no
    comparison.md or figure written."""
    d = tmp_path / "res"
    write_results(d, hand_runs(), ["design"])
    code, out, err = run_cli(["compare", str(d), "--by", "k"], capsys)
    assert code == 2
    assert f"k has one value (4) in {d}: the swept parameters are design" in err
    assert not (d / "comparison.md").exists()
    assert not (d / "figures" / "compare_k_outcome.png").exists()


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


# -- the statistics themselves, on tiny hand-made tables -----------------------------------------
def test_mean_ci_is_the_t_interval_of_the_values_present():
    """mean_ci: NaN is dropped; half width t(0.5 + level / 2, n - 1) * sd(ddof=1) / sqrt(n)."""
    # 1..5: mean 3, sd sqrt(2.5) = 1.581139, se 0.707107
    # t(0.975, 4) = 2.776445 -> half 1.963243; t(0.95, 4) = 2.131847 -> half 1.507443
    values = [1.0, 2.0, np.nan, 3.0, 4.0, 5.0]
    assert mean_ci(values) == pytest.approx((3.0, 3 - 1.963243, 3 + 1.963243), abs=1e-6)
    assert mean_ci(values, 0.90) == pytest.approx((3.0, 3 - 1.507443, 3 + 1.507443), abs=1e-6)
    m, lo, hi = mean_ci([7.0, np.nan])  # one value: its mean, no interval
    assert m == 7.0 and math.isnan(lo) and math.isnan(hi)


def test_ci_row_and_summary_table_count_the_values_present():
    """ci_row: the 95% t interval low then high, and n the non-missing values (not the rows)."""
    runs = pd.DataFrame({"x": [1.0, 2.0, np.nan, 3.0, 4.0, 5.0], "y": [2.0] * 6})
    row = ci_row(runs["x"])
    assert row["n"] == 5
    assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx(
        (3.0, 3 - 1.963243, 3 + 1.963243), abs=1e-6
    )
    table = summary_table(runs, ["x", "y"])
    assert table["metric"].tolist() == ["x", "y"] and table["n"].tolist() == [5, 6]
    assert table["ci_low"].iloc[0] < table["ci_high"].iloc[0]


def test_band_is_the_per_step_t_interval_and_a_point_for_a_single_run():
    """band: per step, mean +- t(0.975, n - 1) * sd(ddof=1) / sqrt(n) over the runs with a
    value; a step with one value has no spread to show, so its band is the mean itself."""
    ts = pd.DataFrame({"step": [0, 0, 0, 0, 1, 1], "x": [1.0, 2.0, np.nan, 3.0, 5.0, np.nan]})
    b = band(ts, "x")
    # step 0: mean 2, sd 1, t(0.975, 2) = 4.302653 -> half 4.302653 / sqrt(3) = 2.484138
    assert b.loc[0].tolist() == pytest.approx([2.0, 2 - 2.484138, 2 + 2.484138], abs=1e-6)
    assert b.loc[1].tolist() == [5.0, 5.0, 5.0]
    # level 0.90: t(0.95, 2) = 2.919986 -> half 1.685854
    assert band(ts, "x", 0.90).loc[0, "hi"] == pytest.approx(2 + 1.685854, abs=1e-6)


def test_an_interval_is_cut_to_the_values_its_metric_can_take():
    """A share of 0, 0, 1: mean 1/3, sd 0.577350, t(0.975, 2) = 4.302653 -> half 1.434218,
    so the t interval [-1.10, 1.77] leaves 0..1; cut to it, it is [0, 1]. A count is cut
    below only; a metric without a range keeps the t interval. The band is cut alike."""
    half = 1.434218
    assert mean_ci([0.0, 0.0, 1.0], within=(0.0, 1.0)) == pytest.approx((1 / 3, 0.0, 1.0))
    assert mean_ci([0, 0, 1], within=(0, math.inf)) == pytest.approx(
        (1 / 3, 0.0, 1 / 3 + half), abs=1e-6
    )
    assert mean_ci([0, 0, 1])[1] == pytest.approx(1 / 3 - half, abs=1e-6)
    runs = pd.DataFrame({"g": ["a"] * 3, "share": [0.0, 0.0, 1.0], "x": [0.0, 0.0, 1.0]})
    ranges = {"share": (0.0, 1.0)}
    table = group_summary(runs, "g", ["share", "x"], ranges=ranges).set_index("metric")
    assert table.loc["share", ["ci_low", "ci_high"]].tolist() == [0.0, 1.0]
    assert table.loc["x", "ci_low"] == pytest.approx(1 / 3 - half, abs=1e-6)
    assert summary_table(runs, ["share"], ranges)[["ci_low", "ci_high"]].values.tolist() == [
        [0.0, 1.0]
    ]
    ts = runs.assign(step=0)
    assert band(ts, "share", within=(0.0, 1.0)).loc[0].tolist() == pytest.approx([1 / 3, 0, 1])


def test_each_models_ranges_name_only_its_metrics_and_hold_their_values():
    """Every range names a metric the model reports and contains the values a short run
    gives (a range that excluded a real value would cut away a true mean)."""
    from nicsim.lab.registry import MARCH, NIC

    for spec, params in ((NIC, Params(steps=6)), (MARCH, MarchParams(max_periods=6))):
        assert set(spec.ranges) <= set(spec.run_metrics), spec.name
        series, summary = spec.outcomes(params, seed=1)
        for metric, (low, high) in spec.ranges.items():
            values = np.asarray(series.get(metric, [summary[metric]]), dtype=float)
            values = values[~np.isnan(values)]
            assert ((low <= values) & (values <= high)).all(), (spec.name, metric)


def test_trajectories_and_summary_at_label_each_group_with_its_own_values():
    """Long-form bands and per-step summaries keep each group's key values in their columns,
    groups sorted by key."""
    ts = pd.DataFrame(
        {
            "design": ["b", "b", "a", "a"],
            "h": [1, 1, 0, 0],
            "step": [0, 0, 0, 0],
            "x": [10.0, 12.0, 1.0, 3.0],
        }
    )
    traj = trajectories(ts, ["design", "h"], ["x"])
    assert traj[["design", "h", "metric", "step", "mean"]].values.tolist() == [
        ["a", 0, "x", 0, 2.0],
        ["b", 1, "x", 0, 11.0],
    ]
    s = summary_at(ts, ["design", "h"], "x")
    assert s[["design", "h", "step", "mean", "n"]].values.tolist() == [
        ["a", 0, 0, 2.0, 2],
        ["b", 1, 0, 11.0, 2],
    ]


def test_quantile_ci_is_type_7_over_the_values_present():
    """Type 7 between order statistics (of 1, 2, 4, 8: 25% is 1.75, 50% is 3, 90% is 6.8);
    NaN is dropped, and ``n`` counts the values present."""
    t = quantile_ci([1.0, np.nan, 2.0, 4.0, 8.0], [25, 50, 90], resamples=200)
    assert t["estimate"].tolist() == pytest.approx([1.75, 3.0, 6.8])
    assert t["n"].tolist() == [4, 4, 4]
    assert t[["ci_low", "ci_high"]].notna().all().all()


def test_quantile_ci_resamples_every_value():
    """Each resample draws from all the values, the last included: the maximum of 0..9 is 9
    in 1 - 0.9**10 = 65% of resamples, so the 95% interval of the 100th percentile reaches 9."""
    t = quantile_ci(np.arange(10.0), [100], resamples=2000, seed=1)
    assert t["ci_high"].iloc[0] == 9.0


def test_quantile_ci_level_sets_the_bootstrap_tails():
    """The median of 1001 evenly spaced values on [0, 1] has standard error 0.5 / sqrt(1001)
    (density 1), so its 95% (90%) percentile-bootstrap interval spans about +-1.96 (+-1.645)
    standard errors; tolerance 0.15 SE (seeds 0-19 give 1.87-2.06 and 1.55-1.74)."""
    x = np.arange(1001) / 1000
    se = 0.5 / np.sqrt(1001)
    for level, z in ((0.95, 1.96), (0.90, 1.645)):
        t = quantile_ci(x, [50], resamples=2000, level=level).iloc[0]
        assert (t["ci_high"] - t["ci_low"]) / 2 / se == pytest.approx(z, abs=0.15)


def test_a_constant_difference_is_certain_in_its_direction_and_none_is_no_difference():
    """sd of the differences 0: t and dz are infinite with the sign of the mean, p = 0, and the
    CI is the point; all differences 0: t = 0, p = 1, dz = 0; a single pair gives its
    difference and nothing else."""
    up = paired_difference([3.0, 4.0, 5.0], [1.0, 2.0, 3.0])  # +2 each
    assert (up.mean_diff, up.ci_low, up.ci_high) == (2.0, 2.0, 2.0)
    assert (up.t, up.p, up.cohens_dz) == (math.inf, 0.0, math.inf)
    down = paired_difference([1.0, 2.0, 3.0], [3.0, 4.0, 5.0])
    assert (down.t, down.p, down.cohens_dz) == (-math.inf, 0.0, -math.inf)
    none = paired_difference([1.0, 2.0], [1.0, 2.0])
    assert (none.mean_diff, none.t, none.p, none.cohens_dz) == (0.0, 0.0, 1.0, 0.0)
    one = paired_difference([2.5, np.nan], [1.0, 1.0])  # one pair: its difference, no test
    assert (one.n, one.mean_diff) == (1, 1.5) and math.isnan(one.ci_low) and math.isnan(one.p)


def test_paired_difference_level_sets_its_interval():
    """HUB - SILOED at level 0.90: half width t(0.95, 3) * se = 2.353363 * 0.012910 = 0.030382."""
    r = paired_difference(HUB, SILOED, level=0.90)
    assert (r.ci_low, r.ci_high) == pytest.approx((0.07 - 0.030382, 0.07 + 0.030382), abs=1e-6)
    assert r.t == pytest.approx(5.422177, abs=1e-6)  # the test itself does not depend on level


def test_group_summary_follows_the_order_it_is_given():
    """An explicit ``order`` sets the rows' order (the report's column order)."""
    got = group_summary(hand_runs(), "design", ["mean_outcome"], order=["hub", "siloed"])
    assert got["group"].tolist() == ["hub", "siloed"]
    assert got["mean"].tolist() == pytest.approx([0.6575, 0.5875])


@pytest.mark.parametrize("design", ["siloed", "hub"])
def test_an_ambiguous_pair_is_refused_on_either_side(design):
    """Two runs of the reference, or of the other group, sharing the pairing key are refused,
    and the message counts both of them."""
    runs = hand_runs()
    runs.loc[(runs["design"] == design) & (runs["seed"] == 2), "seed"] = 1
    with pytest.raises(ValueError, match=f"2 runs with design = {design} share seed = 1"):
        paired_differences(runs, "design", "siloed", ["seed"], ["mean_outcome"])


# -- the report's tables, rendered from hand-made numbers ----------------------------------------
def hand_tables():
    """Summary and paired tables as nicsim.analysis.compare makes them: reference a, group b
    with a p between 0.001 and 0.01, group c without pairs, group d whose pairs have no values."""
    nan = math.nan
    summary = pd.DataFrame(
        [
            ("a", "steps_to_target", 5, 0, nan, nan, nan),
            ("a", "mean_outcome", 5, 5, 0.5, -0.0004, 1.0),
            ("b", "steps_to_target", 4, 1, 12.0, nan, nan),
            ("b", "mean_outcome", 4, 4, 0.7, 0.6, 0.8),
            ("c", "steps_to_target", 3, 3, 9.0, 8.0, 10.0),
            ("c", "mean_outcome", 3, 3, 0.6, 0.5, 0.7),
            ("d", "steps_to_target", 3, 0, nan, nan, nan),
            ("d", "mean_outcome", 3, 0, nan, nan, nan),
        ],
        columns=["group", "metric", "runs", "n", "mean", "ci_low", "ci_high"],
    )
    paired = pd.DataFrame(
        [
            ("b", "steps_to_target", 4, 0, nan, nan, nan, nan, nan, nan),
            ("b", "mean_outcome", 4, 4, 0.2, 0.1, 0.3, 4.5, 0.005, 2.25),
            ("c", "steps_to_target", 0, 0, nan, nan, nan, nan, nan, nan),
            ("c", "mean_outcome", 0, 0, nan, nan, nan, nan, nan, nan),
            ("d", "steps_to_target", 3, 0, nan, nan, nan, nan, nan, nan),
            ("d", "mean_outcome", 3, 0, nan, nan, nan, nan, nan, nan),
        ],
        columns=PAIRED_COLUMNS,
    )
    return summary, paired


def test_the_report_prints_each_number_in_its_place():
    """Group sizes count runs (not values); a cell is mean [low, high], a lone value has no CI,
    -0.000 reads 0.000; the paired table's count is the pairs with values on both sides, p
    below 0.001 alone is "<0.001"; pairs without values are n/a rows, not "no pairs"."""
    summary, paired = hand_tables()
    text = comparison_markdown(
        summary,
        paired,
        experiment="hand",
        by="design",
        reference="a",
        order=["a", "b", "c", "d"],
        n_runs=15,
        pair_on=["seed"],
    )
    lines = text.splitlines()
    assert "| metric | a (reference, n = 5) | b (n = 4) | c (n = 3) | d (n = 3) |" in lines
    assert (
        "| steps_to_target | not reached (0/5) | 12.000 (no CI) (reached 1/4) "
        "| 9.000 [8.000, 10.000] (reached 3/3) | not reached (0/3) |"
    ) in lines
    assert (
        "| mean_outcome | 0.500 [0.000, 1.000] | 0.700 [0.600, 0.800] "
        "| 0.600 [0.500, 0.700] | n/a |"
    ) in lines
    assert "| b | steps_to_target | 0 | n/a | n/a | n/a | n/a |" in lines
    assert "| b | mean_outcome | 4 | 0.200 [0.100, 0.300] | 4.500 | 0.005 | 2.250 |" in lines
    assert "| c | all | 0 | no pairs: no run shares `seed` with a reference run |  |  |  |" in lines
    assert "| d | mean_outcome | 0 | n/a | n/a | n/a | n/a |" in lines


def test_the_report_labels_infinite_and_tiny_p_values():
    """A certain difference (sd 0) prints t and dz as -inf, and p = 0 as "<0.001"."""
    runs = hand_runs()
    paired = paired_differences(runs, "design", "siloed", ["seed"], ["steps_to_target"])
    summary = group_summary(runs, "design", ["steps_to_target"])
    text = comparison_markdown(
        summary,
        paired,
        experiment="hand",
        by="design",
        reference="siloed",
        order=["siloed", "hub"],
        n_runs=8,
        pair_on=["seed"],
    )
    assert "| hub | steps_to_target | 2 | -2.000 [-2.000, -2.000] | -inf | <0.001 | -inf |" in text


def test_a_narrow_interval_shows_two_significant_digits_of_its_width():
    """Three decimals hide a difference of 0.0001 (0.000 [0.000, 0.000]); a narrower
    interval gets the decimals its width needs: width 0.00006 -> 6 decimals; a wide one
    keeps 3, and a value that rounds to zero has no minus sign."""
    summary = pd.DataFrame(
        [("a", "x", 3, 3, 0.5, 0.4, 0.6), ("b", "x", 3, 3, -0.00001, -0.004, 0.004)],
        columns=["group", "metric", "runs", "n", "mean", "ci_low", "ci_high"],
    )
    paired = pd.DataFrame(
        [("b", "x", 3, 3, 0.00012, 0.00009, 0.00015, 9.0, 0.01, 5.0)], columns=PAIRED_COLUMNS
    )
    text = comparison_markdown(
        summary,
        paired,
        experiment="hand",
        by="g",
        reference="a",
        order=["a", "b"],
        n_runs=6,
        pair_on=["seed"],
    )
    assert "| x | 0.500 [0.400, 0.600] | 0.0000 [-0.0040, 0.0040] |" in text
    assert "| b | x | 3 | 0.000120 [0.000090, 0.000150] | 9.000 | 0.010 | 5.000 |" in text


# -- the summary a run or sweep prints ----------------------------------------------------------
def summary_of(tmp_path, monkeypatch, plan, metrics=None):
    """summary_text on a hand-made results directory (figures not drawn): four runs, h 0.5,
    0.0, 0.5, 0.5; mean_outcome 0.5, 0.6, 0.6, 0.9; steps_to_target 10, -, 14, -."""
    from nicsim.analysis import plots
    from nicsim.analysis.report import summary_text

    monkeypatch.setattr(plots, "outcome_figure", lambda *a, **k: None)
    monkeypatch.setattr(plots, "group_trajectories", lambda *a, **k: None)
    runs = pd.DataFrame(
        {
            "run_id": range(4),
            "h": [0.5, 0.0, 0.5, 0.5],
            "mean_outcome": [0.5, 0.6, 0.6, 0.9],
            "steps_to_target": [10, np.nan, 14, np.nan],
        }
    )
    runs.to_csv(tmp_path / "runs.csv", index=False)
    panels = {m: 0.0 for m, _, _ in for_params(plan.base).panels}
    ts = runs[["run_id", "h"]].assign(step=0, **panels)
    ts.to_parquet(tmp_path / "timeseries.parquet")
    return summary_text(tmp_path, plan, metrics).splitlines()


def test_only_outcome_panels_are_labelled_with_the_outcome_units():
    """A skill (0 to 1), a count of ties or a belief's error is not a percent of the way to
    the best; the mean outcome and the equity gap are, or in power units 1 = best."""
    from nicsim.analysis.report import panel_labels

    labels = dict(panel_labels(Params()))
    assert labels["mean_outcome"] == "Mean outcome (% of the way to the best)"
    assert labels["equity_gap"] == "Equity gap (top - bottom quarter) (% of the way to the best)"
    assert labels["mean_skill"] == "Mean leader skill"
    assert labels["personal_ties"] == "Personal ties alive"
    assert labels["university_belief_error"] == "Universities' belief error (RMS)"
    model1 = dict(judgment="model1", research_quality=1.0)  # as power units allow
    power = dict(panel_labels(Params(outcome_units="power", target=0.9, **model1)))
    assert power["mean_outcome"] == "Mean outcome (1 = best)"
    assert power["mean_skill"] == "Mean leader skill"
    assert dict(panel_labels(MarchParams()))["code_knowledge"] == "Code knowledge"


def test_a_runs_summary_prints_the_mean_and_t_interval_of_each_metric(tmp_path, monkeypatch):
    """mean_outcome: mean 0.65, sd 0.173205, t(0.975, 3) = 3.182446 -> half 0.275608;
    steps_to_target over the 2 runs that reached it: 12, sd 2.828427, t(0.975, 1) = 12.706205
    -> half 25.412410, and a step count cannot be below 0, so its interval is cut there."""
    lines = summary_of(
        tmp_path, monkeypatch, Plan("hand", Params()), ["mean_outcome", "steps_to_target"]
    )
    assert lines[1:] == [
        "  mean_outcome                0.650  [0.374, 0.926]",
        "  steps_to_target            12.000  [0.000, 37.412]  (reached in 2 runs)",
    ]


def test_a_sweeps_summary_prints_mean_sd_and_count_per_sorted_group(tmp_path, monkeypatch):
    """h = 0.5: 0.5, 0.6, 0.9, mean 0.667 (not the median 0.6), sd 0.208; h = 0.0 first."""
    plan = Plan("hand", Params(), Points({"h": [0.5, 0.0]}), replications=2)
    lines = summary_of(tmp_path, monkeypatch, plan)
    assert lines[0].startswith("4 runs in ") and "(2 parameter sets x 2 replications)" in lines[0]
    assert [line.split() for line in lines[3:]] == [
        ["0.0", "0.600", "NaN", "1"],
        ["0.5", "0.667", "0.208", "3"],
    ]


def test_a_sweeps_figure_draws_its_groups_in_the_order_compare_gives_them(tmp_path, monkeypatch):
    """outcome.png and compare's figures colour a group alike: both draw the groups in
    the grid's order (siloed before hub), not the alphabet's."""
    from nicsim.analysis import plots
    from nicsim.analysis.report import summary_text

    drawn = {}
    monkeypatch.setattr(plots, "group_trajectories", lambda *a, **k: drawn.update(order=a[5]))
    runs = pd.DataFrame(
        {"run_id": range(4), "design": ["siloed", "hub"] * 2, "mean_outcome": [1.0, 2, 3, 4]}
    )
    runs.to_csv(tmp_path / "runs.csv", index=False)
    panels = {m: 0.0 for m, _, _ in for_params(Params()).panels}
    runs[["run_id", "design"]].assign(step=0, **panels).to_parquet(tmp_path / "timeseries.parquet")
    plan = Plan("hand", Params(), Points({"design": ["siloed", "hub"]}), replications=2)
    summary_text(tmp_path, plan, ["mean_outcome"])
    assert drawn["order"] == ["siloed", "hub"] == group_order(runs, "design")


def test_runs_missing_the_compared_value_are_a_group_of_their_own():
    """Grouping by a column some runs leave empty (``--by steps_to_target``: runs that never
    reached the target): those runs form one group, counted, summarised and paired like any
    other, never a group of 0 runs (NaN equals nothing in pandas)."""
    runs = pd.DataFrame(
        {
            "seed": [1, 2, 3, 1, 2],
            "steps_to_target": [10.0, 10.0, 10.0, np.nan, np.nan],
            "mean_outcome": [1.0, 2.0, 3.0, 5.0, 8.0],
        }
    )
    order = group_order(runs, "steps_to_target")
    assert order[0] == 10.0 and math.isnan(order[1]) and len(order) == 2
    summary = group_summary(runs, "steps_to_target", ["mean_outcome"], order)
    assert summary["runs"].tolist() == [3, 2]
    assert summary["mean"].tolist() == [2.0, 6.5]
    paired = paired_differences(runs, "steps_to_target", 10.0, ["seed"], ["mean_outcome"], order)
    assert paired["pairs"].tolist() == [2] and paired["mean_diff"].tolist() == [5.0]  # 4 and 6
    text = comparison_markdown(
        summary,
        paired,
        experiment="hand",
        by="steps_to_target",
        reference=10.0,
        order=order,
        n_runs=5,
        pair_on=["seed"],
    )
    assert "| metric | 10.0 (reference, n = 3) | nan (n = 2) |" in text
    assert "| nan | mean_outcome | 2 | 5.000" in text
    missing = paired_differences(runs, "steps_to_target", order[1], ["seed"], ["mean_outcome"])
    assert missing["group"].tolist() == [10.0] and missing["mean_diff"].tolist() == [-5.0]
