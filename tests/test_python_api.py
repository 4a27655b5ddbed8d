"""nicsim from Python (issue 18): Mesa's conventions, ``nicsim.simulate``, and bad input.

Every number is checked against what the command line writes for the same seeds and
parameters: a tiny sweep is run once with ``nicsim sweep`` (and a March config with
``nicsim run``), and the models built from keywords, ``simulate`` and ``mesa.batch_run``
must give its ``runs.csv`` and ``timeseries.parquet`` exactly.
"""

from __future__ import annotations

import inspect
import pickle

import mesa
import numpy as np
import pandas as pd
import pytest
from tiny_runs import GRID, MARCH, SEEDS, TINY, as_written, outputs, quietly, series_of

import nicsim
from nicsim.lab.config import to_toml
from nicsim.nic.metrics import RUN_METRICS, STEP_METRICS
from nicsim.ui.cli import main

# Mesa 3.5's batch_run takes seeds as ``rng=[...]``; 3.3's takes them as a parameter
MESA_RNG = "rng" in inspect.signature(mesa.batch_run).parameters


def grid_point(row: dict[str, str]) -> dict:
    return {"h": float(row["h"]), "design": row["design"]}


# -- simulate -----------------------------------------------------------------------------------
def test_simulate_gives_the_runs_csv_row_of_nicsim_sweep(tiny_sweep):
    rows, _ = tiny_sweep
    assert len(rows) == len(SEEDS) * 4
    outcomes = set()
    for row in rows:
        got = nicsim.simulate(seed=int(row["seed"]), **TINY, **grid_point(row))
        assert list(got) == list(RUN_METRICS)
        assert {k: as_written(v) for k, v in got.items()} == {k: row[k] for k in RUN_METRICS}
        outcomes.add(tuple(got.values()))
    assert len(outcomes) == len(rows)  # every seed, h and design makes its own run


def test_simulate_gives_the_runs_csv_of_nicsim_run_on_a_shipped_config(root, tmp_path):
    """A config as users run it: ``nicsim run`` writes runs.csv; ``simulate`` with the
    config's parameters and each run's seed gives its rows."""
    args = ["--set", "steps=3", "--set", "partnerships=2", "--replications", "2", "--seed", "7"]
    quietly(["run", str(root / "configs/networked.toml"), *args, "--out", str(tmp_path)])
    rows, _ = outputs(tmp_path)
    config = nicsim.load_config(root / "configs/networked.toml", {"steps": 3, "partnerships": 2})
    assert [row["seed"] for row in rows] == ["7", "8"]
    for row in rows:
        got = nicsim.simulate(seed=int(row["seed"]), **config.params.to_dict())
        assert {k: as_written(v) for k, v in got.items()} == {k: row[k] for k in RUN_METRICS}


def test_simulate_time_series_is_the_parquet_run(tiny_sweep):
    _, ts = tiny_sweep
    got = nicsim.simulate(seed=2, timeseries=True, **TINY, h=0.5, design="networked")
    expected = series_of(ts, 2, h=0.5, design="networked")
    pd.testing.assert_frame_equal(got["timeseries"], expected, check_exact=True)
    assert got["mean_outcome"] == expected["mean_outcome"].iloc[-1]


def test_simulate_runs_the_march_model_as_nicsim_run_does(tiny_march):
    rows, ts = tiny_march
    params = {k: v for k, v in MARCH.items() if k != "model"}
    for row in rows:
        got = nicsim.simulate(seed=int(row["seed"]), model="march", **params)
        assert {k: as_written(v) for k, v in got.items()} == {k: row[k] for k in got}


def test_simulate_is_pure_and_pickles():
    first = nicsim.simulate(seed=3, **TINY)
    again = pickle.loads(pickle.dumps(nicsim.simulate))(seed=3, **TINY)
    assert pickle.loads(pickle.dumps(first)) == first == again
    assert nicsim.simulate(seed=4, **TINY) != first


# -- Mesa's conventions ---------------------------------------------------------------------------
def test_a_model_pickled_mid_run_goes_on_as_the_original():
    """A model can be pickled (a process pool, a checkpoint) and its copy runs on exactly
    as the original does: every reporter, the count reporters included, survives."""
    for model in (
        nicsim.NICModel(seed=3, partnerships=3, steps=6),
        nicsim.MarchModel(seed=3, max_periods=6),
    ):
        for _ in range(3):
            model.step()
        copy = pickle.loads(pickle.dumps(model))
        for _ in range(3):
            model.step()
            copy.step()
        original = model.datacollector.get_model_vars_dataframe()
        assert copy.datacollector.get_model_vars_dataframe().equals(original)


def test_keywords_and_params_build_the_same_model(tiny_sweep):
    _, ts = tiny_sweep
    by_keywords = nicsim.NICModel(seed=1, **TINY, h=0.5, design="siloed")
    by_params = nicsim.NICModel(nicsim.Params(**TINY, h=0.5, design="siloed"), 1)
    on_top = nicsim.NICModel(nicsim.Params(**TINY), seed=1, h=0.5, design="siloed")
    assert by_keywords.p == by_params.p == on_top.p
    for model in (by_keywords, by_params, on_top):
        model.run_model()
        assert model.steps == TINY["steps"] and not model.running
        pd.testing.assert_frame_equal(
            model.datacollector.get_model_vars_dataframe(),
            series_of(ts, 1, h=0.5, design="siloed").drop(columns="step"),
            check_exact=True,
        )


def test_step_by_step_running_turns_false_at_the_horizon():
    model = nicsim.NICModel(seed=2, **TINY)
    seen = []
    while model.running:
        model.step()
        seen.append(model.steps)
    assert seen == [1, 2, 3, 4]
    model.run_model()  # nothing left to run
    assert model.steps == 4
    assert len(model.datacollector.get_model_vars_dataframe()) == 5


def test_no_seed_is_seed_1_as_for_simulate_and_the_first_replication():
    for cls, params in ((nicsim.NICModel, TINY), (nicsim.MarchModel, {"max_periods": 5})):
        model = cls(**params)
        assert model.seed == 1
        model.run_model()
        again = cls(seed=1, **params)
        again.run_model()
        ours, theirs = (m.datacollector.get_model_vars_dataframe() for m in (model, again))
        pd.testing.assert_frame_equal(ours, theirs)
    final = nicsim.NICModel(**TINY)
    final.run_model()
    row = nicsim.simulate(**TINY)
    assert (
        final.datacollector.get_model_vars_dataframe()["mean_outcome"].iloc[-1]
        == (row["mean_outcome"])
    )


def test_numpy_values_are_read_as_the_numbers_they_hold():
    model = nicsim.NICModel(seed=np.int64(1), partnerships=np.int64(2), h=np.float64(0.25))
    assert model.seed == 1 and model.p.partnerships == 2 and type(model.p.partnerships) is int
    assert model.p == nicsim.Params(partnerships=2, h=0.25)


def batch_run(model_cls, parameters: dict, seeds: list[int], **kw) -> list[dict]:
    """``mesa.batch_run`` the way each Mesa takes seeds."""
    if MESA_RNG:
        return mesa.batch_run(model_cls, parameters, rng=seeds, display_progress=False, **kw)
    runs = mesa.batch_run(model_cls, {**parameters, "seed": seeds}, display_progress=False, **kw)
    return runs


def test_mesa_batch_run_gives_the_numbers_of_nicsim_sweep(tiny_sweep):
    """Mesa 3.5 reports each run's last step; Mesa 3.3's batch_run stops one short of it
    (its own example models too): either way its numbers are the sweep's for that step."""
    rows, ts = tiny_sweep
    results = batch_run(nicsim.NICModel, {**TINY, **GRID}, SEEDS)
    assert len(results) == len(rows)
    last = TINY["steps"] if MESA_RNG else TINY["steps"] - 1
    for result in results:
        assert result["Step"] == last
        expected = series_of(ts, result["seed"], h=result["h"], design=result["design"])
        assert {m: result[m] for m in STEP_METRICS} == expected.iloc[last][
            list(STEP_METRICS)
        ].to_dict()
    assert {(r["seed"], r["h"], r["design"]) for r in results} == {
        (int(r["seed"]), float(r["h"]), r["design"]) for r in rows
    }


def test_mesa_batch_run_every_step_equals_the_time_series(tiny_sweep):
    _, ts = tiny_sweep
    results = batch_run(
        nicsim.NICModel,
        {**TINY, "h": 0.0, "design": "networked"},
        [2],
        **{"data_collection_period": 1},
    )
    expected = series_of(ts, 2, h=0.0, design="networked")
    steps = [r["Step"] for r in results]
    assert steps == list(range(TINY["steps"] + 1 if MESA_RNG else TINY["steps"]))
    for r in results:
        assert {m: r[m] for m in STEP_METRICS} == expected.iloc[r["Step"]][
            list(STEP_METRICS)
        ].to_dict()


def test_march_model_from_keywords_and_batch_run(tiny_march):
    rows, ts = tiny_march
    params = {k: v for k, v in MARCH.items() if k != "model"}
    model = nicsim.MarchModel(seed=1, **params)
    model.run_model()
    assert not model.running and model.steps == int(rows[0]["periods"])
    frame = model.datacollector.get_model_vars_dataframe()
    expected = series_of(ts, 1).drop(columns="step")
    pd.testing.assert_frame_equal(frame, expected, check_exact=True, check_dtype=False)
    results = batch_run(nicsim.MarchModel, params, SEEDS)
    for result, row in zip(sorted(results, key=lambda r: r["seed"]), rows, strict=True):
        step = int(result["Step"])  # Mesa 3.5 counts March's periods as time: 12.0
        assert step == (model.steps if MESA_RNG else model.steps - 1)
        expected = series_of(ts, int(row["seed"])).iloc[step]
        assert result["code_knowledge"] == expected["code_knowledge"]
        assert result["mean_knowledge"] == expected["mean_knowledge"]


# -- bad input: one exception, the command line's text ---------------------------------------------
BAD = [
    ({"share_prob": 1.5}, "share_prob = 1.5 is not allowed: expected a number in [0, 1]"),
    ({"shareprob": 0.5}, "unknown parameter 'shareprob' (did you mean 'share_prob'?)"),
    ({"design": "hubb"}, "design = 'hubb' is not allowed: expected one of siloed, hub, "),
    ({"steps": 2.5}, "steps = 2.5 is not allowed: expected an integer >= 1"),
    ({"k": 6, "n_components": 6}, "k = 6 is not allowed: expected k < n_components (6)"),
    ({"seed": -1}, "seed = -1 is not allowed: expected an integer in [0, 9223372036854775807]"),
]


def cli_error(tmp_path, values: dict, capsys) -> str:
    """What ``nicsim run`` prints for a config of ``values``, less its ``nicsim: error:
    FILE:`` prefix (a keyword has no file)."""
    config = tmp_path / "bad.toml"
    config.write_text(to_toml(values))
    assert main(["run", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    prefix = f"nicsim: error: {config}: "
    assert err.startswith(prefix) and err.endswith("\n") and err.count("\n") == 1
    return err[len(prefix) : -1]


@pytest.mark.parametrize(("values", "message"), BAD, ids=[next(iter(v)) for v, _ in BAD])
def test_bad_keyword_raises_config_error_with_the_command_lines_text(
    values, message, tmp_path, capsys
):
    printed = cli_error(tmp_path, values, capsys)
    assert printed.startswith(message)
    for call in (nicsim.NICModel, nicsim.simulate):
        with pytest.raises(nicsim.ConfigError) as raised:
            call(**values)
        assert str(raised.value) == printed


def test_bad_march_keyword_raises_the_command_lines_text(tmp_path, capsys):
    printed = cli_error(tmp_path, {"model": "march", "p2": 2, "design": "hub"}, capsys)
    assert printed == "unknown parameter 'design' of model 'march'"
    with pytest.raises(nicsim.ConfigError, match="^unknown parameter 'design' of model 'march'$"):
        nicsim.MarchModel(p2=0.5, design="hub")
    with pytest.raises(nicsim.ConfigError) as raised:
        nicsim.simulate(model="march", p2=2)
    assert str(raised.value) == cli_error(tmp_path, {"model": "march", "p2": 2}, capsys)


def test_a_seed_given_twice_or_not_a_seed_is_refused():
    with pytest.raises(nicsim.ConfigError, match=r"^seed = 1 and rng = 2: expected one seed"):
        nicsim.NICModel(seed=1, rng=2)
    with pytest.raises(nicsim.ConfigError, match=r"^rng = 'x' is not allowed: expected an int"):
        nicsim.NICModel(rng="x")
    with pytest.raises(nicsim.ConfigError, match=r"^params = \{'h': 0.5\} is not allowed"):
        nicsim.NICModel({"h": 0.5})
    assert issubclass(nicsim.ConfigError, ValueError)


def test_simulate_refuses_a_run_larger_than_the_machine_before_it_starts():
    with pytest.raises(nicsim.ConfigError, match=r"^steps = 1000000000 would need about .* GB"):
        nicsim.simulate(seed=1, steps=10**9, partnerships=2)
    with pytest.raises(nicsim.ConfigError, match=r"use allow_large=True to run it anyway"):
        nicsim.simulate(seed=1, steps=10**9, partnerships=2)
