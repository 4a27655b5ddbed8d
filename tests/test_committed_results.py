"""Every committed result matches the code that claims it: runs of each committed results
folder, made again now from the sweep file that planned them, give the committed rows to
the bit (the outputs in ``runs.csv``, and every step in ``timeseries.parquet`` where it is
committed).

A change to the model that moves any output must rerun (or remove) the committed results
it invalidates in the same change; this is the test that notices when it did not. Two runs
of each folder are made again, the first and the last of its plan (the two ends of its
grid or sample), which takes a few seconds in all. The Lazer & Friedman folders that keep
only means over 1,000 replications per cell (``trajectories.csv``, no ``runs.csv``) are
checked for their plan only: a cell's mean is a thousand runs.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from nicsim.lab.evaluators import simulate
from nicsim.lab.plans import Plan
from nicsim.lab.sensitivity import design
from nicsim.lab.sweeps import load_sweep, read_sweep

ROOT = Path(__file__).resolve().parent.parent


def committed_folders() -> list[str]:
    """Every results folder (one with a plan.json) where committed results live: the
    experiments', the calibration's and the replications', relative to the root."""
    places = ("experiments/*/results", "calibration/results/*", "validation/**")
    found = {p.parent for place in places for p in ROOT.glob(f"{place}/plan.json")}
    return sorted(str(folder.relative_to(ROOT)) for folder in found)


FOLDERS = committed_folders()


def sweep_of(folder: Path) -> Path:
    """The sweep file that planned a committed results folder, by where the folder is."""
    parts = folder.parts
    if parts[0] == "experiments":  # experiments/<name>/results
        return folder.parent / "sweep.toml"
    if parts[0] == "calibration":  # calibration/results/<name>
        return Path("calibration") / f"{folder.name}.toml"
    if parts[:3] == ("validation", "barkoczi_galesic_2016", "landscape_options"):
        return Path(*parts[:3]) / (
            "individual.toml" if folder.name == "individual" else "sweep.toml"
        )
    return Path(
        "configs", "replications", parts[1], f"{folder.name}.toml"
    )  # validation/<study>/<name>


def plan_of(folder: Path) -> Plan:
    """The plan the sweep file makes now: a sensitivity design where the folder is one.
    Read from the repository's root, as the results were made: a network file's path in
    the rows is the one the sweep file gives from there."""
    method = json.loads((folder / "plan.json").read_text())["source"].get("method")
    sweep = sweep_of(folder)
    return design(read_sweep(sweep), method).plan if method else load_sweep(sweep)


def csv_line(row: dict) -> dict[str, str]:
    """A run's row as runs.csv holds it (the store's writer: Python's repr of a float)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(row))
    writer.writerow({k: "" if v is None or v != v else v for k, v in row.items()})
    return dict(zip(row, next(csv.reader(io.StringIO(text.getvalue()))), strict=True))


def test_every_committed_folder_has_a_sweep_file():
    assert len(FOLDERS) >= 30, FOLDERS  # experiments, calibration and the three replications
    for folder in FOLDERS:
        assert (ROOT / sweep_of(Path(folder))).is_file(), folder


@pytest.mark.parametrize("folder", FOLDERS)
def test_committed_runs_are_what_the_code_gives_now(folder, monkeypatch):
    monkeypatch.chdir(ROOT)  # sweep files name their base relative to the repository
    folder = Path(folder)
    plan = plan_of(folder)
    about = json.loads((folder / "plan.json").read_text())
    assert len(plan.runs) == about["runs"], f"{folder}: the sweep file plans other runs now"
    if not (folder / "runs.csv").exists():
        return
    table = pd.read_csv(folder / "runs.csv", dtype=str, keep_default_na=False)
    table = table.set_index("run_id", drop=False)
    series_file = folder / "timeseries.parquet"
    for spec in (plan.runs[0], plan.runs[len(plan.runs) - 1]):
        result = simulate(spec)
        committed = table.loc[str(spec.run_id)].to_dict()
        now = csv_line(result.row)
        # the run's identity, swept values and outputs; the other parameters' columns say
        # what the release that made the folder ran with (an earlier release may differ in
        # the default of a parameter the run never reads: model 1's measurement_noise in
        # Lazer & Friedman's copy_best runs) and lack what was added since
        fixed = set(spec.params.to_dict()) - set(spec.swept)
        differ = {
            k: (v, now.get(k)) for k, v in committed.items() if k not in fixed and now.get(k) != v
        }
        assert not differ, f"{folder}, run {spec.run_id}: (committed, now) {differ}"
        if series_file.exists():
            stored = pd.read_parquet(series_file, filters=[("run_id", "==", spec.run_id)])
            made = result.timeseries[list(stored.columns)]
            pd.testing.assert_frame_equal(
                stored.reset_index(drop=True),
                made.astype(stored.dtypes.to_dict()),
                check_exact=True,
                obj=f"{folder}, run {spec.run_id}'s time series",
            )
