"""The model registry: a second model runs through the same plans, evaluators and store."""

import pandas as pd
import pytest

from nicsim.core.params import ConfigError, fields_of
from nicsim.lab.config import load_config, parse_overrides
from nicsim.lab.registry import REGISTRY, for_params, get_model
from nicsim.lab.sweeps import load_sweep
from nicsim.march import MarchParams
from nicsim.march.metrics import RUN_METRICS, STEP_METRICS
from nicsim.nic.params import Params
from nicsim.ui.cli import main

MARCH_DIR = "configs/replications/march_1991"


def test_registry_maps_params_to_models():
    assert list(REGISTRY) == ["nic", "march"]
    assert for_params(Params()).name == "nic" and for_params(MarchParams()).name == "march"
    with pytest.raises(ConfigError, match="model = 'x' is not allowed: expected one of"):
        get_model("x")


def test_nic_outputs_keep_their_columns():
    assert "model" not in Params().to_dict()
    assert list(MarchParams().to_dict())[:2] == ["model", "m"]


def test_config_model_key_selects_the_params_and_set_reaches_them(tmp_path, root):
    cfg = load_config(root / MARCH_DIR / "base.toml", parse_overrides(["p1=0.2", "seed=4"]))
    assert isinstance(cfg.params, MarchParams) and cfg.params.p1 == 0.2 and cfg.seed == 4
    with pytest.raises(ConfigError, match="unknown parameter 'p11'.*did you mean 'p1'"):
        parse_overrides(["p11=0.2"])
    bad = tmp_path / "bad.toml"
    bad.write_text('model = "march"\np2 = 2\n')
    with pytest.raises(ConfigError, match=r"bad.toml: p2 = 2 is not allowed: expected a number"):
        load_config(bad)


def test_march_sweep_files_plan_their_grids(root):
    plan = load_sweep(root / MARCH_DIR / "figure1.toml", replications=2)
    assert len(plan.runs) == 27 * 2 and plan.swept == ("p2", "p1")
    assert {r.seed for r in plan.runs} == {1, 2}
    assert load_sweep(root / MARCH_DIR / "figure3.toml", replications=1).base.p1 == 0.1


def sweep_file(tmp_path, root, reps=2):
    path = tmp_path / "m.toml"
    path.write_text(
        f'base = "{root / MARCH_DIR / "base.toml"}"\nreplications = {reps}\n'
        "[params]\nm = 10\nn = 12\n[grid]\np1 = [0.2, 0.8]\n"
    )
    return path


@pytest.mark.slow
def test_march_sweep_is_identical_serially_in_processes_and_on_dask(tmp_path, root, capsys):
    sweep = sweep_file(tmp_path, root)
    args = ["sweep", str(sweep)]
    assert main([*args, "--workers", "1", "--out", str(tmp_path / "serial")]) == 0
    assert main([*args, "--workers", "2", "--out", str(tmp_path / "procs")]) == 0
    from distributed import LocalCluster

    local = {"host": "127.0.0.1", "dashboard_address": None, "processes": True}
    with LocalCluster(n_workers=1, threads_per_worker=1, **local) as cluster:
        dask = ["--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dask")]
        assert main([*args, *dask]) == 0
    out = capsys.readouterr().out
    assert "Final code knowledge by p1" in out
    serial = tmp_path / "serial"
    runs = pd.read_csv(serial / "runs.csv")
    assert list(runs.columns) == [
        "run_id", "seed", "replication", "model", *fields_of(MarchParams), *RUN_METRICS
    ]  # fmt: skip
    assert (runs["model"] == "march").all() and runs["seed"].tolist() == [1, 2, 1, 2]
    ts = pd.read_parquet(serial / "timeseries.parquet")
    assert list(ts.columns) == ["run_id", "seed", "replication", "p1", "step", *STEP_METRICS]
    for other in ("procs", "dask"):
        assert (tmp_path / other / "runs.csv").read_bytes() == (serial / "runs.csv").read_bytes()
        assert (tmp_path / other / "timeseries.parquet").read_bytes() == (
            serial / "timeseries.parquet"
        ).read_bytes()
    assert 'model = "march"' in (serial / "params.toml").read_text()
    # resume: the same command finds every run done; compare reads the March metrics
    assert main([*args, "--workers", "1", "--out", str(serial)]) == 0
    assert "final tables: nothing to run" in capsys.readouterr().err
    assert main(["compare", str(serial)]) == 0
    text = capsys.readouterr().out
    assert "code_knowledge" in text and "mean_outcome" not in text
    assert (serial / "figures" / "compare_p1_code.png").is_file()


def test_march_errors_are_one_line(tmp_path, root, capsys):
    code = main(["run", str(root / MARCH_DIR / "base.toml"), "--set", "update=later"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "update = 'later' is not allowed: expected one of simultaneous, sequential" in err


def test_params_command_lists_march_parameters(capsys):
    assert main(["params", "--model", "march"]) == 0
    out = capsys.readouterr().out
    assert "| `p1` |" in out and "| `zero_belief` |" in out and "n_components" not in out
