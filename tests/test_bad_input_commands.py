"""Bad input to run, sweep, replicate, sensitivity, compare and animate: one line, exit
status 2, nothing lost and nothing claimed that the folder does not hold (an audit's cases,
each driving the real command line)."""

from __future__ import annotations

import pytest

from nicsim.lab import evaluators
from nicsim.ui.cli import main

TINY = ["--set", "steps=2", "--set", "partnerships=2", "--workers", "1"]
LARGEST_SEED = 2**63 - 1


def one_line_error(capsys) -> str:
    """stderr of a refused command: one line, ``nicsim: error: ...``."""
    err = capsys.readouterr().err
    assert err.startswith("nicsim: error: ") and err.count("\n") == 1, err
    return err


def run(root, out, *extra: str) -> int:
    return main(["run", str(root / "configs/default.toml"), *TINY, "--out", str(out), *extra])


def write_sweep(path, root, body: str):
    path.write_text(f'base = "{root / "configs/default.toml"}"\nreplications = 2\n{body}')
    return path


def test_report_only_into_a_file_is_one_line(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    assert main(["replicate", "march_1991", "--report-only", "--out", str(afile)]) == 2
    err = one_line_error(capsys)
    assert f"{afile} is a file, not a folder" in err
    assert afile.read_text() == "mine"


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_seeds_past_the_largest_are_refused_before_any_run(root, tmp_path, capsys, command):
    out = tmp_path / "x"
    if command == "run":
        code = run(root, out, "--replications", "2", "--seed", str(LARGEST_SEED))
    else:
        sweep = write_sweep(tmp_path / "s.toml", root, "[grid]\nh = [0.1, 0.2]\n")
        args = ["sweep", str(sweep), *TINY, "--seed", str(LARGEST_SEED), "--out", str(out)]
        code = main(args)
    assert code == 2
    err = one_line_error(capsys)
    assert f"seed {LARGEST_SEED} with 2 replications needs seeds up to {LARGEST_SEED + 1}" in err
    assert f"the largest seed is {LARGEST_SEED}" in err
    assert not out.exists()  # no run saved, no manifest claiming anything


def test_an_output_empty_in_every_run_gets_no_verdict(root, tmp_path, capsys):
    sweep = write_sweep(
        tmp_path / "sens.toml",
        root,
        "[params]\nn_components = 8\nk = 2\n"
        "[sample]\npoints = 2\n[sample.ranges]\nh = [0, 1]\ndummy = [0, 1]\n",
    )
    out = tmp_path / "o"
    outputs = ["--output", "steps_to_target", "--output", "average_outcome"]
    args = ["sensitivity", str(sweep), *TINY, "--replications", "1", "--out", str(out), *outputs]
    assert main(args) == 0  # two months: the target is never reached
    capsys.readouterr()
    text = (out / "sensitivity.md").read_text()
    empty = text.split("## Morris sensitivity of final steps_to_target")[1].split("\n## ")[0]
    assert "`steps_to_target` is empty in every run (the target was never reached)" in empty
    assert "no conclusion" in empty and "inert" not in empty and "acts" not in empty
    across = text.split("## Across outputs")[1].split("\n## ")[0]
    assert "Not judged on `steps_to_target`: empty in every run." in across
    assert "steps_to_target" not in across.split("empty in every run.")[1]  # no verdict
    assert not (out / "figures" / "sensitivity_morris.png").exists()


def test_force_removes_the_reports_of_the_experiment_it_replaces(root, tmp_path, capsys):
    out = tmp_path / "r"
    assert run(root, out, "--replications", "2") == 0
    (out / "figures").mkdir(exist_ok=True)
    (out / "comparison.md").write_text("# Comparison by `h`\n")  # as compare left them
    (out / "figures" / "compare_h_final.png").write_bytes(b"\x89PNG old")
    mine = out / "figures" / "thesis_fig1.png"
    mine.write_bytes(b"\x89PNG mine")
    assert run(root, out, "--replications", "2", "--set", "h=0.5", "--force") == 0
    capsys.readouterr()
    assert not (out / "comparison.md").exists()
    assert not (out / "figures" / "compare_h_final.png").exists()
    assert (out / "figures" / "outcome.png").exists()  # the new run's, drawn again
    assert mine.read_bytes() == b"\x89PNG mine"


def test_compare_by_a_column_with_one_value_is_refused(root, tmp_path, capsys):
    sweep = write_sweep(tmp_path / "s.toml", root, '[grid]\ndesign = ["siloed", "hub"]\n')
    out = tmp_path / "sg1"
    assert main(["sweep", str(sweep), *TINY, "--out", str(out)]) == 0
    capsys.readouterr()
    (out / "comparison.md").write_text("kept")
    assert main(["compare", str(out), "--by", "h"]) == 2
    err = one_line_error(capsys)
    assert f"h has one value (0.3) in {out}: the swept parameters are design" in err
    assert (out / "comparison.md").read_text() == "kept"


def test_compare_of_a_file_says_it_is_a_file(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    assert main(["compare", str(afile)]) == 2
    assert f"{afile} is a file, not a results folder" in one_line_error(capsys)


def test_animate_into_a_file_says_it_is_a_file(root, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    gif = afile / "a.gif"
    args = ["animate", str(root / "configs/default.toml"), "--set", "steps=2", "--out", str(gif)]
    assert main(args) == 2
    assert f"{afile} is a file, not a folder" in one_line_error(capsys)
    assert afile.read_text() == "mine"


def test_an_unreachable_scheduler_is_named(root, tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(evaluators, "SCHEDULER_TIMEOUT", "1s")
    out = tmp_path / "x"
    assert run(root, out, "--replications", "2", "--scheduler", "tcp://127.0.0.1:1") == 2
    err = one_line_error(capsys)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1 (" in err
    assert not out.exists()


TWO_DISTRICTS = "source,target,source_kind,target_kind\na,b,district,district\n"


def warnings_of(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if "warning" in line]


def test_a_graph_file_or_district_count_no_run_reads_is_warned(root, tmp_path, capsys):
    """A graph file without design = "file" (the user forgot it), or n_districts under a NIC
    design, ran the default network without a word. Each is one warning; the run goes on."""
    (tmp_path / "g.csv").write_text(TWO_DISTRICTS)
    extra = ["--set", f"graph_file={tmp_path / 'g.csv'}", "--set", "n_districts=5"]
    assert run(root, tmp_path / "r", *extra) == 0
    assert warnings_of(capsys) == [
        "nicsim: warning: n_districts = 5 is not read: only the district-only designs (line, "
        "full, ring, lattice, random, small_world) read it",
        f"nicsim: warning: graph_file = '{tmp_path / 'g.csv'}' is not read: only runs with "
        "design = 'file' read it",
    ]


def test_a_graph_file_read_by_some_points_of_a_sweep_is_not_warned(root, tmp_path, capsys):
    """A sweep over designs sets the graph file for its file points: no warning (the hub
    points do not read it, but the sweep does)."""
    (tmp_path / "g.csv").write_text(TWO_DISTRICTS)
    body = (
        f'[params]\ngraph_file = "{tmp_path / "g.csv"}"\nsteps = 2\n'
        '[grid]\ndesign = ["hub", "file"]\n'
    )
    sweep = write_sweep(tmp_path / "s.toml", root, body)
    assert main(["sweep", str(sweep), "--workers", "1", "--out", str(tmp_path / "r")]) == 0
    assert warnings_of(capsys) == []


@pytest.mark.parametrize(
    ("setting", "shown"),
    [
        ("steps=1e300", "steps = 1e+300 would need about"),  # was an integer of 301 digits
        ("h=2024-01-01", "h = 2024-01-01 is not allowed"),  # was datetime.date(2024, 1, 1)
    ],
)
def test_a_value_is_named_as_written(root, tmp_path, capsys, setting, shown):
    assert main(["run", str(root / "configs/default.toml"), "--set", setting]) == 2
    assert shown in one_line_error(capsys)


def test_a_refused_resume_says_what_changed(root, tmp_path, capsys):
    """A resume into a folder of another experiment was refused without saying why: an
    edited graph file, another seed, or an edited sweep file is now named."""
    graph = tmp_path / "g.csv"
    graph.write_text(TWO_DISTRICTS)
    config = tmp_path / "c.toml"
    config.write_text(f'design = "file"\ngraph_file = "{graph}"\nlearning = "copy_best"\n')
    out = tmp_path / "r"
    on_file = ["--set", "steps=2", "--workers", "1"]  # a graph file has its own partnerships
    assert main(["run", str(config), *on_file, "--out", str(out), "--replications", "2"]) == 0
    capsys.readouterr()
    graph.write_text(TWO_DISTRICTS + "b,c,district,district\n")
    assert main(["run", str(config), *on_file, "--out", str(out), "--replications", "2"]) == 2
    assert f"(c, 2 runs; the graph file {graph} has changed since)" in one_line_error(capsys)
    graph.write_text(TWO_DISTRICTS)
    assert main(["run", str(config), *on_file, "--out", str(out), "--seed", "5"]) == 2
    assert "seed 1 and 2 replications there, 5 and 10 here" in one_line_error(capsys)

    sweep = write_sweep(tmp_path / "s.toml", root, '[grid]\ndesign = ["siloed", "hub"]\n')
    assert main(["sweep", str(sweep), *TINY, "--out", str(tmp_path / "s")]) == 0
    capsys.readouterr()
    write_sweep(sweep, root, '[grid]\ndesign = ["siloed", "networked"]\n')
    assert main(["sweep", str(sweep), *TINY, "--out", str(tmp_path / "s")]) == 2
    assert "(s, 4 runs; the sweep file has changed since)" in one_line_error(capsys)
