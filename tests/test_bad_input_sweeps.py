"""A sweep file's mistakes, and the command line's around it, are one line naming the sweep
file, the key, the value and what is allowed, exit status 2, before any run or output.

Each case broke the rule once: a SALib traceback, a valid sweep refused, a value given
twice and one of the two silently ignored, a message blaming the wrong file. Commands run
in this process and fail before any model runs; the valid sweeps are only planned.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nicsim.lab.sweeps import load_sweep, read_sweep
from nicsim.ui import cli
from nicsim.ui.arguments import EXIT_USAGE

CSV = "source,target,source_kind,target_kind\na,b,district,district\n"


@pytest.fixture
def folder(tmp_path: Path, root: Path, monkeypatch) -> Path:
    """A fresh current folder holding two graph files; sweeps there use the default config."""
    monkeypatch.chdir(tmp_path)
    for name in ("g1.csv", "g2.csv"):
        (tmp_path / name).write_text(CSV)
    (tmp_path / "base.toml").write_text((root / "configs" / "default.toml").read_text())
    return tmp_path


def write(folder: Path, body: str, name: str = "s.toml") -> str:
    (folder / name).write_text(f'base = "base.toml"\nreplications = 1\n{body}\n')
    return name


def refused(argv: list[str], capsys, folder: Path, *fragments: str) -> str:
    """Run ``nicsim ARGV``: exit status 2, one line naming every fragment, nothing written."""
    try:
        code = cli.main([*argv, "--workers", "1"])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert code == EXIT_USAGE == 2, err
    assert len(lines) == 1 and lines[0].startswith("nicsim: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], err
    assert not (folder / "results").exists() and not (folder / "out").exists()
    return lines[0]


SAMPLED_H = "[sample]\npoints = 2\n[sample.ranges]\nh = [0.5, 0.5]"


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_a_range_of_one_value_is_refused_before_salib(folder, capsys, method):
    """1: SALib ended in `ValueError: Bounds are not legal`."""
    refused(
        ["sensitivity", write(folder, SAMPLED_H), "--method", method],
        capsys,
        folder,
        "s.toml: sample.ranges.h = [0.5, 0.5] is not allowed: expected [low, high] with low < high",
    )


def test_params_are_checked_with_each_grid_point_applied(folder):
    """2: [params] was checked against the base before the grid, refusing valid sweeps."""
    files = write(folder, '[params]\ndesign = "file"\n[grid]\ngraph_file = ["g1.csv", "g2.csv"]')
    assert len(load_sweep(files).points) == 2
    mason = write(
        folder,
        '[params]\nlandscape = "mason_watts"\nlearning = "copy_best"\ngraph_file = "g1.csv"\n'
        '[grid]\ndesign = ["file"]',
    )
    assert load_sweep(mason).runs[0].params.design == "file"


def test_a_grid_point_not_allowed_as_a_whole_names_the_file_and_the_point(folder, capsys):
    """2 and 6: a combination wrong at one grid point is refused before any run."""
    body = (
        '[params]\nlandscape = "mason_watts"\nlearning = "copy_best"\ngraph_file = "g1.csv"\n'
        '[grid]\ndesign = ["file", "hub"]'
    )
    refused(
        ["sweep", write(folder, body)],
        capsys,
        folder,
        "s.toml: grid point {'design': 'hub'}: ",
        "landscape = 'mason_watts'",
    )


UNIVERSITY_CSV = CSV + "u,a,university,district\n"


@pytest.mark.parametrize("command", ["sweep", "run"])
def test_a_graph_file_a_point_does_not_allow_is_refused_before_any_run(folder, capsys, command):
    """A graph file with universities under Mason & Watts's landscape was refused only when
    its point's runs were made: the points before it had run and left their results. The
    error names the sweep or config file, as every other error about its values does."""
    (folder / "uni.csv").write_text(UNIVERSITY_CSV)
    mason = '[params]\nlandscape = "mason_watts"\nlearning = "copy_best"\n'
    if command == "sweep":
        body = mason + '[grid]\ndesign = ["file"]\ngraph_file = ["g1.csv", "uni.csv"]'
        sweep = write(folder, body)
        argv = ["sweep", sweep, "--out", "out"]
        at = f"{sweep}: grid point {{'design': 'file', 'graph_file': 'uni.csv'}}: "
    else:
        config = folder / "c.toml"
        config.write_text(mason.replace("[params]\n", "") + 'design = "file"\n')
        argv = ["run", str(config), "--set", "graph_file=uni.csv", "--out", "out"]
        at = f"{config}: "  # the config file is named, as in every other error about it
    refused(
        argv,
        capsys,
        folder,
        f"{at}graph file uni.csv: landscape = 'mason_watts' is not allowed with a graph that "
        "has universities (1 here): expected districts only",
    )


def test_a_grid_value_out_of_range_names_the_sweep_file(folder, capsys):
    """6: `grid point {'h': 1.5}: ...` did not say which file."""
    refused(
        ["sweep", write(folder, "[grid]\nh = [0.5, 1.5]")],
        capsys,
        folder,
        "s.toml: grid point {'h': 1.5}: h = 1.5 is not allowed: expected a number in [0, 1]",
    )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("[params]\nh = 0.5\n[grid]\nh = [0.1, 0.2]", "h is in both [params] and [grid]"),
        (
            "[params]\nsteps = 3\n" + SAMPLED_H.replace("h = [0.5, 0.5]", "steps = [2, 4]"),
            "steps is in both [params] and [sample.ranges]",
        ),
        ('model = "nic"\n[params]\nmodel = "nic"', "model is in both the top level and [params]"),
    ],
)
def test_a_parameter_in_two_places_of_a_sweep_is_refused(folder, capsys, body, words):
    """3: one of the two values was silently ignored."""
    refused(["sweep", write(folder, body)], capsys, folder, f"s.toml: {words}")


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--set", "design=ring"], "s.toml: design is in both --set and [grid]"),
        (["--seed", "3", "--set", "seed=5"], "--seed 3 and --set seed=5 both set seed"),
        (
            ["--replications", "1", "--set", "replications=2"],
            "--replications 1 and --set replications=2 both set replications",
        ),
    ],
)
def test_the_command_line_and_the_sweep_setting_one_key_twice_are_refused(
    folder, capsys, options, words
):
    """3: the --set was ignored, or one of --seed and --set seed= was."""
    path = write(folder, '[grid]\ndesign = ["hub", "siloed"]')
    refused(["sweep", path, *options, "--out", "out"], capsys, folder, words)


@pytest.mark.parametrize("key", ["seed", "replications"])
def test_run_with_an_option_and_set_for_one_key_is_refused(folder, capsys, key):
    """`nicsim run --seed 3 --set seed=5` silently ran seed 3."""
    argv = ["run", "base.toml", f"--{key}", "3", "--set", f"{key}=5", "--out", "out"]
    refused(argv, capsys, folder, f"--{key} 3 and --set {key}=5 both set {key}: give one of them")


def test_set_replications_and_seed_act_as_the_options(folder):
    """3: `--set replications=10` was ignored in favour of the sweep file's replications."""
    path = write(folder, "seed = 4\n[grid]\nh = [0.1, 0.2]")
    sweep = read_sweep(path, {"replications": 3, "seed": 9})
    assert (sweep.replications, sweep.seed) == (3, 9)
    assert read_sweep(path, replications=3, seed=9) == sweep


@pytest.mark.parametrize("key", ["replications", "seed", "name", "base"])
def test_run_keys_in_params_are_refused(folder, capsys, key):
    """4: `[params] replications = 4` was silently ignored."""
    value = '"x"' if key in ("name", "base") else "4"
    refused(
        ["sweep", write(folder, f"[params]\n{key} = {value}")],
        capsys,
        folder,
        f"s.toml: [params] {key}: {key} is not a parameter: set it at the top level of the "
        "sweep file",
    )


def test_a_grid_value_listed_twice_is_refused(folder, capsys):
    """5: the point ran twice, and compare refused to pair the runs."""
    refused(
        ["sweep", write(folder, "[grid]\nh = [0.1, 0.1]")],
        capsys,
        folder,
        "s.toml: [grid] h lists 0.1 twice",
    )


@pytest.mark.parametrize(
    "body",
    [
        "[grid]\nh = [0.1, 0.2]",
        "[grid]\nh = [0.1, 0.2]\n[sample]\npoints = 2\n[sample.ranges]\nk = [1, 3]",
    ],
)
def test_sensitivity_without_a_sample_or_with_a_grid_names_the_sweep_file(folder, capsys, body):
    """6: `sensitivity needs [sample.ranges] ...` did not say which file."""
    refused(["sensitivity", write(folder, body)], capsys, folder, "s.toml: ")


def test_a_conflict_made_by_set_is_blamed_on_set(folder, capsys):
    """7: the config file was blamed for a value the command line set."""
    refused(
        ["run", "base.toml", "--set", "landscape=mason_watts", "--out", "out"],
        capsys,
        folder,
        "base.toml with --set landscape=mason_watts: learning = 'pdsa' is not allowed with "
        "landscape = 'mason_watts'",
    )
    refused(
        ["sweep", write(folder, "[grid]\nh = [0.1, 0.2]"), "--set", "landscape=mason_watts"],
        capsys,
        folder,
        "s.toml with --set landscape=mason_watts: grid point {'h': 0.1}: learning = 'pdsa'",
    )


def test_a_bad_params_value_is_blamed_on_the_sweep_not_on_set(folder, capsys):
    """7: `[params] h = 5` was reported as `--set: h = 5 ...`."""
    line = refused(
        ["sweep", write(folder, "[params]\nh = 5"), "--set", "steps=2"],
        capsys,
        folder,
        "s.toml: h = 5 is not allowed: expected a number in [0, 1]",
    )
    assert "--set" not in line


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ("bogus=1", "--set bogus=1: unknown parameter 'bogus': `nicsim params` lists them"),
        ("stps=1", "--set stps=1: unknown parameter 'stps' (did you mean 'steps'?)"),
    ],
)
def test_an_unknown_set_key_names_the_item_and_where_to_look(folder, capsys, item, words):
    """8: `unknown parameter 'bogus'` did not say it came from --set."""
    refused(["run", "base.toml", "--set", item, "--out", "out"], capsys, folder, words)
    refused(
        ["sweep", write(folder, "[grid]\nh = [0.1, 0.2]"), "--set", item], capsys, folder, words
    )
