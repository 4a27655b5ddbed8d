"""The analysis libraries with nicsim, for real (issue 18): the EMA Workbench, SALib's Morris
method and Optuna, each on a tiny case, each through the one mapping of the parameter
table (``nicsim.lab.interop``), each giving the numbers that the command line writes.

The libraries come with the ``interop`` extra, which CI installs in every environment.
"""

from __future__ import annotations

import numpy as np
import pytest
from tiny_runs import GRID, TINY, as_written

import nicsim
from nicsim.lab import interop
from nicsim.nic.params import DESIGNS


def test_a_space_maps_the_parameter_table_to_each_library():
    space = interop.space({"h": None, "partnerships": (2, 4), "design": ["siloed", "hub"]})
    assert [(d.name, d.kind, d.low, d.high, d.choices) for d in space] == [
        ("h", "real", 0.0, 1.0, ()),
        ("partnerships", "integer", 2, 4, ()),
        ("design", "categorical", None, None, ("siloed", "hub")),
    ]
    assert interop.space(["connected"]).dims[0].choices == (False, True)
    assert interop.space("design").names == ["design"]
    assert interop.space({"h": (0.0, 0.5), "design": GRID["design"]}).grid(2) == GRID
    assert space.grid(3)["partnerships"] == [2, 3, 4]
    numbers = interop.space({"h": None, "partnerships": (2, 4)})
    assert numbers.salib_problem() == {
        "num_vars": 2,
        "names": ["h", "partnerships"],
        "bounds": [[0.0, 1.0], [2, 4]],
    }
    assert numbers.from_sample([0.25, 2.6]) == {"h": 0.25, "partnerships": 3}


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        ({"hh": None}, "unknown parameter 'hh' (did you mean 'h'?)"),
        (
            {"h": (0.0, 2.0)},
            "h = (0.0, 2.0) is not allowed: expected [low, high] with low <= high, each a "
            "number in [0, 1]",
        ),
        ({"partnerships": None}, "partnerships needs a range: expected [low, high], each an "),
        ({"design": ["hubb"]}, "design = 'hubb' is not allowed: expected one of siloed, hub, "),
        ({"design": "hub"}, "design = 'hub' is not allowed: expected a list of values, each "),
        ({"graph_file": None}, "graph_file is not allowed in a parameter space: it takes "),
        ({}, "a parameter space needs at least one parameter"),
        (5, "a parameter space of 5 is not allowed: expected names, or a mapping of each name"),
    ],
)
def test_a_bad_space_is_refused_naming_the_key_and_what_is_allowed(ranges, message):
    with pytest.raises(nicsim.ConfigError) as raised:
        interop.space(ranges)
    assert str(raised.value).startswith(message)


def test_salib_cannot_sample_a_choice():
    with pytest.raises(nicsim.ConfigError, match="^design is not allowed in a SALib problem"):
        interop.space({"h": None, "design": None}).salib_problem()


@pytest.mark.slow
def test_ema_workbench_experiments_give_the_numbers_of_nicsim_sweep(tiny_sweep):
    """Uncertainty h and lever design, sampled full factorial on the sweep's grid points and
    run on 2 processes: each experiment's outcomes are the sweep's runs.csv row of seed 1."""
    ema = pytest.importorskip("ema_workbench")
    rows, _ = tiny_sweep
    model = interop.ema_model(
        "nicsim",
        uncertainties={"h": (0.0, 0.5)},
        levers={"design": GRID["design"]},
        outcomes=["mean_outcome", "average_outcome", "equity_gap"],
        constants=TINY,
        seed=1,
    )
    with ema.MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(
            scenarios=2,
            policies=2,
            uncertainty_sampling=ema.Samplers.FF,
            lever_sampling=ema.Samplers.FF,
        )
    expected = {(float(r["h"]), r["design"]): r for r in rows if r["seed"] == "1"}
    got = {(h, str(d)) for h, d in zip(experiments["h"], experiments["design"], strict=True)}
    assert got == set(expected)
    for i, (h, design) in enumerate(zip(experiments["h"], experiments["design"], strict=True)):
        row = expected[(h, str(design))]
        for name, values in outcomes.items():
            assert as_written(values[i].item()) == row[name]


@pytest.mark.slow
def test_ema_model_checks_what_it_is_given():
    pytest.importorskip("ema_workbench")
    with pytest.raises(nicsim.ConfigError, match="^outcome 'outcome' is not allowed"):
        interop.ema_model("nicsim", uncertainties=["h"], outcomes=["outcome"])
    with pytest.raises(nicsim.ConfigError, match="^share_prob = 2 is not allowed"):
        interop.ema_model("nicsim", uncertainties=["h"], constants={"share_prob": 2})
    with pytest.raises(nicsim.ConfigError, match="^seed = -1 is not allowed"):
        interop.ema_model("nicsim", uncertainties=["h"], seed=-1)  # now, not in an experiment
    with pytest.raises(nicsim.ConfigError, match="^constants = {'seed': ...} is not allowed"):
        interop.ema_model("nicsim", uncertainties=["h"], constants={"seed": 2})
    one = interop.ema_model("nicsim", uncertainties=["h"], outcomes="equity_gap")
    assert [o.name for o in one.outcomes] == ["equity_gap"]  # a name, not its letters


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "partnerships = nan is not allowed in a sample row: expected a finite"),
        (np.inf, "partnerships = inf is not allowed in a sample row: expected a finite"),
        ("a", "partnerships = 'a' is not allowed in a sample row: expected a finite"),
        (True, "partnerships = True is not allowed in a sample row: expected a finite"),
        (0.2, "partnerships = 0 is not allowed: expected an integer >= 1"),  # rounded first
    ],
)
def test_a_sample_rows_values_are_checked_as_a_configs_would_be(value, message):
    """A value that is no finite number, or whose parameter cannot take it, is one line
    naming the key and the value, not numpy's or int()'s traceback, nor a run refused
    later; a numpy number counts as the number it holds."""
    s = interop.space({"h": (0, 1), "partnerships": (1, 4)})
    with pytest.raises(nicsim.ConfigError) as raised:
        s.from_sample([0.5, value])
    assert str(raised.value).startswith(message)
    assert s.from_sample([np.float64(0.25), np.int64(3)]) == {"h": 0.25, "partnerships": 3}
    with pytest.raises(nicsim.ConfigError, match="^h = 1.5 is not allowed: expected a number"):
        s.from_sample([1.5, 2])
    with pytest.raises(nicsim.ConfigError, match="^design is not allowed in a SALib problem"):
        interop.space({"design": None}).from_sample([0.0])


def test_a_grid_takes_a_numpy_integer_for_its_levels():
    assert interop.space({"partnerships": (2, 4)}).grid(np.int64(3)) == {"partnerships": [2, 3, 4]}


def test_a_sample_row_of_the_wrong_length_is_refused():
    with pytest.raises(nicsim.ConfigError, match="^a sample row of 2 values is not allowed"):
        interop.space({"h": None}).from_sample([0.1, 0.2])


def test_salib_morris_on_simulate_finds_an_inert_parameter_exactly():
    """Siloed partnerships never convene, so tie formation at convenings cannot act: its
    elementary effects are exactly 0, while the context's weight h moves outcomes."""
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    space = interop.space({"h": None, "tie_formation": None, "partnerships": (2, 3)})
    problem = space.salib_problem()
    x = sample.sample(problem, 3, num_levels=4, seed=1)
    runs = [space.from_sample(row) for row in x]
    assert {type(r["partnerships"]) for r in runs} == {int}
    with pytest.warns(UserWarning, match="^tie_formation = .* is not read"):  # and it says so
        y = [
            nicsim.simulate(seed=1, **{**TINY, "design": "siloed", **r})["mean_outcome"]
            for r in runs
        ]
    result = analyze.analyze(problem, x, np.array(y), num_levels=4, seed=1)
    mu_star = dict(zip(problem["names"], result["mu_star"], strict=True))
    assert mu_star["tie_formation"] == 0.0
    assert mu_star["h"] > 0 and mu_star["partnerships"] > 0


def test_optuna_tunes_a_lever_on_simulate():
    """A few trials of coaching (training_rate): the best trial's value is simulate's for
    its parameters and the best of the trials, and the same study again gives the same."""
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = interop.space({"training_rate": None})

    def objective(trial) -> float:
        return nicsim.simulate(seed=1, **TINY, **space.suggest(trial))["average_outcome"]

    def tuned():
        study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.TPESampler(seed=0)
        )
        study.optimize(objective, n_trials=4)
        return study

    study = tuned()
    assert study.best_value == max(t.value for t in study.trials)
    assert (
        study.best_value == nicsim.simulate(seed=1, **TINY, **study.best_params)["average_outcome"]
    )
    assert all(0 <= t.params["training_rate"] <= 1 for t in study.trials)
    assert len({t.value for t in study.trials}) > 1  # the lever acts in this case
    assert tuned().best_params == study.best_params


def test_a_space_rounds_integer_bounds_keeps_types_and_grids_distinct_values():
    """Integer bounds are rounded to the nearest (as sampled values are), real bounds are
    floats, numpy bounds are read as their numbers, repeated choices count once, a choice's
    whole range is every value the table allows, and a grid has distinct integers."""
    ints = interop.space({"partnerships": (2.4, 3.6)})
    assert ints.dims == (interop.Dimension("partnerships", "integer", 2, 4),)
    assert interop.space({"partnerships": (2, 3)}).grid(3) == {"partnerships": [2, 3]}
    real = interop.space({"h": (0, 1)})
    assert [type(b) for b in (real.dims[0].low, real.dims[0].high)] == [float, float]
    assert [type(x) for x in real.grid(3)["h"]] == [float, float, float]
    numpy = interop.space({"partnerships": (np.int64(2), np.int64(4))})
    assert numpy.dims == (interop.Dimension("partnerships", "integer", 2, 4),)
    assert interop.space({"design": ["hub", "hub", "line"]}).dims[0].choices == ("hub", "line")
    assert interop.space(["design"]).dims[0].choices == DESIGNS
    with pytest.raises(nicsim.ConfigError) as raised:
        real.grid(1)
    assert str(raised.value) == "levels = 1 is not allowed: expected an integer >= 2"


def test_a_short_sample_row_is_refused_in_one_line():
    """A row with fewer values than parameters is the same refusal as a longer one."""
    with pytest.raises(nicsim.ConfigError) as raised:
        interop.space({"h": None, "partnerships": (2, 4)}).from_sample([0.5])
    assert str(raised.value) == (
        "a sample row of 1 values is not allowed: expected one value for each of the 2 "
        "parameters (h, partnerships)"
    )


def test_optuna_suggestions_follow_each_dimensions_kind():
    """An integer parameter is suggested as an integer, a real one as a float, a choice
    among its values (a stand-in trial records what was asked)."""

    class Trial:
        def suggest_float(self, name, low, high):
            return ("float", low, high)

        def suggest_int(self, name, low, high):
            return ("int", low, high)

        def suggest_categorical(self, name, choices):
            return ("categorical", choices)

    space = interop.space({"h": None, "partnerships": (2, 4), "design": ["hub", "line"]})
    assert space.suggest(Trial()) == {
        "h": ("float", 0.0, 1.0),
        "partnerships": ("int", 2, 4),
        "design": ("categorical", ["hub", "line"]),
    }


@pytest.mark.slow
def test_ema_model_declares_its_parameters_constants_and_outcomes():
    """An integer uncertainty is an IntegerParameter; the seed and (for any model but the
    NIC) the model are constants; an outcome is any runs.csv metric, not only a reported
    one. Building the model runs nothing."""
    ema = pytest.importorskip("ema_workbench")
    nic = interop.ema_model(
        "n", uncertainties={"partnerships": (2, 4)}, outcomes=["tests_run"], constants={"steps": 2}
    )
    (u,) = nic.uncertainties
    assert (type(u), u.name, u.lower_bound, u.upper_bound) == (
        ema.IntegerParameter,
        "partnerships",
        2,
        4,
    )
    assert {c.name: c.value for c in nic.constants} == {"seed": 1, "steps": 2}
    assert [o.name for o in nic.outcomes] == ["tests_run"]
    march = interop.ema_model(
        "m", uncertainties={"p1": (0.1, 0.9)}, outcomes=["code_knowledge"], seed=3, model="march"
    )
    assert {c.name: c.value for c in march.constants} == {"seed": 3, "model": "march"}
