"""Every command in an experiment's README works as written in a fresh clone, and ``nicsim
compare`` on an experiment's committed results redoes their comparison.md exactly.

(An audit found both broken: the committed results sat where the commands write, so a
fresh clone refused them, and compare on them rewrote the tracked comparison.md.)
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from nicsim.analysis.report import write_comparison
from nicsim.lab.sensitivity import design
from nicsim.lab.store import MARKER
from nicsim.lab.sweeps import load_sweep
from nicsim.ui.arguments import build_parser
from nicsim.ui.cli import default_out

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = sorted(p.parent.name for p in (ROOT / "experiments").glob("*/README.md"))
FENCE = re.compile(r"```bash\n(.*?)```", re.S)


def readme_commands(readme: Path) -> list[list[str]]:
    """The ``nicsim`` commands of a README's bash blocks, as a shell would split them."""
    commands = []
    for block in FENCE.findall(readme.read_text()):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["nicsim"]:
                commands.append(words[1:])
    return commands


def tracked(path: Path) -> list[str]:
    """Files under ``path`` that git tracks (none when this is not a git checkout)."""
    if not (ROOT / ".git").exists():
        return []
    out = subprocess.run(
        ["git", "ls-files", "--", str(path)], cwd=ROOT, capture_output=True, text=True
    )
    return out.stdout.split()


def test_every_experiment_readme_has_commands():
    assert EXPERIMENTS, "no experiments found"
    for name in EXPERIMENTS:
        assert readme_commands(ROOT / "experiments" / name / "README.md"), name


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPERIMENTS)
def test_readme_commands_work_as_written_in_a_fresh_clone(name, monkeypatch):
    """Each run writes where nothing committed is in the way, or points at committed
    results of the same plan (which it analyses again: nothing is run); each compare reads
    a folder that a command before it writes, or committed results that hold a comparison."""
    monkeypatch.chdir(ROOT)  # the READMEs' commands run from the repository's root
    written = set()
    for words in readme_commands(ROOT / "experiments" / name / "README.md"):
        args = build_parser().parse_args(words)
        if args.command in ("sweep", "sensitivity"):
            plan = load_sweep(args.sweep)
            if args.command == "sensitivity":
                plan = design_plan(args)
            out = Path(args.out) if args.out else default_out(plan)
            if tracked(out):  # allowed only to analyse the committed tables again
                about = json.loads((out / "plan.json").read_text())
                assert about["fingerprint"] == plan.fingerprint(), f"{' '.join(words)}: {out}"
                assert json.loads((out / "manifest.json").read_text())["complete"], out
                continue
            assert not out.exists() or (out / MARKER).is_file(), out
            written.add(out)
        elif args.command == "compare":
            folder = Path(args.dir)
            committed = folder.parts[:1] == ("experiments",) and tracked(folder / "runs.csv")
            assert folder in written or committed, f"nicsim {' '.join(words)}"


def design_plan(args):
    from nicsim.lab.sweeps import read_sweep

    return design(read_sweep(args.sweep), args.method).plan


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_committed_results_are_whole(name):
    """The committed folder holds every run its manifest names, and the figures its report
    links to."""
    results = ROOT / "experiments" / name / "results"
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["complete"]
    assert len(pd.read_csv(results / "runs.csv")) == manifest["runs_done"]
    reports = [results / f for f in ("comparison.md", "sensitivity.md")]
    report = next(f for f in reports if f.exists())
    links = re.findall(r"\]\((figures/[^)]+)\)", report.read_text())
    assert all((results / link).is_file() for link in links), links


@pytest.mark.slow
def test_compare_on_committed_results_writes_the_same_comparison(tmp_path):
    """Redoing the headline comparison gives the committed comparison.md, figures included."""
    committed = ROOT / "experiments" / "convening_interval" / "results"
    copy = shutil.copytree(committed, tmp_path / "results")
    commands = readme_commands(ROOT / "experiments" / "convening_interval" / "README.md")
    by, reference = next(
        (w[w.index("--by") + 1], w[w.index("--reference") + 1])
        for w in commands
        if w[0] == "compare"
    )
    write_comparison(copy, by, reference)
    text = (copy / "comparison.md").read_text()
    assert text == (committed / "comparison.md").read_text()
    assert f"figures/compare_{by}_outcome.png" in text  # the trajectories need the time series


def test_model1_is_reached_by_the_committed_check(monkeypatch):
    """calibration/README.md's "Model 1 reachable": the committed sweep is the plan the code
    makes now, and no final statistic differs from nicsim 0.4's beyond chance (Welch's p
    above 0.05 in each of the 44 comparisons, as the README reports)."""
    monkeypatch.chdir(ROOT)  # the sweep file names its base relative to the repository
    plan = load_sweep("calibration/model1.toml")
    results = ROOT / "calibration" / "results" / "model1"
    assert json.loads((results / "plan.json").read_text())["fingerprint"] == plan.fingerprint()
    assert json.loads((results / "manifest.json").read_text())["complete"]
    spec = importlib.util.spec_from_file_location("model1", ROOT / "calibration" / "model1.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    new = pd.read_csv(results / "runs.csv")
    assert len(new) == len(plan.runs) == 400
    table = check.comparison(pd.read_csv(check.REFERENCE), new)
    assert len(table) == 44 and table["Welch p"].min() > 0.05, table.sort_values("Welch p").head()


def test_sensitivity_on_committed_results_writes_the_same_report(tmp_path, monkeypatch):
    """Re-analysing committed Morris results gives the committed sensitivity.md: each point's
    output averaged over its replications, mu* with its bootstrap interval drawn from the
    plan's seed, the verdicts against the dummy and across outputs (figures not redrawn)."""
    from nicsim.analysis import plots
    from nicsim.analysis.report import write_sensitivity
    from nicsim.lab.sweeps import read_sweep

    monkeypatch.chdir(ROOT)  # the sweep file names its base relative to the repository
    monkeypatch.setattr(plots, "sensitivity_figure", lambda *a, **k: None)
    name = "sensitivity_additive"
    commands = readme_commands(ROOT / "experiments" / name / "README.md")
    args = build_parser().parse_args(next(w for w in commands if w[0] == "sensitivity"))
    committed = ROOT / "experiments" / name / "results"
    shutil.copy(committed / "runs.csv", tmp_path / "runs.csv")
    text = write_sensitivity(tmp_path, design(read_sweep(args.sweep), args.method), args.output)
    assert text == (committed / "sensitivity.md").read_text()
