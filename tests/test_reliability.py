"""nicsim never deletes or overwrites what it did not write, and never writes outside the
place the user named (a fault-injection audit's cases, each reproduced here)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from nicsim.lab.store import MARKER, shared_place
from nicsim.ui.cli import main

SHORT = ["--set", "steps=2", "--set", "partnerships=2", "--replications", "1"]


def run(root, out, *extra: str) -> int:
    return main(["run", str(root / "configs/default.toml"), *SHORT, "--out", str(out), *extra])


def user_folder(path):
    """A folder of a user's own work that happens to use nicsim's file names."""
    (path / "figures").mkdir(parents=True)
    files = {
        path / "figures" / "thesis_fig1.png": b"\x89PNG my figure",
        path / "figures" / "outcome.png": b"\x89PNG my other figure",
        path / "manifest.json": b'{"mine": true}',
        path / "params.toml": b"mine = true\n",
    }
    for file, data in files.items():
        file.write_bytes(data)
    return files


@pytest.mark.parametrize("force", [False, True])
def test_a_folder_nicsim_did_not_make_is_refused_and_left_as_it_was(root, tmp_path, capsys, force):
    files = user_folder(tmp_path / "mine")
    assert run(root, tmp_path / "mine", *(["--force"] if force else [])) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not made by nicsim" in err
    assert {f: f.read_bytes() for f in files} == files
    assert sorted(p.name for p in (tmp_path / "mine").rglob("*")) == sorted(
        ["figures", "thesis_fig1.png", "outcome.png", "manifest.json", "params.toml"]
    )


def test_force_replaces_only_what_nicsim_wrote(root, tmp_path, capsys):
    out = tmp_path / "r"
    assert run(root, out) == 0
    assert (out / MARKER).is_file()
    mine = out / "figures" / "thesis_fig1.png"
    mine.write_bytes(b"\x89PNG mine")
    notes = out / "notes.txt"
    notes.write_text("my notes")
    assert run(root, out, "--set", "h=0.5") == 2  # another experiment: refused...
    assert run(root, out, "--set", "h=0.5", "--force") == 0  # ...unless forced
    assert mine.read_bytes() == b"\x89PNG mine" and notes.read_text() == "my notes"
    assert json.loads((out / "manifest.json").read_text())["complete"]
    assert "h = 0.5" in (out / "params.toml").read_text().splitlines()
    capsys.readouterr()


def test_results_made_before_the_marker_still_resume(root, tmp_path, capsys):
    out = tmp_path / "r"
    assert run(root, out) == 0
    (out / MARKER).unlink()  # as nicsim 0.3 left it: plan.json says who made it
    assert run(root, out) == 0
    assert (out / MARKER).is_file()
    capsys.readouterr()


def test_a_quoted_tilde_means_home_for_every_file(root, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert run(root, "~/results") == 0
    assert (tmp_path / "home" / "results" / "runs.csv").is_file()
    assert (tmp_path / "home" / "results" / ".runs").is_dir()
    assert not (tmp_path / "~").exists()
    capsys.readouterr()


def test_the_filesystem_root_and_home_are_no_place_for_results(root, tmp_path, monkeypatch, capsys):
    # never tried for real on "/": a broken check would write there
    assert shared_place(Path("/")) == "the filesystem root"
    assert shared_place(Path("/tmp/..")) == "the filesystem root"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    assert shared_place(Path("~")) == "your home directory"
    assert shared_place(tmp_path / "home" / "results") is None
    assert run(root, "~", "--force") == 2
    assert "is your home directory" in capsys.readouterr().err
    assert list((tmp_path / "home").iterdir()) == []


def test_a_sweep_name_cannot_leave_results(root, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    sweep = tmp_path / "s.toml"
    sweep.write_text(
        f'base = "{root / "configs/default.toml"}"\nname = "../../../tmp/x"\n'
        "replications = 1\n[grid]\nh = [0.1]\n"
    )
    assert main(["sweep", str(sweep), "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "name = '../../../tmp/x' is not allowed" in err
    assert not (tmp_path / "results").exists()


# -- parts: a run's saved files are checked before they are trusted -------------------------
def parts(out):
    return sorted(p.name for p in (out / ".runs").glob("*.json"))


def run_twice(root, out, capsys):
    """A finished 2-run experiment, and its runs.csv as a clean run wrote it."""
    args = ["--replications", "2"]
    assert run(root, out, *args) == 0
    capsys.readouterr()
    return (out / "runs.csv").read_text()


def resume(root, out, capsys) -> str:
    (out / "runs.csv").unlink(missing_ok=True)  # as a kill before the final tables leaves it
    assert run(root, out, "--replications", "2") == 0
    return capsys.readouterr().err


@pytest.mark.parametrize(
    "damage",
    [
        lambda part: part.write_bytes(part.read_bytes()[:40]),  # truncated
        lambda part: part.write_bytes(b"\x00\xff\xfe binary"),
        lambda part: part.write_text("null"),
        lambda part: part.write_text(part.read_text().replace('"seed": 2', '"seed": 7')),  # edited
        lambda part: part.with_suffix(".parquet").write_bytes(b"PAR1"),  # its time series
    ],
    ids=["truncated", "binary", "null", "edited", "series"],
)
def test_a_damaged_part_is_set_aside_and_its_run_run_again(root, tmp_path, capsys, damage):
    out = tmp_path / "r"
    clean = run_twice(root, out, capsys)
    damage(out / ".runs" / "0000001.json")
    err = resume(root, out, capsys)
    assert "set aside 1 damaged or foreign run file(s)" in err
    assert "1 of 2 runs already done" in err
    assert (out / "runs.csv").read_text() == clean
    assert (out / ".runs" / "damaged" / "0000001.json").exists()


def test_stray_files_among_the_parts_are_set_aside(root, tmp_path, capsys):
    out = tmp_path / "r"
    clean = run_twice(root, out, capsys)
    (out / ".runs" / "notes.json").write_text('{"mine": 1}')
    # a copy of run 0 under run 1's name: a used run id
    for suffix in (".json", ".parquet"):
        (out / ".runs" / f"0000000{suffix}").replace(out / ".runs" / f"0000001{suffix}")
    err = resume(root, out, capsys)
    assert "set aside 2 damaged or foreign run file(s)" in err
    assert (out / "runs.csv").read_text() == clean
    assert parts(out) == ["0000000.json", "0000001.json"]


def test_parts_of_another_experiment_are_never_resumed(root, tmp_path, capsys):
    """What a kill during --force leaves: the old experiment's parts, no plan.json."""
    out = tmp_path / "r"
    run_twice(root, out, capsys)
    for name in ("plan.json", "runs.csv", "timeseries.parquet"):
        (out / name).unlink()
    assert run(root, out, "--replications", "2", "--set", "steps=3") == 0
    assert "set aside 2" in capsys.readouterr().err
    assert set(pd.read_csv(out / "runs.csv")["steps"]) == {3}
    assert set(pd.read_parquet(out / "timeseries.parquet")["step"]) == {0, 1, 2, 3}


def test_compare_refuses_a_truncated_runs_csv(root, tmp_path, capsys):
    out = tmp_path / "r"
    clean = run_twice(root, out, capsys)
    (out / "runs.csv").write_text("\n".join(clean.splitlines()[:2]) + "\n")  # header, 1 row
    assert main(["compare", str(out), "--by", "seed"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "has 1 rows but its manifest says 2 runs" in err
    assert run(root, out, "--replications", "2") == 0  # the same command writes it anew
    assert (out / "runs.csv").read_text() == clean


def test_a_run_is_defined_by_the_content_of_the_files_it_reads(root, tmp_path, capsys):
    """An edited network file is another experiment, never "already done"."""
    for name in ("my_network.toml", "my_network.csv"):
        (tmp_path / name).write_bytes((root / "configs" / name).read_bytes())
    config, network = tmp_path / "my_network.toml", tmp_path / "my_network.csv"
    args = ["run", str(config), "--set", "steps=2", "--replications", "1", "--out"]
    out = tmp_path / "r"
    assert main([*args, str(out)]) == 0
    inputs = json.loads((out / "manifest.json").read_text())["inputs"]
    assert inputs == {str(network): hashlib.sha256(network.read_bytes()).hexdigest()}
    first = (out / "runs.csv").read_text()
    lines = network.read_text().splitlines()
    network.write_text("\n".join(line for line in lines if "Eastport" not in line) + "\n")
    capsys.readouterr()
    assert main([*args, str(out)]) == 2
    assert "different experiment" in capsys.readouterr().err
    assert main([*args, str(out), "--force"]) == 0
    assert (out / "runs.csv").read_text() != first
