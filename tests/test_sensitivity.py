"""Sensitivity analysis: known rankings on toy functions, and the command end to end."""

import numpy as np
import pandas as pd
import pytest

from nicsim.lab import sensitivity


def linear(x: np.ndarray) -> np.ndarray:
    return 10 * x[:, 0] + 3 * x[:, 1] + 0 * x[:, 2]


def test_morris_on_a_linear_toy_recovers_the_exact_effects():
    """For y = 10 a + 3 b + 0 c every elementary effect equals the coefficient."""
    prob = sensitivity.problem({"a": (0, 1), "b": (0, 1), "c": (0, 1)})
    x = sensitivity.sample(prob, "morris", 20, seed=1)
    table = sensitivity.analyze(prob, x, linear(x), "morris", seed=1)
    assert table["parameter"].tolist() == ["a", "b", "c"]
    assert table["mu_star"].tolist() == pytest.approx([10, 3, 0], abs=1e-9)
    assert table["sigma"].tolist() == pytest.approx([0, 0, 0], abs=1e-9)


def test_morris_ranks_a_nonlinear_toy():
    """y = a**2 * 8 + sin(b) + 0.1 c: ranking a > b > c, and a's effects vary (sigma > 0)."""
    prob = sensitivity.problem({"a": (0, 1), "b": (0, 1), "c": (0, 1)})
    x = sensitivity.sample(prob, "morris", 30, seed=2)
    y = 8 * x[:, 0] ** 2 + np.sin(x[:, 1]) + 0.1 * x[:, 2]
    table = sensitivity.analyze(prob, x, y, "morris", seed=2).set_index("parameter")
    assert list(table.index) == ["a", "b", "c"]
    assert table.loc["a", "sigma"] > 0.5 and table.loc["c", "sigma"] == pytest.approx(0, abs=1e-9)


def test_sobol_on_a_linear_toy():
    """y = 4 a + 2 b on uniform inputs: S1 = 16/20 and 4/20, c none (tolerance 0.1)."""
    prob = sensitivity.problem({"a": (0, 1), "b": (0, 1), "c": (0, 1)})
    x = sensitivity.sample(prob, "sobol", 1024, seed=3)
    y = 4 * x[:, 0] + 2 * x[:, 1]
    table = sensitivity.analyze(prob, x, y, "sobol", seed=3).set_index("parameter")
    assert table.loc["a", "S1"] == pytest.approx(0.8, abs=0.1)
    assert table.loc["b", "S1"] == pytest.approx(0.2, abs=0.1)
    assert table.loc["c", "ST"] == pytest.approx(0.0, abs=0.05)


def test_sobol_needs_a_power_of_two():
    prob = sensitivity.problem({"a": (0, 1)})
    with pytest.raises(sensitivity.ConfigError, match="power of 2"):
        sensitivity.sample(prob, "sobol", 100, seed=1)


def test_sensitivity_command_runs_the_model_through_the_store(tmp_path, root, capsys):
    from nicsim.ui.cli import main

    sweep = tmp_path / "sens.toml"
    sweep.write_text(
        f'base = "{root / "configs/default.toml"}"\nreplications = 1\nseed = 3\n'
        "[params]\nsteps = 3\npartnerships = 2\nn_components = 8\nk = 2\n"
        "[sample]\npoints = 2\n[sample.ranges]\nh = [0, 1]\nturnover_rate = [0, 0.4]\n"
    )
    out = tmp_path / "o"
    assert (
        main(["sensitivity", str(sweep), "--method", "morris", "--workers", "1", "--out", str(out)])
        == 0
    )
    text = capsys.readouterr().out
    assert "mu_star" in text and "turnover_rate" in text
    assert (out / "sensitivity.md").exists()
    assert (out / "figures" / "sensitivity_morris.png").exists()
    assert len((out / "runs.csv").read_text().splitlines()) == 1 + 2 * 3  # 2 trajectories x 3


def test_a_dummy_range_marks_what_cannot_be_told_from_no_effect():
    """y = 10 a + 0.001 b + noise: a acts; b, far below the noise the dummy picks up, is
    inert; the dummy is labelled as such."""
    prob = sensitivity.problem({"a": (0, 1), "b": (0, 1), "dummy": (0, 1)})
    x = sensitivity.sample(prob, "morris", 20, seed=4)
    y = 10 * x[:, 0] + 0.001 * x[:, 1] + np.random.default_rng(4).normal(0, 0.5, len(x))
    table = sensitivity.analyze(prob, x, y, "morris", seed=4).set_index("parameter")
    assert table.loc["a", "vs_dummy"] == "acts"
    assert table.loc["b", "vs_dummy"] == "inert"
    assert table.loc["dummy", "vs_dummy"] == "dummy"


def test_a_parameter_is_inert_only_when_it_acts_on_no_output():
    """y1 = 10 a + noise and y2 = 10 b + noise: a acts on y1 alone, b on y2 alone, c (read
    by neither) on none, and the verdict across outputs says exactly that."""
    prob = sensitivity.problem({"a": (0, 1), "b": (0, 1), "c": (0, 1), "dummy": (0, 1)})
    x = sensitivity.sample(prob, "morris", 20, seed=5)
    noise = np.random.default_rng(5).normal(0, 0.5, (2, len(x)))
    tables = {
        "y1": sensitivity.analyze(prob, x, 10 * x[:, 0] + noise[0], "morris", seed=5),
        "y2": sensitivity.analyze(prob, x, 10 * x[:, 1] + noise[1], "morris", seed=5),
    }
    verdicts = sensitivity.acts_on(tables).set_index("parameter")
    assert list(verdicts.index) == ["a", "b", "c"]  # the first output's order, no dummy
    assert verdicts.loc["a"].tolist() == ["y1", "y2"]
    assert verdicts.loc["b"].tolist() == ["y2", "y1"]
    assert verdicts.loc["c"].tolist() == ["", "y1, y2"]


def tiny_sweep_with_a_dummy(tmp_path, root):
    """A sweep file of 2 Morris trajectories over h and a dummy, 3 months a run."""
    sweep = tmp_path / "sens.toml"
    sweep.write_text(
        f'base = "{root / "configs/default.toml"}"\nreplications = 1\nseed = 3\n'
        "[params]\nsteps = 3\npartnerships = 2\nn_components = 8\nk = 2\n"
        "[sample]\npoints = 2\n[sample.ranges]\nh = [0, 1]\ndummy = [0, 1]\n"
    )
    return sweep


def test_several_outputs_get_a_section_a_figure_and_a_verdict_each(tmp_path, root, capsys):
    from nicsim.ui.cli import main

    sweep = tiny_sweep_with_a_dummy(tmp_path, root)
    out = tmp_path / "o"
    outputs = ["--output", "average_outcome", "--output", "total_tests_run"]
    args = ["sensitivity", str(sweep), "--workers", "1", "--out", str(out), *outputs]
    assert main(args) == 0
    text = (out / "sensitivity.md").read_text()
    assert text.startswith("# Morris sensitivity of 2 outputs")
    assert "## Across outputs" in text and "Inert on every output:" in text
    assert "## Morris sensitivity of final average_outcome" in text
    assert "## Morris sensitivity of final total_tests_run" in text
    assert (out / "figures" / "sensitivity_morris.png").exists()
    assert (out / "figures" / "sensitivity_morris_total_tests_run.png").exists()
    # an unknown output is refused before anything runs
    capsys.readouterr()
    bad = ["sensitivity", str(sweep), "--out", str(tmp_path / "b"), "--output", "nope"]
    assert main(bad) == 2
    assert "--output 'nope' is not allowed" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_the_dummy_reaches_the_model_only_as_a_realisation_of_its_random_events(
    tmp_path, root, capsys
):
    from nicsim.ui.cli import main

    sweep = tiny_sweep_with_a_dummy(tmp_path, root)
    out = tmp_path / "o"
    args = ["sensitivity", str(sweep), "--method", "morris", "--workers", "1", "--out", str(out)]
    assert main(args) == 0
    runs = pd.read_csv(out / "runs.csv")
    assert "dummy" not in runs.columns and "h" in runs.columns
    # its levels 0, 1/3, 2/3, 1 become salts of the keyed draws; nothing else reads it
    assert set(runs["dynamics_seed"]) <= {0, 333, 667, 1000}
    assert runs["dynamics_seed"].nunique() > 1
    text = (out / "sensitivity.md").read_text()
    assert "| dummy |" in text.replace("`", "") or "dummy" in text
    assert "vs_dummy" in text


def test_a_dummy_range_must_be_two_increasing_numbers(tmp_path, root):
    from nicsim.lab.sweeps import load_sweep

    sweep = tmp_path / "s.toml"
    sweep.write_text(
        f'base = "{root / "configs/default.toml"}"\n[sample]\npoints = 2\n'
        '[sample.ranges]\ndummy = [1, "x"]\n'
    )
    with pytest.raises(sensitivity.ConfigError, match=r"sample.ranges.dummy = \[1, 'x'\]"):
        load_sweep(sweep)


def test_morris_keeps_the_sign_in_mu_and_drops_it_in_mu_star():
    """y = -10 a + 3 b: mu* = |EE| = 10, 3, 0 (ranked by mu*, not mu) and mu = -10, 3, 0."""
    prob = sensitivity.problem({"a": (0, 1), "b": (0, 1), "c": (0, 1)})
    x = sensitivity.sample(prob, "morris", 10, seed=1)
    y = -10 * x[:, 0] + 3 * x[:, 1]
    table = sensitivity.analyze(prob, x, y, "morris", seed=1)
    assert table["parameter"].tolist() == ["a", "b", "c"]
    assert table["mu_star"].tolist() == pytest.approx([10, 3, 0], abs=1e-9)
    assert table["mu"].tolist() == pytest.approx([-10, 3, 0], abs=1e-9)
    assert table["mu_star_conf"].tolist() == pytest.approx([0, 0, 0], abs=1e-9)


def test_morris_effects_are_per_unit_of_each_range():
    """y = 10 a with a in [2, 4] (width 2) and b in [5, 6]: an elementary effect is the change
    in y over the step as a share of the range, 10 * 2 = 20, so the bounds reach the sample."""
    prob = sensitivity.problem({"a": (2, 4), "b": (5, 6)})
    x = sensitivity.sample(prob, "morris", 10, seed=1)
    assert (x[:, 0].min(), x[:, 0].max(), x[:, 1].min(), x[:, 1].max()) == (2, 4, 5, 6)
    table = sensitivity.analyze(prob, x, 10 * x[:, 0], "morris").set_index("parameter")
    assert table.loc["a", "mu"] == pytest.approx(20) and table.loc["b", "mu_star"] == 0


@pytest.mark.parametrize("method, n", [("morris", 4), ("sobol", 8)])
def test_the_sample_follows_its_seed(method, n):
    """The same seed draws the same sample (a sensitivity experiment can be redone); another
    seed draws another."""
    prob = sensitivity.problem({"a": (0, 1), "b": (0, 1)})
    x = sensitivity.sample(prob, method, n, seed=7)
    assert len(x) == sensitivity.rows(method, n, 2)
    assert np.array_equal(x, sensitivity.sample(prob, method, n, seed=7))
    assert not np.array_equal(x, sensitivity.sample(prob, method, n, seed=8))


def test_sobol_tells_first_order_from_total_effects():
    """y = 4 (a - 1/2)(b - 1/2) + c on uniform inputs: a and b act only together, S1 = 0 and
    ST = (1/9) / (7/36) = 4/7; c acts alone, S1 = ST = 3/7. Ranked by ST, c comes last
    (tolerance 0.03)."""
    prob = sensitivity.problem({"a": (0, 1), "b": (0, 1), "c": (0, 1)})
    x = sensitivity.sample(prob, "sobol", 1024, seed=3)
    y = 4 * (x[:, 0] - 0.5) * (x[:, 1] - 0.5) + x[:, 2]
    table = sensitivity.analyze(prob, x, y, "sobol", seed=3)
    assert table["parameter"].iloc[-1] == "c"
    table = table.set_index("parameter")
    assert table["S1"].tolist() == pytest.approx([0, 0, 3 / 7], abs=0.03)
    assert table["ST"].tolist() == pytest.approx([4 / 7, 4 / 7, 3 / 7], abs=0.03)


def test_against_dummy_calls_inert_what_overlaps_the_dummys_interval():
    """The dummy's interval is 0.125 +- 0.125, reaching 0.25. A parameter acts only when its
    interval lies wholly above that: its low end, mu* - conf, above the dummy's high end."""
    table = pd.DataFrame(
        {
            "parameter": ["a", "b", "c", "d", "dummy"],
            "mu_star": [0.5, 0.375, 0.5, 0.5, 0.125],
            "mu_star_conf": [0.125, 0.25, 0.3125, 0.25, 0.125],
        }
    )
    # low ends: a 0.375 (acts), b 0.125 (mu* above 0.25, interval not), c 0.1875 (above
    # the dummy's mu* but below its high end), d 0.25 (touches it: overlaps)
    assert sensitivity.against_dummy(table) == ["acts", "inert", "inert", "inert", "dummy"]
    # a parameter no run of the screen reads is said to be so, whatever its interval
    verdicts = sensitivity.against_dummy(table, unread={"a", "b"})
    assert verdicts == ["not read", "not read", "inert", "inert", "dummy"]


def test_every_verdict_has_a_shade_in_the_figure(tmp_path):
    """Each verdict a Morris table can hold, the one without an interval (n/a) and the one
    of a range no run reads included, is drawn."""
    from nicsim.analysis.plots import sensitivity_figure

    table = pd.DataFrame(
        {
            "parameter": ["a", "b", "c", "d", "dummy"],
            "mu_star": [0.5, 0.1, np.nan, 0.0, 0.125],
            "mu_star_conf": [0.1, 0.1, np.nan, 0.0, 0.125],
            "sigma": [0.2, 0.1, np.nan, 0.0, 0.1],
            "vs_dummy": ["acts", "inert", "n/a", "not read", "dummy"],
        }
    )
    path = sensitivity_figure(table, "morris", tmp_path / "s.png", "all verdicts")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_mu_star_conf_is_the_interval_of_mu_star_not_the_spread_of_the_effects():
    """y = a b: a's elementary effect is the value of b where a steps (0, 1/3, 2/3 or 1), so
    its effects spread (sigma about 0.37), while over 100 trajectories mu* is known to about
    1.96 sigma / sqrt(100) (SALib's bootstrap, 100 resamples: tolerance 30%)."""
    prob = sensitivity.problem({"a": (0, 1), "b": (0, 1)})
    x = sensitivity.sample(prob, "morris", 100, seed=6)
    table = sensitivity.analyze(prob, x, x[:, 0] * x[:, 1], "morris", seed=6)
    a = table.set_index("parameter").loc["a"]
    assert a["sigma"] == pytest.approx(0.37, abs=0.05)
    assert a["mu_star_conf"] == pytest.approx(1.96 * a["sigma"] / 10, rel=0.3)


@pytest.mark.parametrize("method, n", [("morris", 10), ("sobol", 64)])
def test_the_analysis_follows_its_seed(method, n):
    """The bootstrap intervals are drawn from the seed given: the same seed, the same table."""
    prob = sensitivity.problem({"a": (0, 1), "b": (0, 1)})
    x = sensitivity.sample(prob, method, n, seed=2)
    y = x[:, 0] * x[:, 1] + np.random.default_rng(2).normal(0, 0.1, len(x))
    first = sensitivity.analyze(prob, x, y, method, seed=5)
    pd.testing.assert_frame_equal(first, sensitivity.analyze(prob, x, y, method, seed=5))


def test_each_points_output_is_the_mean_of_its_own_replications(tmp_path, root):
    """Run k is replication k % R of point k // R: the output of point i is the mean over runs
    iR .. iR + R - 1, in sample order, NaN for a point without runs; an unknown column is a
    ConfigError."""
    from nicsim.lab.sweeps import read_sweep

    sweep = tiny_sweep_with_a_dummy(tmp_path, root)
    d = sensitivity.design(read_sweep(sweep, replications=3), "morris")
    assert len(d.x) == 6 and d.plan.replications == 3
    runs = pd.DataFrame({"run_id": range(18), "y": [0.0, 1.0, 5.0] * 6})
    runs.loc[runs["run_id"] // 3 == 4, "y"] += 10  # point 4: 10, 11, 15
    runs = runs[runs["run_id"] // 3 != 1].sample(frac=1.0, random_state=0)  # point 1 missing
    got = sensitivity.outputs(runs, d, "y")
    assert got.tolist() == pytest.approx([2.0, np.nan, 2.0, 2.0, 12.0, 2.0], nan_ok=True)
    with pytest.raises(sensitivity.ConfigError, match="not a column"):
        sensitivity.outputs(runs, d, "nope")


def test_the_report_lists_what_is_inert_per_output_and_across_them(tmp_path, root, monkeypatch):
    """Hand-made outputs of 10 trajectories over h, turnover_rate and the dummy, 2
    replications: y = 10 h and z = 25 turnover_rate, each with seeded noise of sd 0.05. On y
    only turnover_rate is inert, on z only h (the dummy is never listed), and as each acts on
    one output, none is inert on every output."""
    from nicsim.analysis import plots
    from nicsim.analysis.report import write_sensitivity
    from nicsim.lab.sweeps import read_sweep

    monkeypatch.setattr(plots, "sensitivity_figure", lambda *a, **k: None)
    sweep = tmp_path / "sens.toml"
    sweep.write_text(
        f'base = "{root / "configs/default.toml"}"\nreplications = 2\nseed = 3\n'
        "[sample]\npoints = 10\n[sample.ranges]\nh = [0, 1]\nturnover_rate = [0, 0.4]\n"
        "dummy = [0, 1]\n"
    )
    d = sensitivity.design(read_sweep(sweep), "morris")
    x = np.repeat(d.x, 2, axis=0)  # run k is replication k % 2 of point k // 2
    noise = np.random.default_rng(0).normal(0, 0.05, (2, len(x)))
    runs = pd.DataFrame(
        {"run_id": range(len(x)), "y": 10 * x[:, 0] + noise[0], "z": 25 * x[:, 1] + noise[1]}
    )
    runs.to_csv(tmp_path / "runs.csv", index=False)
    text = write_sensitivity(tmp_path, d, ["y", "z"])
    assert "40 points x 2 replications (80 runs) of `sens-morris`." in text
    assert "| h | y | z |" in text and "| turnover_rate | z | y |" in text
    assert "Inert on every output: none." in text
    y, z = text.split("## Morris sensitivity of final ")[1:]
    assert y.startswith("y") and "Inert here: `turnover_rate`." in y
    assert z.startswith("z") and "Inert here: `h`." in z


def test_a_morris_table_shows_its_noise_floor_to_two_significant_digits():
    """A belief's error moves by thousandths: at 3 decimals its table is a column of zeros
    beside its verdicts. A Morris table gets the decimals that show the dummy's mu*
    interval (0.000043) to two significant digits, 6; an outcome's (0.3) keeps 3, and a
    Sobol table (shares of variance) 3."""
    from nicsim.analysis.report import _floor_decimals

    def morris(conf: float) -> pd.DataFrame:
        return pd.DataFrame({"parameter": ["h", "dummy"], "mu_star_conf": [0.1, conf]})

    assert _floor_decimals(morris(0.000043)) == 6
    assert _floor_decimals(morris(0.3)) == 3
    assert _floor_decimals(morris(0.0)) == 3
    assert _floor_decimals(pd.DataFrame({"parameter": ["h", "dummy"], "ST": [0.5, 0.0]})) == 3
