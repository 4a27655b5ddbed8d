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
