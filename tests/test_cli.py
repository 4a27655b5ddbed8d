"""The nicsim command: outputs, determinism, resuming, and bad input handled in one line."""

import json
import re
import shlex
import subprocess
import sys

import pandas as pd
import pytest

from nicsim.nic.metrics import RUN_METRICS, STEP_METRICS
from nicsim.nic.params import FIELDS
from nicsim.ui.cli import main

SHORT = ["--set", "steps=4", "--set", "partnerships=2", "--replications", "2"]


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_run_writes_every_output_with_the_documented_columns(root, tmp_path, capsys):
    out = tmp_path / "r"
    code, stdout, _ = run_cli(
        ["run", str(root / "configs/default.toml"), *SHORT, "--out", str(out)], capsys
    )
    assert code == 0
    assert "mean_outcome" in stdout
    runs = pd.read_csv(out / "runs.csv")
    assert list(runs.columns) == ["run_id", "seed", "replication", *FIELDS, *RUN_METRICS]
    assert runs["seed"].tolist() == [1, 2] and runs["replication"].tolist() == [0, 1]
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == ["run_id", "seed", "replication", "step", *STEP_METRICS]
    assert len(ts) == 2 * 5
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["runs_done"] == 2 and manifest["seeds"] == [1, 2]
    assert {"nicsim", "mesa", "numpy", "python", "command", "started", "finished"} <= set(manifest)
    assert "steps = 4" in (out / "params.toml").read_text()
    assert (out / "figures" / "outcome.png").stat().st_size > 1000


@pytest.mark.slow
def test_same_seed_gives_identical_timeseries_files(root, tmp_path, capsys):
    for name in ("a", "b"):
        assert (
            run_cli(
                ["run", str(root / "configs/default.toml"), *SHORT, "--out", str(tmp_path / name)],
                capsys,
            )[0]
            == 0
        )
    a = (tmp_path / "a" / "timeseries.parquet").read_bytes()
    b = (tmp_path / "b" / "timeseries.parquet").read_bytes()
    assert a == b
    assert (tmp_path / "a/runs.csv").read_text() == (tmp_path / "b/runs.csv").read_text()


def test_copy_best_on_a_line(root, tmp_path, capsys):
    code, _, _ = run_cli(
        [
            "run",
            str(root / "configs/default.toml"),
            "--set",
            "learning=copy_best",
            "--set",
            "design=line",
            *SHORT,
            "--out",
            str(tmp_path / "x"),
        ],
        capsys,
    )
    assert code == 0
    runs = pd.read_csv(tmp_path / "x" / "runs.csv")
    assert set(runs["design"]) == {"line"} and set(runs["learning"]) == {"copy_best"}


@pytest.mark.slow
def test_interrupted_run_resumes_only_the_missing_runs(root, tmp_path, capsys):
    out = tmp_path / "r"
    args = ["run", str(root / "configs/default.toml"), *SHORT, "--out", str(out)]
    assert run_cli(args, capsys)[0] == 0
    full = pd.read_csv(out / "runs.csv")
    # simulate a crash after the first run: drop run 1's files and the final tables
    (out / ".runs" / "0000001.json").unlink()
    (out / "runs.csv").unlink()
    code, _, err = run_cli(args, capsys)
    assert code == 0 and "1 of 2 runs already done" in err
    pd.testing.assert_frame_equal(pd.read_csv(out / "runs.csv"), full)


@pytest.mark.slow
def test_a_different_experiment_in_the_same_directory_is_refused(root, tmp_path, capsys):
    out = str(tmp_path / "r")
    assert (
        run_cli(["run", str(root / "configs/default.toml"), *SHORT, "--out", out], capsys)[0] == 0
    )
    code, _, err = run_cli(
        ["run", str(root / "configs/default.toml"), *SHORT, "--set", "h=0.9", "--out", out], capsys
    )
    assert code == 2 and "different experiment" in err and "--force" in err
    code, _, _ = run_cli(
        [
            "run",
            str(root / "configs/default.toml"),
            *SHORT,
            "--set",
            "h=0.9",
            "--out",
            out,
            "--force",
        ],
        capsys,
    )
    assert code == 0 and set(pd.read_csv(f"{out}/runs.csv")["h"]) == {0.9}


BAD_CONFIGS = {
    "unknown key": ("colour = 'red'\n", "unknown parameter 'colour'"),
    "wrong type": ("steps = 'many'\n", "steps = 'many' is not allowed: expected an integer"),
    "negative rate": ("turnover_rate = -0.2\n", "turnover_rate = -0.2"),
    "probability above 1": ("share_prob = 1.2\n", "share_prob = 1.2"),
    "N above 24": ("n_components = 30\n", "approximate_max"),
    "no districts": ("districts_per_partnership = 0\n", "districts_per_partnership = 0"),
    "no partnerships": ("partnerships = 0\n", "partnerships = 0"),
    "malformed TOML": ("steps = = 3\n", "not valid TOML"),
    "missing graph file": (
        'design = "file"\ngraph_file = "nowhere.graphml"\n',
        "nowhere.graphml: no such file",
    ),
    "malformed graph file": ('design = "file"\ngraph_file = "g.csv"\n', "line 3"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_input_is_one_clear_line_with_status_2(case, tmp_path, capsys):
    text, words = BAD_CONFIGS[case]
    (tmp_path / "g.csv").write_text(
        "source,target,source_kind,target_kind\na,b,district,district\nb,,district,district\n"
    )
    config = tmp_path / "bad.toml"
    config.write_text(text)
    out = tmp_path / "out"
    code, stdout, err = run_cli(["run", str(config), "--out", str(out)], capsys)
    assert code == 2
    assert words in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (out / "runs.csv").exists() and not (out / "manifest.json").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--set", "nonsense=1"], "unknown parameter 'nonsense'"),
        (["--set", "h"], "malformed"),
        (["--set", "h=2"], "h = 2"),
    ],
)
def test_bad_overrides(root, tmp_path, capsys, args, words):
    code, _, err = run_cli(
        ["run", str(root / "configs/default.toml"), *args, "--out", str(tmp_path / "o")], capsys
    )
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1


def test_unwritable_output_directory(root, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, _, err = run_cli(
        ["run", str(root / "configs/default.toml"), *SHORT, "--out", str(blocker / "sub")], capsys
    )
    assert code == 2 and "not writable" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_bad_replications_is_a_usage_error(root):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nicsim.ui.cli",
            "run",
            str(root / "configs/default.toml"),
            "--replications",
            "0",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_readme_quickstart_command(root, tmp_path):
    """The README's first quickstart command, on a short horizon, in a temporary directory."""
    readme = (root / "README.md").read_text()
    block = re.search(r"## Quickstart.*?```bash\n(.*?)```", readme, re.S).group(1)
    install, run = block.splitlines()[0].split(" && ")
    assert install.startswith("python3 -m pip install -e")
    test_cmd = block.splitlines()[1]
    assert test_cmd == "python3 -m pytest"
    argv = shlex.split(run)
    assert argv[:2] == ["nicsim", "run"]
    cmd = [sys.executable, "-m", "nicsim.ui.cli", *argv[1:], *SHORT, "--out", str(tmp_path / "q")]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "mean_outcome" in proc.stdout
    assert (tmp_path / "q" / "runs.csv").exists()


def test_own_network_config_runs_from_any_directory(root, tmp_path, capsys, monkeypatch):
    """configs/my_network.toml names its CSV relative to itself, so it runs from anywhere."""
    monkeypatch.chdir(tmp_path)
    code, _, _ = run_cli(
        [
            "run",
            str(root / "configs/my_network.toml"),
            "--set",
            "steps=3",
            "--replications",
            "2",
            "--out",
            "o",
        ],
        capsys,
    )
    assert code == 0
    runs = pd.read_csv(tmp_path / "o" / "runs.csv")
    assert set(runs["design"]) == {"file"} and len(runs) == 2


@pytest.mark.slow
def test_the_command_line_starts_without_loading_models_or_plots():
    """`nicsim` and a sweep's main process load Mesa, SciPy and matplotlib only on use:
    a parallel sweep's main never runs a model, and `--help` should be instant."""
    code = (
        "import sys, nicsim, nicsim.ui.cli\n"
        "nicsim.ui.arguments.build_parser()\n"
        "print(sorted(m for m in ('mesa', 'scipy', 'matplotlib') if m in sys.modules))\n"
        "nicsim.NICModel\n"
        "print('mesa' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True"]
