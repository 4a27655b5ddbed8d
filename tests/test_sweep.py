"""Sweeps: grid expansion and seeds, identical results on every backend, crash and resume."""

import gc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nicsim.core.params import ConfigError
from nicsim.lab.evaluators import evaluate, simulate_and_free
from nicsim.lab.plans import Points, grid_points, latin_hypercube, lhs_sample
from nicsim.lab.sweeps import load_sweep
from nicsim.ui.cli import main

FAST = {"steps": 3, "partnerships": 2, "n_components": 8, "k": 2}


def write_sweep(
    path: Path,
    root: Path,
    grid: str = 'design = ["siloed", "hub"]\nh = [0.0, 0.5]',
    replications: int = 3,
    seed: int = 10,
    extra: str = "",
) -> Path:
    params = "\n".join(f"{k} = {v}" for k, v in FAST.items())
    path.write_text(
        f'base = "{root / "configs/default.toml"}"\nreplications = {replications}\n'
        f"seed = {seed}\n{extra}\n[params]\n{params}\n\n[grid]\n{grid}\n"
    )
    return path


def test_grid_is_a_full_factorial_with_common_seeds(tmp_path, root):
    plan = load_sweep(write_sweep(tmp_path / "s.toml", root))
    assert grid_points({"a": [1, 2], "b": ["x", "y", "z"]})[:4] == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 1, "b": "z"},
        {"a": 2, "b": "x"},
    ]
    assert len(plan.runs) == 2 * 2 * 3
    assert plan.swept == ("design", "h")
    assert [r.run_id for r in plan.runs] == list(range(12))
    # replication r of every grid point has seed 10 + r
    for r in plan.runs:
        assert r.seed == 10 + r.replication
        assert r.params.steps == 3 and r.params.partnerships == 2
    points = {(r.params.design, r.params.h) for r in plan.runs}
    assert points == {("siloed", 0.0), ("siloed", 0.5), ("hub", 0.0), ("hub", 0.5)}


def test_command_line_replications_and_seed_win(tmp_path, root):
    plan = load_sweep(write_sweep(tmp_path / "s.toml", root), {"steps": 5}, 2, 100)
    assert len(plan.runs) == 8 and {r.seed for r in plan.runs} == {100, 101}
    assert {r.params.steps for r in plan.runs} == {5}


def test_latin_hypercube_puts_one_point_in_each_stratum():
    pts = latin_hypercube({"h": (0.0, 1.0), "steps": (10, 50)}, 10, np.random.default_rng(1))
    strata = sorted(int(p["h"] * 10) for p in pts)
    assert strata == list(range(10))
    assert all(isinstance(p["steps"], int) and 10 <= p["steps"] <= 50 for p in pts)


def test_sample_section_in_a_sweep_file(tmp_path, root):
    path = write_sweep(tmp_path / "s.toml", root, grid='design = ["hub"]', replications=2, extra="")
    path.write_text(path.read_text() + "\n[sample]\npoints = 5\n[sample.ranges]\nh = [0, 1]\n")
    plan = load_sweep(path)
    assert len(plan.runs) == 10 and plan.swept == ("design", "h")
    assert len({r.params.h for r in plan.runs}) == 5


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("colour = 1\n", "unknown key 'colour'"),
        ("[grid]\nturnover = [0.1]\n", "unknown parameter 'turnover'"),
        ("[grid]\nh = 0.5\n", "h = 0.5 is not allowed"),
        ("[grid]\nh = [0.5, 2.0]\n", "h = 2.0 is not allowed"),
        ("replications = -1\n", "replications = -1"),
        ("[sample]\npoints = 4\n[sample.ranges]\nh = [1, 0]\n", "sample.ranges.h"),
        ("[sample]\npoints = 2\n[sample.ranges]\ndummy = [1, 1]\n", "dummy = [1, 1] is not"),
        ("[sample]\npoints = 2\n[sample.ranges]\ndummy = [0, 1, 2]\n", "dummy = [0, 1, 2] is not"),
        ("[sample]\npoints = 0\n[sample.ranges]\nh = [0, 1]\n", "sample.points = 0 is not allowed"),
        ("[grid]\nh = []\n", "[grid] h = [] is not allowed: expected a non-empty list"),
        ("[sample]\npoints = 2\n[sample.ranges]\nsteps = [1, inf]\n", "steps = [1, inf] is not"),
        ("[sample]\npoints = 2\n[sample.ranges]\nsteps = [true, 3]\n", "steps = [True, 3] is not"),
        ("[sample]\npoints = 2\n[sample.ranges]\nsteps = [0.4, 3]\n", "steps = [0.4, 3] is not"),
        (
            "[grid]\nh = [0.0, 1.0]\n[sample]\npoints = 2\n[sample.ranges]\nh = [0.2, 0.4]\n",
            "h is in both [grid] and [sample.ranges]",
        ),
        (
            "[grid]\ndynamics_seed = [1, 2]\n[sample]\npoints = 2\n[sample.ranges]\n"
            "dummy = [0, 1]\n",
            "sample.ranges.dummy sets dynamics_seed",
        ),
        (
            "[sample]\npoints = 2\n[sample.ranges]\ndummy = [0, 1]\ndynamics_seed = [0, 9]\n",
            "dynamics_seed cannot be swept as well",
        ),
    ],
)
def test_bad_sweep_files_name_the_key(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace("[", r"\[")):
        load_sweep(path)


def test_a_sampled_range_is_judged_by_the_values_sampled_from_it(tmp_path, root):
    """Every value sampled in [low, high] must be allowed, and no more is asked: an integer
    parameter's bound counts as the integer it rounds to (convening_interval from 0.6
    samples values >= 1; from 0.4 it could sample 0). A range of one value is refused
    (tests/test_bad_input_sweeps.py)."""
    path = write_sweep(tmp_path / "s.toml", root, grid='design = ["hub"]', replications=1)
    ranges = "convening_interval = [0.6, 3.4]\n"
    path.write_text(path.read_text() + f"\n[sample]\npoints = 3\n[sample.ranges]\n{ranges}")
    plan = load_sweep(path)
    assert sorted(spec.params.convening_interval for spec in plan.runs) == [1, 2, 3]


GRID_2X3 = 'design = ["siloed", "hub"]\nh = [0.0, 0.5, 1.0]'
# (run_id, seed, replication, design, h) of every run of GRID_2X3, 2 replications, seed 7
RUNS_2X3 = [
    (0, 7, 0, "siloed", 0.0),
    (1, 8, 1, "siloed", 0.0),
    (2, 7, 0, "siloed", 0.5),
    (3, 8, 1, "siloed", 0.5),
    (4, 7, 0, "siloed", 1.0),
    (5, 8, 1, "siloed", 1.0),
    (6, 7, 0, "hub", 0.0),
    (7, 8, 1, "hub", 0.0),
    (8, 7, 0, "hub", 0.5),
    (9, 8, 1, "hub", 0.5),
    (10, 7, 0, "hub", 1.0),
    (11, 8, 1, "hub", 1.0),
]


def described(spec) -> tuple:
    assert (spec.params.design, spec.params.h) == (spec.swept["design"], spec.swept["h"])
    return (spec.run_id, spec.seed, spec.replication, spec.swept["design"], spec.swept["h"])


def test_a_2x3_grid_plans_exactly_these_runs(tmp_path, root):
    """Run k is replication k % R of point k // R (first key slowest), with seed seed + r:
    the whole run list of a 2 x 3 grid of 2 replications, listed or made one at a time."""
    plan = load_sweep(write_sweep(tmp_path / "s.toml", root, GRID_2X3, replications=2, seed=7))
    assert len(plan.runs) == 12 and plan.seeds == [7, 8]
    assert [described(spec) for spec in plan.runs] == RUNS_2X3
    assert [described(plan.runs[k]) for k in range(12)] == RUNS_2X3
    assert described(plan.runs[-1]) == RUNS_2X3[-1]


def test_the_runs_still_to_do_are_exactly_the_missing_ones_seed_by_seed(tmp_path, root):
    """Runs 0, 3, 4 and 11 done: the 8 others, once each, seed by seed (replication 0 of
    every point, then replication 1), each the plan's own run."""
    plan = load_sweep(write_sweep(tmp_path / "s.toml", root, GRID_2X3, replications=2, seed=7))
    done = {0, 3, 4, 11}
    todo = plan.runs.missing(done)
    assert len(todo) == 8
    assert [spec.run_id for spec in todo] == [2, 6, 8, 10, 1, 5, 7, 9]
    assert [described(spec) for spec in todo] == [RUNS_2X3[k] for k in (2, 6, 8, 10, 1, 5, 7, 9)]


def test_a_latin_hypercube_of_4_points_fills_each_stratum_of_each_range_once():
    """lhs_sample: in every column, one point in each quarter of its range (checked stratum
    by stratum), each column its own permutation of the strata; integer parameters are
    rounded to the nearest integer (latin_hypercube)."""
    ranges = {"h": (0.2, 0.6), "steps": (10.0, 50.0), "share_prob": (0.0, 1.0)}
    sample = lhs_sample(ranges, 4, np.random.default_rng(5))
    assert sample.shape == (4, 3)
    strata = []
    for column, (lo, hi) in zip(sample.T, ranges.values(), strict=True):
        width = (hi - lo) / 4
        stratum = [int((v - lo) // width) for v in column]
        for v, s in zip(column, stratum, strict=True):
            assert lo + s * width <= v < lo + (s + 1) * width
        assert sorted(stratum) == [0, 1, 2, 3]
        strata.append(stratum)
    assert strata == [[3, 1, 2, 0], [3, 2, 0, 1], [0, 3, 2, 1]]  # default_rng(5)'s permutations
    points = latin_hypercube(ranges, 4, np.random.default_rng(5))
    assert [p["steps"] for p in points] == [round(v) for v in sample[:, 1]]
    assert [p["h"] for p in points] == sample[:, 0].tolist()


def test_corners_are_each_axis_least_and_greatest_value_and_each_other_value():
    """A grid's corners (where a plan's worst run is looked for): the least and greatest of
    a numeric axis whatever its order, every value of another axis, a sampled integer
    range's bounds rounded as sampled values are."""
    points = Points(
        {"n_contexts": [5, 10, 3], "design": ["hub", "siloed", "hub"]},
        {"min_tests": (1.4, 3.6)},
        rows=2,
    )
    assert list(points.corners()) == [
        {"n_contexts": n, "design": d, "min_tests": m}
        for n in (3, 10)
        for d in ("hub", "siloed")
        for m in (1, 4)
    ]


def test_a_dummy_level_is_a_salt_counted_from_the_low_end_of_its_range():
    """A sampled dummy's level becomes dynamics_seed = (level - low) x 1000: the low end is
    0, the seed's own realisation, and each thousandth of the range another one."""
    points = Points({}, {"dummy": (2.0, 3.0)}, 3, lambda: np.array([[2.0], [2.5], [2.9994]]))
    assert list(points) == [{"dynamics_seed": 0}, {"dynamics_seed": 500}, {"dynamics_seed": 999}]


def sorted_runs(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "runs.csv").sort_values("run_id", ignore_index=True)


@pytest.mark.slow
def test_serial_processes_and_dask_give_identical_results(tmp_path, root, capsys):
    """The same sweep on 1 process, 2 processes and a real distributed.LocalCluster."""
    sweep = write_sweep(tmp_path / "s.toml", root, replications=2)
    base = ["sweep", str(sweep)]
    assert main([*base, "--workers", "1", "--out", str(tmp_path / "serial")]) == 0
    assert main([*base, "--workers", "2", "--out", str(tmp_path / "procs")]) == 0
    import distributed

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        assert (
            main([*base, "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dask")])
            == 0
        )
    serial = sorted_runs(tmp_path / "serial")
    for other in ("procs", "dask"):
        pd.testing.assert_frame_equal(sorted_runs(tmp_path / other), serial)
        assert (tmp_path / other / "timeseries.parquet").read_bytes() == (
            tmp_path / "serial" / "timeseries.parquet"
        ).read_bytes()
    capsys.readouterr()


def test_changed_sweep_file_is_refused_unless_forced(tmp_path, root, capsys):
    sweep = write_sweep(tmp_path / "s.toml", root, replications=1)
    out = str(tmp_path / "o")
    assert main(["sweep", str(sweep), "--workers", "1", "--out", out]) == 0
    write_sweep(sweep, root, grid='design = ["siloed", "networked"]', replications=1)
    capsys.readouterr()
    assert main(["sweep", str(sweep), "--workers", "1", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "different experiment" in err and "--force" in err
    assert main(["sweep", str(sweep), "--workers", "1", "--out", out, "--force"]) == 0
    assert set(pd.read_csv(f"{out}/runs.csv")["design"]) == {"siloed", "networked"}


def test_swept_parameters_are_columns_of_both_tables(tmp_path, root, capsys):
    sweep = write_sweep(tmp_path / "s.toml", root, replications=1)
    out = tmp_path / "o"
    assert main(["sweep", str(sweep), "--workers", "1", "--out", str(out)]) == 0
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns[:6]) == ["run_id", "seed", "replication", "design", "h", "step"]
    assert {"design", "h", "seed"} <= set(pd.read_csv(out / "runs.csv").columns)


def test_evaluate_streams_results_in_any_order(tmp_path, root):
    plan = load_sweep(write_sweep(tmp_path / "s.toml", root, replications=2))
    seen = []
    assert evaluate(plan.runs, workers=1, on_result=lambda r: seen.append(r.run_id)) == 8
    assert seen == list(range(8))


def _live_models() -> int:
    from nicsim.nic.model import NICModel

    # by type: isinstance on a dead weak proxy (numba keeps some) raises ReferenceError
    return sum(issubclass(type(o), NICModel) for o in gc.get_objects())


@pytest.mark.slow
def test_each_run_frees_its_model_so_memory_does_not_grow_with_runs(tmp_path, root):
    """A model is all reference cycles: without a collection after each run a process
    would hold dead models until the collector's own schedule came round."""
    plan = load_sweep(write_sweep(tmp_path / "s.toml", root, replications=2))
    live, frozen = [], []
    before = gc.get_freeze_count()  # 0, or Python 3.12.1's own few hundred at start

    def seen(result) -> None:
        live.append(_live_models())
        frozen.append(gc.get_freeze_count())

    evaluate(plan.runs, workers=1, on_result=seen)
    assert live == [0] * 8
    assert min(frozen) > before  # the caller's objects are kept out of each collection
    assert gc.get_freeze_count() <= before  # and are collectable again after
    gc.collect()
    before = _live_models()  # models other tests still hold
    simulate_and_free(plan.runs[0])  # what a worker process runs
    assert _live_models() == before


# A fresh process (the objects a first run makes are made there once): three runs in a row,
# and after each the objects a collection would traverse, and the frozen count
FIRST_RUNS = """
import gc, json, sys
from nicsim.lab.evaluators import run_serial
from nicsim.lab.plans import Plan
from nicsim.nic.params import Params

plan = Plan("p", Params(partnerships=2, steps=3), replications=3)
seen = [(len(gc.get_objects()), gc.get_freeze_count()) for _ in run_serial(plan.runs)]
print(json.dumps(seen))
"""


@pytest.mark.slow
def test_what_the_first_run_leaves_is_frozen_once_so_later_collections_skip_it(root):
    """The first run of a process loads what every later run uses (numba's compiled
    functions, modules imported on first use, the kept landscape and networks): frozen
    after it, it is not traversed again by the collection that frees each later run's
    model (it was, about 100,000 objects, 22 ms a default run). Later runs freeze
    nothing more."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", FIRST_RUNS], cwd=root, capture_output=True, text=True, check=True
    )
    (_, frozen_first), *later = json.loads(out.stdout)
    assert all(tracked < 5_000 for tracked, _ in later), later
    assert all(frozen <= frozen_first for _, frozen in later), later


def test_files_a_sweep_names_are_found_beside_it_from_any_folder(tmp_path, root, monkeypatch):
    """A relative graph_file in a sweep's [params] or [grid] means the file beside the sweep,
    as in a config, so an experiment's folder can be run from anywhere."""
    folder = tmp_path / "experiment"
    folder.mkdir()
    for name in ("a.csv", "b.csv"):
        (folder / name).write_text("source,target\n1,2\n2,3\n3,1\n")
    (folder / "params.toml").write_text(
        f'base = "{root / "configs/default.toml"}"\n[params]\ndesign = "file"\n'
        'graph_file = "a.csv"\n'
    )
    (folder / "grid.toml").write_text(
        f'base = "{root / "configs/default.toml"}"\n[params]\ndesign = "file"\n'
        '[grid]\ngraph_file = ["a.csv", "b.csv"]\n'
    )
    monkeypatch.chdir(tmp_path)  # not the sweep's folder
    fixed = load_sweep("experiment/params.toml")
    assert fixed.runs[0].params.graph_file == str(Path("experiment") / "a.csv")
    grid = load_sweep("experiment/grid.toml")
    assert sorted({r.params.graph_file for r in grid.runs}) == [
        str(Path("experiment") / name) for name in ("a.csv", "b.csv")
    ]
