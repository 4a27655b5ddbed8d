"""nicsim never deletes or overwrites what it did not write, never writes outside the place
the user named, never starts what the machine cannot hold, lets one command at a time write
a directory, and however a command is stopped (Ctrl-C, a full disk, a killed worker) keeps
every saved run and says so in one line (a fault-injection audit's cases, each reproduced
here)."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import crashing_runs
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from test_sweep import sorted_runs, write_sweep

from nicsim.core.params import ConfigError
from nicsim.lab.atomic import temporary
from nicsim.lab.evaluators import RunBreaksWorkers, run_processes, simulate_and_free
from nicsim.lab.plans import Plan, Points, RunSpec
from nicsim.lab.store import MARKER, RunStore, _checksum, shared_place
from nicsim.lab.sweeps import read_sweep
from nicsim.nic.params import Params
from nicsim.ui import cli, console
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


@pytest.mark.slow
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


@pytest.mark.slow
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


def test_a_sweep_named_sweep_toml_is_named_after_its_folder_from_inside_it(
    root, tmp_path, monkeypatch
):
    """``nicsim sweep sweep.toml`` run from the experiment's own folder (the path has no
    parent part) still names the experiment after that folder."""
    folder = tmp_path / "my_experiment"
    folder.mkdir()
    (folder / "sweep.toml").write_text(f'base = "{root / "configs/default.toml"}"\n')
    monkeypatch.chdir(folder)
    assert read_sweep("sweep.toml").name == "my_experiment"


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
@pytest.mark.slow
def test_a_damaged_part_is_set_aside_and_its_run_run_again(root, tmp_path, capsys, damage):
    out = tmp_path / "r"
    clean = run_twice(root, out, capsys)
    damage(out / ".runs" / "0000001.json")
    err = resume(root, out, capsys)
    assert "set aside 1 damaged or foreign run file(s)" in err
    assert "1 of 2 runs already done" in err
    assert (out / "runs.csv").read_text() == clean
    assert (out / ".runs" / "damaged" / "0000001.json").exists()


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_compare_refuses_a_truncated_runs_csv(root, tmp_path, capsys):
    out = tmp_path / "r"
    clean = run_twice(root, out, capsys)
    (out / "runs.csv").write_text("\n".join(clean.splitlines()[:2]) + "\n")  # header, 1 row
    assert main(["compare", str(out), "--by", "seed"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "has 1 rows but its manifest says 2 runs" in err
    assert run(root, out, "--replications", "2") == 0  # the same command writes it anew
    assert (out / "runs.csv").read_text() == clean


@pytest.mark.slow
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


# -- the store itself, on runs that build no model (crashing_runs.quick) ----------------------
def quick_plan() -> Plan:
    """3 points x 2 replications, seed 10: runs 0 .. 5, made by crashing_runs.quick."""
    return Plan("quick", Params(), Points({"h": [0.0, 0.5, 1.0]}), seed=10, replications=2)


def save_runs(out: Path, plan: Plan, ids: set[int]) -> set[int]:
    """Open a store on ``out`` for ``plan`` and save the runs ``ids`` among those missing, as
    a command killed after saving them would leave it; return the ids found done on opening."""
    with RunStore(out) as store:
        done = store.open(plan, command=["test"])
        for spec in plan.runs.missing(done):
            if spec.run_id in ids:
                store.save(crashing_runs.quick(spec))
    return done


def test_a_resumed_store_runs_exactly_the_missing_runs_once(tmp_path):
    """Killed after runs 0, 3 and 4 of 6: reopened, exactly those are done, exactly 1, 2
    and 5 are handed out (seed by seed: 2, then 1 and 5), and the final runs.csv holds run
    ids 0 .. 5 once each, in order, each with its seed (10 + replication)."""
    plan, out = quick_plan(), tmp_path / "r"
    assert save_runs(out, plan, {0, 3, 4}) == set()
    with RunStore(out) as store:
        done = store.open(plan, command=["test"])
        assert done == {0, 3, 4} and store.saved() == 3 and store.damaged == []
        todo = plan.runs.missing(done)
        assert len(todo) == 3 and [spec.run_id for spec in todo] == [2, 1, 5]
        for spec in todo:
            store.save(crashing_runs.quick(spec))
        assert store.finalize() == 6 and store.complete
    runs = pd.read_csv(out / "runs.csv")
    assert runs.to_dict("list") == {"run_id": [0, 1, 2, 3, 4, 5], "seed": [10, 11] * 3}
    series = pd.read_parquet(out / "timeseries.parquet")
    assert series["value"].tolist() == [10, 20, 11, 22] * 3
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["runs_done"], manifest["complete"]) == (6, True)


def test_final_tables_of_some_runs_are_not_called_complete(tmp_path):
    """finalize() with runs 0 and 2 of 6 saved writes their two rows, and neither the store
    nor manifest.json calls the results complete."""
    plan, out = quick_plan(), tmp_path / "r"
    save_runs(out, plan, {0, 2})
    with RunStore(out) as store:
        store.open(plan, command=["test"])
        assert store.finalize() == 2 and not store.complete
    assert pd.read_csv(out / "runs.csv")["run_id"].tolist() == [0, 2]
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["runs_done"], manifest["complete"], manifest["finished"]) == (2, False, None)


def test_a_corrupted_part_is_run_again_exactly_once_and_stale_tables_go(tmp_path):
    """Complete results whose run 4 part was corrupted by hand: opening the store sets it
    aside, removes runs.csv and timeseries.parquet (stale, never to be taken for a complete
    result) and makes manifest.json say so at once; run 4, and only run 4, is handed out
    again; the final tables then hold run ids 0 .. 5 once each."""
    plan, out = quick_plan(), tmp_path / "r"
    save_runs(out, plan, set(range(6)))
    with RunStore(out) as store:
        store.open(plan, command=["test"])
        store.finalize()
    (out / ".runs" / "0000004.json").write_text("{not json")
    with RunStore(out) as store:
        done = store.open(plan, command=["test"])
        assert done == {0, 1, 2, 3, 5} and store.damaged == ["0000004.json"]
        assert not (out / "runs.csv").exists() and not (out / "timeseries.parquet").exists()
        manifest = json.loads((out / "manifest.json").read_text())
        assert (manifest["runs_done"], manifest["complete"]) == (5, False)  # true at once
        assert [spec.run_id for spec in plan.runs.missing(done)] == [4]
        store.save(crashing_runs.quick(plan.runs[4]))
        assert store.finalize() == 6 and store.complete
    assert pd.read_csv(out / "runs.csv")["run_id"].tolist() == [0, 1, 2, 3, 4, 5]
    assert parts(out) == [f"{i:07d}.json" for i in range(6)]


def test_the_manifest_counts_every_saved_run_before_the_tables_are_written(tmp_path, monkeypatch):
    """finalize() brings manifest.json up to date before it writes the tables, so that a
    full disk there leaves a manifest true about the saved runs (during runs it is written
    at most every 10 s: here it still says 0 of 6)."""
    plan, out = quick_plan(), tmp_path / "r"
    with RunStore(out) as store:
        store.open(plan, command=["test"])
        for spec in plan.runs:
            store.save(crashing_runs.quick(spec))
        assert json.loads((out / "manifest.json").read_text())["runs_done"] == 0
        fail_at(monkeypatch, ("runs.csv",), FULL)
        with pytest.raises(OSError):
            store.finalize()
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["runs_done"], manifest["complete"]) == (6, False)


def test_a_part_of_a_run_the_plan_does_not_have_is_set_aside(tmp_path):
    """A part with this plan's fingerprint and a right checksum, but of run 6 in a plan of
    runs 0 .. 5 (a hand-made or renamed file), is no run of the plan: set aside, not done."""
    plan, out = quick_plan(), tmp_path / "r"
    save_runs(out, plan, set(range(6)))
    parts_dir = out / ".runs"
    part = json.loads((parts_dir / "0000005.json").read_text())
    part["row"]["run_id"] = 6
    series = (parts_dir / "0000005.parquet").read_bytes()
    part["checksum"] = _checksum(part["row"], series)
    (parts_dir / "0000006.parquet").write_bytes(series)
    (parts_dir / "0000006.json").write_text(json.dumps(part))
    with RunStore(out) as store:
        assert store.open(plan, command=["test"]) == set(range(6))
        assert store.damaged == ["0000006.json"]
        assert len(plan.runs.missing(store.done())) == 0


def test_final_tables_stand_in_for_their_parts_only_if_they_hold_exactly_the_plan(tmp_path):
    """Committed results (final tables, no parts) are this plan's whole result when
    runs.csv holds run ids 0 .. 5 in order and the manifest says complete: every run counts
    as done and nothing is run. A run more, or one missing, and they do not."""
    plan, out = quick_plan(), tmp_path / "r"
    save_runs(out, plan, set(range(6)))
    with RunStore(out) as store:
        store.open(plan, command=["test"])
        store.finalize()
    for part in (out / ".runs").iterdir():
        part.unlink()
    table = (out / "runs.csv").read_text()
    with RunStore(out) as store:
        assert store.open(plan, command=["test"]) == set(range(6))
        assert store.from_tables and store.saved() == 6
    for changed in (table + "6,10\n", table.replace("5,11\n", "")):
        (out / "runs.csv").write_text(changed)
        with RunStore(out) as store:
            assert store.open(plan, command=["test"]) == set()
            assert not store.from_tables and not (out / "runs.csv").exists()
        (out / "timeseries.parquet").write_bytes(b"PAR1")  # removed with runs.csv: put back
        (out / "manifest.json").write_text('{"complete": true}')


def test_a_finished_folder_entered_again_keeps_the_manifest_of_the_runs_that_made_it(tmp_path):
    """A sweep run again on its finished folder (parts and final tables all there) runs
    nothing and leaves manifest.json as it was: its start, finish, command and versions
    describe the runs, not the command that only redrew their report."""
    plan, out = quick_plan(), tmp_path / "r"
    save_runs(out, plan, set(range(6)))
    with RunStore(out) as store:
        store.open(plan, command=["test"])
        store.finalize()
    manifest = (out / "manifest.json").read_bytes()
    assert json.loads(manifest)["complete"]
    with RunStore(out) as store:
        assert store.open(plan, command=["again"]) == set(range(6))
        assert store.from_tables
        store.finalize()
    assert (out / "manifest.json").read_bytes() == manifest


def test_discard_never_removes_a_saved_run(tmp_path):
    """A command refused once its runs are being made calls discard(): a directory it made
    goes entirely while no run is saved in it, and is left as it is once one is."""
    plan = quick_plan()
    with RunStore(tmp_path / "empty") as store:
        store.open(plan, command=["test"])
        assert store.discard()
    assert not (tmp_path / "empty").exists()
    out = tmp_path / "r"
    with RunStore(out) as store:
        store.open(plan, command=["test"])
        store.save(crashing_runs.quick(plan.runs[0]))
        assert not store.discard()
    assert parts(out) == ["0000000.json"] and (out / ".runs" / "0000000.parquet").is_file()


def test_temporary_files_of_our_own_pid_or_of_old_parts_are_leftovers(tmp_path):
    """A store opening a directory has no write under way, so a temporary file named with
    its own pid was left by a killed command that had the same pid (pids are reused, and
    in a container every command may be pid 1's child with the same number); a part's
    temporary file as earlier versions named it (NNNNNNN.parquet.tmp) is a leftover too."""
    plan, out = quick_plan(), tmp_path / "r"
    save_runs(out, plan, {0})
    left = [
        out / f"runs.csv.{os.getpid()}-0123abcd.tmp",
        out / ".runs" / f"0000001.json.{os.getpid()}-0123abcd.tmp",
        out / ".runs" / "0000002.parquet.tmp",
        out / ".runs" / "0000002.json.tmp",
    ]
    for file in left:
        file.write_bytes(b"x")
    with RunStore(out) as store:
        assert store.open(plan, command=["test"]) == {0}
        assert store.damaged == []
    assert [f.exists() for f in left] == [False] * len(left)


def test_a_running_writers_temporary_part_is_neither_removed_nor_set_aside(tmp_path):
    """A temporary file among the parts whose writer is running is no part: it is left
    where it is, and nothing is set aside as damaged."""
    plan, out = quick_plan(), tmp_path / "r"
    save_runs(out, plan, {0})
    alive = out / ".runs" / f"0000001.json.{os.getppid()}-0123abcd.tmp"
    alive.write_bytes(b"x")
    with RunStore(out) as store:
        assert store.open(plan, command=["test"]) == {0}
        assert store.damaged == []
    assert alive.read_bytes() == b"x"


# -- one command at a time, and every way a command can be stopped ---------------------------
PROGRESS = re.compile(r"\S+: \d+/\d+ \(\d+%\)")  # a progress line in a log


def one_line(err: str) -> str:
    """The one line a command ended with, beside the progress lines of a log."""
    lines = [line for line in err.splitlines() if line and not PROGRESS.match(line)]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def temporary_files(out: Path) -> list[str]:
    return sorted(p.name for p in out.rglob("*.tmp"))


@pytest.mark.slow
def test_a_second_command_is_refused_while_one_holds_the_directory(root, tmp_path, capsys):
    """Another command (or a --force) on a directory in use is refused at once, in one line,
    touching nothing; the lock dies with its holder, even one killed with SIGKILL."""
    out = tmp_path / "r"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from nicsim.lab.store import RunStore\n"
            "RunStore(sys.argv[1]).claim(); print('held', flush=True); sys.stdin.read()",
            str(out),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        before = sorted(p.name for p in out.rglob("*"))
        assert run(root, out, "--force") == 2
        line = one_line(capsys.readouterr().err)
        assert line == (
            f"nicsim: error: {out} is in use by another nicsim command (pid {holder.pid}); "
            "wait for it to finish or use another --out"
        )
        assert sorted(p.name for p in out.rglob("*")) == before
    finally:
        holder.kill()
        holder.wait()
    with RunStore(out) as store:
        store.claim()  # the lock died with its holder


def test_temporary_files_are_unique_and_leftovers_of_the_dead_are_removed(tmp_path):
    path = tmp_path / "r" / "timeseries.parquet"
    names = {temporary(path).name for _ in range(3)}
    assert len(names) == 3  # two writers in one process never share one either
    assert all(n.startswith(f"timeseries.parquet.{os.getpid()}-") for n in names)
    assert all(n.endswith(".tmp") for n in names)
    out = tmp_path / "r"
    with RunStore(out) as store:
        store.claim()
    (out / ".runs").mkdir()
    (out / "figures").mkdir()
    dead, alive = 99_999_999, os.getppid()  # above any pid_max; the process that ran pytest
    left = [
        out / f"runs.csv.{dead}-0123abcd.tmp",
        out / ".runs" / f"0000003.parquet.{dead}-0123abcd.tmp",
        out / "figures" / f"outcome.png.{dead}-0123abcd.tmp",
        out / "timeseries.parquet.tmp",  # as earlier versions named it
    ]
    kept = [out / f"comparison.md.{alive}-0123abcd.tmp", out / "notes.tmp", out / "a.tmp.txt"]
    for file in left + kept:
        file.write_bytes(b"x")
    with RunStore(out) as store:
        store.claim()
        store.remove_leftovers()
    assert [f.exists() for f in left + kept] == [False] * len(left) + [True] * len(kept)


def results_of(results) -> dict[int, tuple]:
    """Run id -> (row, time series) of each result; a run returned twice fails."""
    seen: dict[int, tuple] = {}
    for result in results:
        assert result.run_id not in seen, f"run {result.run_id} returned twice"
        seen[result.run_id] = (result.row, result.timeseries.to_dict("list"))
    return seen


SPECS = [RunSpec(i, 10 + i, i, Params()) for i in range(6)]


@pytest.mark.slow
def test_a_killed_worker_costs_only_the_runs_it_had_in_hand(tmp_path):
    """SIGKILL a worker mid-sweep: a new pool runs what was cut short, and the results are
    those of an uninterrupted sweep, every run once."""
    marker = tmp_path / "run 2 was killed"
    killed = partial(crashing_runs.killed_once, run_id=2, marker=marker)
    results = results_of(run_processes(SPECS, 2, run=killed))
    assert marker.exists()
    assert results == results_of(crashing_runs.quick(s) for s in SPECS)


@pytest.mark.slow
def test_a_run_that_always_ends_its_worker_is_named_once_the_others_are_done():
    always = partial(crashing_runs.always_killed, run_id=5)
    seen = []
    with pytest.raises(RunBreaksWorkers) as failed:
        for result in run_processes(SPECS, 1, run=always, max_breaks=2):
            seen.append(result.run_id)
    assert (failed.value.spec.run_id, failed.value.times, failed.value.others) == (5, 2, 0)
    assert sorted(seen) == [0, 1, 2, 3, 4]


@pytest.mark.slow
def test_the_command_names_a_run_that_never_finishes(root, tmp_path, monkeypatch, capsys):
    def crash(specs, on_result, **options) -> int:
        specs = list(specs)  # the plan hands runs out one at a time
        on_result(simulate_and_free(specs[0]))
        raise RunBreaksWorkers(specs[1], 3)

    monkeypatch.setattr(cli, "evaluate", crash)
    out = tmp_path / "r"
    assert run(root, out, "--replications", "3") == cli.EXIT_FAILED == 1
    assert one_line(capsys.readouterr().err) == (
        "nicsim: error: run 1 (seed = 2) ended its worker process 3 times (a crash in native "
        "code, or more memory than the machine has?): it will never finish; 1 of 3 runs are "
        f"saved in {out}"
    )
    assert json.loads((out / "manifest.json").read_text())["runs_done"] == 1


@pytest.fixture
def quick_figures(monkeypatch):
    """Figures are written as in use (under a temporary name, then renamed into place), but
    their pixels are not drawn: that is most of a small command's time, and no part of what
    these tests check."""
    monkeypatch.setattr(Figure, "tight_layout", lambda self, **kwargs: None)
    monkeypatch.setattr(
        Figure, "savefig", lambda self, path, **kwargs: Path(path).write_bytes(b"PNG")
    )


def fail_at(monkeypatch, names: tuple[str, ...], error: BaseException, after: str = "") -> None:
    """Make renaming a file of one of ``names`` into place fail with ``error`` (once a file
    named ``after`` has been renamed into place): as a Ctrl-C or a full disk at that moment."""
    replace = os.replace
    armed = [not after]

    def failing(src, dst, *args, **kwargs):
        if armed[0] and Path(dst).name in names:
            raise error
        replace(src, dst, *args, **kwargs)
        armed[0] = armed[0] or Path(dst).name == after

    monkeypatch.setattr(os, "replace", failing)


FULL = OSError(errno.ENOSPC, "No space left on device")
NO_TABLES = (
    "nicsim: error: all 2 runs are saved in {out}/.runs, but the final tables could not be "
    "written (No space left on device); run the same command again when there is space"
)


@pytest.mark.parametrize(
    ("names", "error", "code", "words"),
    [
        (
            ("params.toml",),
            KeyboardInterrupt(),
            130,
            "interrupted: 0 of 2 runs are saved in {out}; run the same command again to finish "
            "the rest",
        ),
        (
            ("runs.csv",),
            KeyboardInterrupt(),
            130,
            "interrupted: 2 of 2 runs are saved in {out}; run the same command again to finish "
            "the rest",
        ),
        (
            ("0000001.json",),
            FULL,
            1,
            "nicsim: error: cannot write in {out} (No space left on device); 1 of 2 runs are "
            "saved; run the same command again when there is space",
        ),
        (("timeseries.parquet",), FULL, 1, NO_TABLES),
        (
            ("runs.csv", "manifest.json"),
            FULL,
            1,
            NO_TABLES + " (manifest.json could not be updated: No space left on device)",
        ),
        (
            ("outcome.png",),
            KeyboardInterrupt(),
            130,
            "interrupted: 2 of 2 runs are saved in {out}; run the same command again for the "
            "summary and figures",
        ),
        (
            ("outcome.png",),
            FULL,
            0,
            "nicsim: warning: the results in {out} are complete, but the summary and figures "
            "could not be written (No space left on device)",
        ),
    ],
    ids=[
        "ctrl-c-start",
        "ctrl-c-tables",
        "full-runs",
        "full-tables",
        "full-manifest",
        "ctrl-c-fig",
        "full-fig",
    ],
)
def test_stopped_at_any_moment_one_line_no_temporary_file_and_a_true_manifest(
    root, tmp_path, monkeypatch, capsys, names, error, code, words, quick_figures
):
    """A Ctrl-C or a full disk while starting, saving a run, writing the final tables or
    drawing the figures: one line, no traceback, no temporary file, a manifest that tells
    the truth (or a line that says it could not), and the same command finishes."""
    out = tmp_path / "r"
    with monkeypatch.context() as fault:
        # manifest.json is written as the command starts, too: fail it only at the end
        fail_at(fault, names, error, after="0000001.json" if "manifest.json" in names else "")
        assert run(root, out, "--replications", "2") == code
    assert one_line(capsys.readouterr().err).strip() == words.format(out=out)
    assert temporary_files(out) == []
    saved = len(parts(out))
    if "manifest.json" not in names and (out / "manifest.json").exists():
        # it tells the truth about the saved runs, however the command ended
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["runs_done"] == saved
        assert manifest["complete"] == (names == ("outcome.png",))
    if names != ("outcome.png",):  # (else the results are complete already)
        assert run(root, out, "--replications", "2") == 0
        assert json.loads((out / "manifest.json").read_text())["complete"]
        assert temporary_files(out) == []
        capsys.readouterr()


def test_ctrl_c_while_the_command_starts_is_one_line(monkeypatch, capsys):
    """Before any directory is open: while importing, parsing or reading the input."""

    def interrupted(argv=None) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "main", interrupted)
    with pytest.raises(SystemExit) as ended:
        console.entry()
    assert ended.value.code == 130
    assert one_line(capsys.readouterr().err) == (
        "interrupted: no run was under way; run the same command again"
    )


# -- resource bombs: estimated and refused before anything is built ------------------------
GB = 10**9


@pytest.fixture
def machine(monkeypatch):
    """The budget sees a machine of 24 GB whatever runs the tests, and this process may
    not grow by more than 1 GB: a bomb that got past the budget fails at once with
    MemoryError rather than taking the machine down with it."""
    import resource

    from nicsim.lab import budget

    monkeypatch.setattr(budget, "physical_memory", lambda: 24 * GB)
    limits = resource.getrlimit(resource.RLIMIT_AS)
    size = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    hard = limits[1]
    resource.setrlimit(resource.RLIMIT_AS, (min(size + GB, hard) if hard > 0 else size + GB, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, limits)


def sweep_file(path, root, body: str) -> str:
    """A sweep file around the default config (1 replication unless ``body`` says)."""
    reps = "" if body.startswith(("seed", "replications")) else "replications = 1\n"
    path.write_text(f'base = "{root / "configs/default.toml"}"\n{reps}{body}')
    return str(path)


def billion_point_grid(tmp_path, root) -> list[str]:
    values = ", ".join(str(i / 1000) for i in range(1000))
    grid = "".join(f"{axis} = [{values}]\n" for axis in ("h", "share_prob", "research_rate"))
    return ["sweep", sweep_file(tmp_path / "grid.toml", root, f"[grid]\n{grid}")]


def billion_samples(tmp_path, root) -> list[str]:
    body = "[sample]\npoints = 1e9\n[sample.ranges]\nh = [0, 1]\n"
    return ["sweep", sweep_file(tmp_path / "sample.toml", root, body)]


def million_line_graph(tmp_path, root) -> list[str]:
    graph = tmp_path / "big.csv"
    graph.write_bytes(
        b"source,target,source_kind,target_kind\n" + b"a,b,district,district\n" * 10**6
    )
    config = tmp_path / "big.toml"
    config.write_text(f'design = "file"\ngraph_file = "{graph}"\n')
    return ["run", str(config)]


def default(*extra: str):
    return lambda tmp_path, root: ["run", str(root / "configs/default.toml"), *extra]


BOMBS = {
    "partnerships": (default("--set", "partnerships=1e7"), "partnerships = 10000000 would need"),
    "leaders": (
        default("--set", "leaders_per_district=1e7"),
        "leaders_per_district = 10000000 would need",
    ),
    "contexts": (default("--set", "n_contexts=1e12"), "n_contexts = 1000000000000 would need"),
    "replications": (default("--set", "replications=1e9"), "(1,000,000,000 runs) is too many"),
    "grid": (billion_point_grid, "1,000,000,000 runs (1,000,000,000 points x 1 replication)"),
    "sample": (billion_samples, "1,000,000,000 runs (1,000,000,000 points x 1 replication)"),
    "graph_file": (million_line_graph, "big.csv' (1000000 ties) would need"),
    "animate": (
        lambda tmp_path, root: [
            "animate",
            str(root / "configs/default.toml"),
            "--set",
            "partnerships=1e7",
            "--out",
            str(tmp_path / "a.gif"),
        ],
        "partnerships = 10000000 would need",
    ),
}


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_resource_bomb_is_refused_in_one_line_before_memory_grows(
    root, tmp_path, capsys, machine, bomb
):
    import tracemalloc

    make, words = BOMBS[bomb]
    args = make(tmp_path, root)
    out = tmp_path / "out"
    tracemalloc.start()
    try:
        code = main([*args, *(["--out", str(out)] if args[0] != "animate" else [])])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith("nicsim: error: ") and words in err, err
    if "would need" in words:
        assert "this machine has 24 GB of memory in all (use --allow-large" in err
    assert peak < 16 * 2**20  # nothing was built: the estimate is arithmetic
    assert not out.exists() and not (tmp_path / "a.gif").exists()


def test_a_graph_files_nodes_are_its_distinct_names_and_its_ties_its_lines(tmp_path, monkeypatch):
    from nicsim.nic import graphs

    csv_file = tmp_path / "g.csv"
    header = "source,target,source_kind,target_kind\n"
    rows = ["a,b", "b,a", "b,c", "c,a", "d,a"]
    csv_file.write_text(header + "".join(f"{r},district,district\n" for r in rows))
    assert graphs.graph_size(str(csv_file)) == (4, 5)
    graphml = tmp_path / "g.graphml"
    graphml.write_text(
        '<graphml><graph edgedefault="undirected"><node id="a"/><node id="b"/>'
        '<node id="c"/><edge source="a" target="b"/></graph></graphml>'
    )
    assert graphs.graph_size(str(graphml)) == (3, 1)
    # more names than are kept: as many nodes as ties, an upper bound, never a set that grows
    monkeypatch.setattr(graphs, "NODE_NAMES", 5)
    csv_file.write_text(header + "".join(f"{r},district,district\n" for r in ["a,b", "c,d", "e,f"]))
    assert graphs.graph_size(str(csv_file)) == (3, 3)
    assert graphs.graph_size(str(tmp_path / "missing.csv")) == (0, 0)


def test_their_network_files_at_their_scale_are_not_warned_about_as_days(root):
    """Barkoczi & Galesic's fully connected network has 100 agents and 9,900 one-way ties:
    a 200-round run takes a fraction of a second, not the 49 s that counting each line as a
    district once estimated (which warned that their 40,000 runs would take 1.7 days)."""
    from nicsim.lab import budget
    from nicsim.lab.config import load_config

    cfg = root / "configs/replications/barkoczi_galesic_2016/base.toml"
    params = load_config(cfg, {"learning": "conformity"}).params
    need = budget.run_need(params)
    assert need.seconds < 2.0
    assert need.drawn == 100 + 9900


def test_allow_large_runs_a_modestly_large_run_anyway(root, tmp_path, monkeypatch, capsys):
    from nicsim.lab import budget
    from nicsim.lab.config import load_config

    params = load_config(root / "configs/default.toml", {"steps": 2, "partnerships": 2}).params
    need = budget.run_need(params).memory
    monkeypatch.setattr(budget, "physical_memory", lambda: int(1.5 * need))  # 2/3 of it
    out = tmp_path / "r"
    assert run(root, out) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "would need about" in err and "--allow-large" in err
    assert not out.exists()
    assert run(root, out, "--allow-large") == 0
    err = capsys.readouterr().err
    assert "nicsim: warning: " in err and "running it anyway (--allow-large)" in err
    assert len(pd.read_csv(out / "runs.csv")) == 1


def test_runs_in_flight_are_the_workers_but_never_more_than_the_runs(monkeypatch):
    """Memory is one run's times the runs held at once: one per local worker, never more
    than the plan's runs, and one with a scheduler (a stand-in for a worker elsewhere)."""
    from nicsim.lab import budget
    from nicsim.lab.plans import Plan

    params = Params(partnerships=2, steps=2)
    plan = Plan("two", params, replications=2)
    one = budget.run_need(params).memory
    est = budget.estimate(plan)
    assert (est.runs, est.worst.memory) == (2, one)
    assert est.main == 2 * budget.RUN_ID_BYTES + 2 * budget.SEED_BYTES
    monkeypatch.setattr(budget, "physical_memory", lambda: int(3 * one))  # room for 1.5 runs
    assert budget.check(plan, workers=1) == []
    assert budget.check(plan, workers=8, scheduler=True) == []
    with pytest.raises(ConfigError) as refused:
        budget.check(plan, workers=8)
    assert str(refused.value) == (
        "a run would need about 11 MB per run, 22 MB with 2 workers; this machine has 33 MB "
        "of memory in all (use --workers 1, or --allow-large to run it anyway)"
    )


def test_a_day_of_computing_is_a_warning_shared_among_the_workers(monkeypatch):
    """The time warning (more than a day) is the runs' time over the runs in flight: one
    and a half days of runs warn on 1 worker, not on 2."""
    import math

    from nicsim.lab import budget
    from nicsim.lab.plans import Plan

    monkeypatch.setattr(budget, "physical_memory", lambda: 10**15)
    params = Params(partnerships=2, steps=2)
    seconds = budget.run_need(params).seconds
    reps = math.ceil(1.5 * budget.LONG / seconds)
    plan = Plan("long", params, replications=reps)
    [line] = budget.check(plan, workers=1)
    assert line.startswith(
        f"replications = {reps} ({reps:,} runs) would take about 1.5 days on 1 worker"
    )
    assert budget.check(plan, workers=2) == []


def test_a_plan_too_large_for_its_runs_ids_names_the_plan_not_a_run(monkeypatch):
    """When what the main process holds for the plan (100 bytes a run, 40 a seed) outweighs
    the runs in flight, the refusal names the plan and its whole need, not a run."""
    from nicsim.lab import budget
    from nicsim.lab.plans import Plan

    plan = Plan("many", Params(partnerships=2, steps=2), replications=5_000_000)
    assert budget.estimate(plan).main == 5_000_000 * (100 + 40)
    monkeypatch.setattr(budget, "physical_memory", lambda: 10**9)
    with pytest.raises(ConfigError) as refused:
        budget.check(plan)
    assert str(refused.value) == (
        "replications = 5000000 (5,000,000 runs) would need about 711 MB; this machine has "
        "1 GB of memory in all (use --allow-large to run it anyway)"
    )


def test_cross_ties_are_counted_among_districts_of_different_partnerships():
    """networked: each pair of districts of different partnerships is a tie with chance
    cross_ties; 11 partnerships of 3 districts have 33 x 30 / 2 = 495 such pairs, 1 KB a
    tie under pdsa."""
    from nicsim.lab import budget

    few, many = (budget.run_need(Params(design="networked", cross_ties=c)) for c in (0.0, 0.5))
    assert many.memory - few.memory == 495 * 0.5 * budget.TIE_BYTES["pdsa"]


def test_a_large_runs_message_names_the_setting_furthest_above_its_default():
    """The largest term's settings, each against its default: a lattice of 4,000 districts
    and lattice_k = 1,500 is 6 million ties because of lattice_k (750 times its default of
    2; the districts are 121 times the default 33, not 4,000 times n_districts' 0, which
    only means "the partnerships' districts"); with lattice_k at its default the largest
    term is the leaders' beliefs, which the districts make large."""
    from nicsim.lab import budget

    wide = budget.run_need(Params(design="lattice", n_districts=4000, lattice_k=1500))
    assert wide.culprit == "lattice_k = 1500"
    assert wide.memory > 4000 * 1500 * budget.TIE_BYTES["pdsa"]
    assert budget.run_need(Params(design="lattice", n_districts=4000)).culprit == (
        "n_districts = 4000"
    )
    assert budget.run_need(Params(partnerships=400)).culprit == "partnerships = 400"


def test_a_plans_estimate_is_its_worst_corner_and_its_mean_corner(monkeypatch):
    """A plan's memory is that of its worst corner (not its first), its time per run the
    corners' mean, and the main process holds 100 bytes a run, 40 a seed and 32 a sampled
    coordinate; a plan of as many runs as a results directory holds is not refused, one
    more is."""
    import itertools
    import statistics

    from nicsim.lab import budget
    from nicsim.lab.plans import Plan, Points

    base = Params(partnerships=2, steps=2)
    points = Points({"partnerships": [7, 40, 2]}, {"h": (0.0, 1.0), "steps": (2, 6)}, rows=3)
    plan = Plan("p", base, points, replications=4)
    est = budget.estimate(plan)
    corners = [
        budget.run_need(Params(partnerships=p, steps=s, h=h))
        for p, h, s in itertools.product((2, 40), (0.0, 1.0), (2, 6))
    ]
    assert est.runs == 3 * 3 * 4
    assert est.worst == budget.run_need(Params(partnerships=40, steps=6, h=1.0))
    assert est.worst.memory == max(c.memory for c in corners) > corners[0].memory
    assert est.seconds == pytest.approx(statistics.mean(c.seconds for c in corners), rel=1e-12)
    assert est.main == 36 * 100 + 4 * 40 + 3 * 2 * 32
    monkeypatch.setattr(budget, "physical_memory", lambda: 10**15)
    assert budget.check(plan, max_runs=36) == []
    with pytest.raises(ConfigError) as refused:
        budget.check(plan, max_runs=35)
    assert str(refused.value) == (
        "36 runs (9 points x 4 replications) is too many: a results directory holds at most "
        "35 runs (split the experiment)"
    )


def test_a_runs_memory_counts_its_contexts_and_tests():
    """n_contexts = 0 means one context per district: the memory and time of as many
    contexts as districts; each PDSA test a month holds 100 bytes."""
    from nicsim.lab import budget

    derived = budget.run_need(Params(n_contexts=0))
    named = budget.run_need(Params(n_contexts=Params().districts))
    assert (derived.memory, derived.seconds) == (named.memory, named.seconds)
    one, three = (budget.run_need(Params(tests_per_leader=t)).memory for t in (1, 3))
    leaders = Params().districts * Params().leaders_per_district
    assert three - one == pytest.approx(leaders * 2 * budget.TEST_BYTES, rel=1e-9)


def million_run_sweep(path, root) -> str:
    """100 x 100 grid points x 10 sampled points x 10 replications."""
    values = ", ".join(str(i / 100) for i in range(100))
    body = (
        f"seed = 7\nreplications = 10\n[params]\nsteps = 2\n[grid]\nh = [{values}]\n"
        f"share_prob = [{values}]\n[sample]\npoints = 10\n[sample.ranges]\n"
        "turnover_rate = [0.0, 0.4]\nmin_tests = [1, 5]\n"
    )
    return sweep_file(path, root, body)


def eager_run(sweep, k: int) -> tuple:
    """Run k as the plans of nicsim 0.4.0 listed it: every grid point (itertools.product)
    with every Latin hypercube point, each with every replication."""
    import itertools

    import numpy as np

    from nicsim.lab.config import from_dict

    rng = np.random.default_rng(np.random.SeedSequence([sweep.seed, 0x5A11]))
    sampled = [{} for _ in range(sweep.points)]
    for name, (lo, hi) in sweep.ranges.items():
        u = (rng.permutation(sweep.points) + rng.random(sweep.points)) / sweep.points
        for row, v in zip(sampled, lo + u * (hi - lo), strict=True):
            row[name] = int(round(v)) if name == "min_tests" else float(v)
    point, r = divmod(k, sweep.replications)
    g, s = divmod(point, sweep.points)
    combo = next(itertools.islice(itertools.product(*sweep.grid.values()), g, None))
    params = from_dict({**dict(zip(sweep.grid, combo, strict=True)), **sampled[s]}, sweep.base)
    swept = {name: getattr(params, name) for name in [*sweep.grid, *sweep.ranges]}
    return k, sweep.seed + r, r, params, swept


def test_a_million_run_sweep_is_planned_at_once_in_little_memory(root, tmp_path):
    import tracemalloc

    from nicsim.lab.sweeps import load_sweep, read_sweep

    path = million_run_sweep(tmp_path / "m.toml", root)
    tracemalloc.start()
    try:
        plan = load_sweep(path)
        runs = len(plan.runs)
        fingerprint = plan.fingerprint()
        picked = [plan.runs[k] for k in (0, 1, 9, 10, 12345, 543210, 999_999, -1)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert runs == 10**6 and len(fingerprint) == 16
    assert peak < 4 * 2**20
    sweep = read_sweep(path)
    for spec, k in zip(picked, (0, 1, 9, 10, 12345, 543210, 999_999, 999_999), strict=True):
        got = (spec.run_id, spec.seed, spec.replication, spec.params, spec.swept)
        assert got == eager_run(sweep, k)
    assert plan.seeds == list(range(7, 17))


def test_the_fingerprint_tells_every_other_experiment_apart(root, tmp_path):
    """Worked out from the plan's description, not its runs; two plans whose runs are the
    same but whose outputs are not (a swept column more) are two experiments."""
    from nicsim.lab.sweeps import load_sweep

    variants = {
        "grid": '[grid]\ndesign = ["siloed", "hub"]\nh = [0.0, 0.5]\n',
        "order": '[grid]\nh = [0.0, 0.5]\ndesign = ["siloed", "hub"]\n',
        "values": '[grid]\ndesign = ["siloed", "hub"]\nh = [0.0, 0.6]\n',
        "one more": '[grid]\ndesign = ["siloed", "hub"]\nh = [0.0, 0.5, 1.0]\n',
        "seed": 'seed = 2\n[grid]\ndesign = ["siloed", "hub"]\nh = [0.0, 0.5]\n',
        "fixed": '[params]\nsteps = 5\n[grid]\ndesign = ["siloed", "hub"]\nh = [0.0, 0.5]\n',
        # a parameter added after results were committed, off its default (inert_default)
        "inert": '[params]\ncontribution_decimals = 2\n[grid]\ndesign = ["siloed", "hub"]\n'
        "h = [0.0, 0.5]\n",
        "own value of h": "[grid]\nh = [0.3]\n",  # the same runs as the next: h is the base's
        "own design": '[grid]\ndesign = ["hub"]\n',
        "sample": "[sample]\npoints = 4\n[sample.ranges]\nh = [0, 1]\n",
        "points": "[sample]\npoints = 5\n[sample.ranges]\nh = [0, 1]\n",
        "range": "[sample]\npoints = 4\n[sample.ranges]\nh = [0, 0.5]\n",
    }
    prints = {
        name: load_sweep(sweep_file(tmp_path / f"{i}.toml", root, body)).fingerprint()
        for i, (name, body) in enumerate(variants.items())
    }
    assert len(set(prints.values())) == len(prints), prints
    again = load_sweep(sweep_file(tmp_path / "again.toml", root, variants["grid"]))
    assert again.fingerprint() == prints["grid"]
    reps = load_sweep(sweep_file(tmp_path / "again.toml", root, variants["grid"]), replications=2)
    assert reps.fingerprint() != prints["grid"]


def test_another_release_of_nicsim_is_another_experiment(root, tmp_path, monkeypatch):
    """Runs of another nicsim release are never mixed in: the version is part of the
    fingerprint, so the same sweep file under another version is a different experiment."""
    from nicsim.core import version
    from nicsim.lab.sweeps import load_sweep

    path = sweep_file(tmp_path / "s.toml", root, '[grid]\ndesign = ["siloed", "hub"]\n')
    now = load_sweep(path).fingerprint()
    assert load_sweep(path).fingerprint() == now
    monkeypatch.setattr(version, "__version__", "0.0.1")
    assert load_sweep(path).fingerprint() != now


def test_a_small_sweep_gives_the_runs_of_the_eager_plan(root, tmp_path, capsys):
    """Ids, seeds, parameters and so outputs as before plans were made lazily: each run
    of a sweep with a grid, a sample and replications equals the eager plan's, run alone."""
    from nicsim.lab.evaluators import simulate
    from nicsim.lab.plans import RunSpec
    from nicsim.lab.sweeps import read_sweep

    body = (
        "seed = 4\nreplications = 2\n[params]\nsteps = 2\npartnerships = 2\n"
        '[grid]\ndesign = ["siloed", "hub"]\n[sample]\npoints = 2\n[sample.ranges]\n'
        "turnover_rate = [0.0, 0.4]\nmin_tests = [1, 5]\n"
    )
    path = sweep_file(tmp_path / "s.toml", root, body)
    out = tmp_path / "out"
    assert main(["sweep", path, "--workers", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    runs = pd.read_csv(out / "runs.csv")
    sweep = read_sweep(path)
    expected = pd.DataFrame([simulate(RunSpec(*eager_run(sweep, k))).row for k in range(8)])
    expected = pd.read_csv(io.StringIO(expected.to_csv(index=False)))  # as runs.csv holds it
    pd.testing.assert_frame_equal(runs, expected)


# -- a sweep killed at random moments ---------------------------------------------------------
KILL_SEED = 20261129  # the kill moments are random but the same in every run of the suite


@pytest.mark.slow
def test_sweep_killed_at_random_moments_then_resumed_equals_an_uninterrupted_sweep(tmp_path, root):
    """SIGKILL a sweep twice, each time at a random moment (maybe while it starts, maybe
    while a run is being saved); its workers stop with it; the same command then finishes
    it with every run once and the outputs of a sweep never interrupted."""
    import psutil

    sweep = write_sweep(tmp_path / "s.toml", root, replications=6)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "nicsim.ui.cli", "sweep", str(sweep), "--workers", "2"]
    cmd += ["--out", str(out), "--set", "steps=12"]
    parts = out / ".runs"
    rng = np.random.default_rng(KILL_SEED)
    # first while it starts (reading, planning, starting workers), then while it runs
    for while_running in (False, True):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while while_running and not list(parts.glob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.0) if while_running else rng.uniform(0.3, 2.0))
        workers = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)  # the sweep only, as `kill -9 PID` would
        proc.wait()
        gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, "workers of a killed sweep must not keep running"
    done = len(list(parts.glob("*.json")))
    assert 1 <= done < 24, "the sweep should have been killed part way"
    resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{done} of 24 runs already done" in resumed.stderr
    # uninterrupted, in this process and serially (every backend gives the same results)
    whole = ["sweep", str(sweep), "--workers", "1", "--out", str(tmp_path / "whole")]
    assert main([*whole, "--set", "steps=12"]) == 0
    a, b = sorted_runs(out), sorted_runs(tmp_path / "whole")
    assert a["run_id"].tolist() == list(range(24))  # none lost, none duplicated
    pd.testing.assert_frame_equal(a, b)
    ts_a = pd.read_parquet(out / "timeseries.parquet")
    ts_b = pd.read_parquet(tmp_path / "whole" / "timeseries.parquet")
    pd.testing.assert_frame_equal(ts_a, ts_b)
    assert not list(out.rglob("*.tmp")), "a killed sweep's temporary files are cleaned up"


THREE = ("--replications", "3")


@pytest.mark.slow
def test_committed_results_are_analysed_again_not_deleted_and_rerun(root, tmp_path, capsys):
    """Git keeps a results directory's final tables but not its ``.runs/``: the README's
    command on such a directory must not delete the committed tables and run everything
    again, but analyse them; and tables that miss a run are not taken for complete."""
    out = tmp_path / "r"
    assert run(root, out, *THREE) == 0
    tables = {f: (out / f).read_bytes() for f in ("runs.csv", "timeseries.parquet")}
    manifest = (out / "manifest.json").read_bytes()
    for part in (out / ".runs").iterdir():  # a fresh clone of committed results
        part.unlink()
    capsys.readouterr()
    assert run(root, out, *THREE) == 0
    assert {f: (out / f).read_bytes() for f in tables} == tables
    assert (out / "manifest.json").read_bytes() == manifest  # still the run that made them
    assert not list((out / ".runs").iterdir())  # nothing was run
    said = capsys.readouterr()
    assert "3 runs of default in" in said.out  # the summary, from the tables
    assert "final tables: nothing to run" in said.err
    (out / ".runs" / "0000000.json").write_text("{not json")  # a stray part beside them
    assert run(root, out, *THREE) == 0
    said = capsys.readouterr().err
    assert "set aside 1 damaged or foreign run file(s)" in said
    assert "run again" not in said and "final tables: nothing to run" in said
    assert {f: (out / f).read_bytes() for f in tables} == tables
    lines = tables["runs.csv"].decode().splitlines(keepends=True)
    (out / "runs.csv").write_text("".join(lines[:-1]))  # one run short: not complete
    assert run(root, out, *THREE) == 0
    assert len(list((out / ".runs").glob("*.json"))) == len(lines) - 1  # every run again
    assert (out / "runs.csv").read_bytes() == tables["runs.csv"]
    capsys.readouterr()
