"""Bad input of every kind ends with one line `nicsim: error: ...` and exit status 2.

The rule of the command line (cli.py's docstring, README "Bad input"): a user's mistake is
one line on stderr naming what is wrong (the key, the value and what is allowed; for a
file, the file and its line or node), exit status 2, never a traceback, and nothing
written. Most cases below broke the rule once (issue 15, items 9 and 10); the others guard
it for their neighbours. Every command runs in this process and fails before any model
runs, so the module takes a few seconds (beyond importing the page, for its tests).
"""

from __future__ import annotations

import os
import socket

import pytest

from nicsim.lab.registry import NIC
from nicsim.ui import cli

SMALL = "steps = 1\nreplications = 1\n"
GOOD_CSV = "source,target,source_kind,target_kind\na,b,district,district\n"
UNIVERSITY_CSV = (
    "source,target,source_kind,target_kind\nu,a,university,district\na,b,district,district\n"
)


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """``nicsim ARGV`` in this process: exit status, stdout, stderr (argparse exits)."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code: int, err: str, fragment: str) -> None:
    lines = err.splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("nicsim: error: "), err
    assert fragment in lines[0], err


def sweep(text: str, base: str = '"base.toml"') -> str:
    return f"base = {base}\nreplications = 1\n{text}\n"


# name: (files to write {name: text or bytes}, command line, fragment of the message).
# Files are written into a fresh folder, the current directory while the command runs; a
# file named "d/" is made a directory.
CASES: dict[str, tuple[dict[str, str | bytes], list[str], str]] = {
    # -- config files --------------------------------------------------------------------
    # -- model 2's people (issue 16) ---------------------------------------------------------
    "research_quality out of range": (
        {"c.toml": SMALL + "research_quality = 1.5\n"},
        ["run", "c.toml"],
        "research_quality = 1.5 is not allowed: expected a number in [0, 1]",
    ),
    "judgment unknown": (
        {"c.toml": SMALL + 'judgment = "intuition"\n'},
        ["run", "c.toml"],
        "judgment = 'intuition' is not allowed: expected one of belief, model1",
    ),
    "beliefs in power units": (
        {"c.toml": SMALL + 'outcome_units = "power"\ntarget = 0.9\n'},
        ["run", "c.toml"],
        "judgment = 'belief' is not allowed with outcome_units = 'power'",
    ),
    "research quality in power units": (
        {"c.toml": SMALL + 'outcome_units = "power"\ntarget = 0.9\njudgment = "model1"\n'},
        ["run", "c.toml", "--set", "research_quality=0.4"],
        "research_quality = 0.4 is not allowed with outcome_units = 'power'",
    ),
    "config binary": (
        {"c.toml": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"},
        ["run", "c.toml"],
        "c.toml: is a binary file, expected a TOML file",
    ),
    "config not UTF-8": (
        {"c.toml": b"steps = 1\n# caf\xe9 au lait\n"},
        ["run", "c.toml"],
        "c.toml, line 2: is not UTF-8 text (byte 0xe9), expected a TOML file",
    ),
    "config nested thousands deep": (
        {"c.toml": "a = " + "[" * 5000 + "]" * 5000},
        ["run", "c.toml"],
        "c.toml: not valid TOML (nested too deeply)",
    ),
    "config empty": ({"c.toml": ""}, ["run", "c.toml"], "c.toml: is empty, expected a TOML file"),
    "config missing": ({}, ["run", "nope.toml"], "nope.toml: no such file"),
    "config is a directory": (
        {"d/": ""},
        ["run", "d"],
        "d: is a directory, expected a TOML file",
    ),
    "config is a device": (
        {},
        ["run", "/dev/null"],
        "/dev/null: is not a regular file (a device, pipe or socket), expected a TOML file",
    ),
    "config is a JSON array": (
        {"c.toml": "[1, 2]\n"},
        ["run", "c.toml"],
        "c.toml: not valid TOML (",
    ),
    "config holds an array of tables": (
        {"c.toml": "[[steps]]\nx = 1\n"},
        ["run", "c.toml"],
        "c.toml: steps = [{'x': 1}] is not allowed: expected an integer >= 1",
    ),
    "config holds a table": (
        {"c.toml": "[extra]\nh = 0.5\n"},
        ["run", "c.toml"],
        "c.toml: table [extra] is not allowed: configs use flat keys",
    ),
    "config unknown model": (
        {"c.toml": 'model = "nk"\n'},
        ["run", "c.toml"],
        "c.toml: model = 'nk' is not allowed: expected one of nic, march",
    ),
    "config bool for an integer": (
        {"c.toml": "steps = true\n"},
        ["run", "c.toml"],
        "c.toml: steps = True is not allowed: expected an integer >= 1",
    ),
    "config bool for replications": (
        {"c.toml": "replications = true\n"},
        ["run", "c.toml"],
        "c.toml: replications = True is not allowed: expected an integer >= 1",
    ),
    # -- graph files -------------------------------------------------------------------------
    "graph file binary": (
        {"c.toml": SMALL + 'design = "file"\ngraph_file = "g.csv"\n', "g.csv": b"\0\x01\x02"},
        ["run", "c.toml"],
        "graph file g.csv: is a binary file",
    ),
    "graph file not UTF-8": (
        {
            "c.toml": SMALL + 'design = "file"\ngraph_file = "g.csv"\n',
            "g.csv": (GOOD_CSV + "caf\xe9,b,district,district\n").encode("latin-1"),
        },
        ["run", "c.toml"],
        "graph file g.csv, line 3: is not UTF-8 text (byte 0xe9)",
    ),
    "graph file /dev/zero": (
        {"c.toml": SMALL + 'design = "file"\ngraph_file = "/dev/zero"\n'},
        ["run", "c.toml"],
        "graph file /dev/zero: is not a regular file",
    ),
    "graph file is a directory": (
        {"c.toml": SMALL + 'design = "file"\ngraph_file = "d"\n', "d/": ""},
        ["run", "c.toml"],
        "graph file d: is a directory",
    ),
    "directed graph file with a university": (
        {
            "c.toml": SMALL
            + 'design = "file"\ngraph_file = "g.csv"\ndirected_graph = true\n'
            + 'learning = "copy_best"\nleaders_per_district = 0\n',
            "g.csv": GOOD_CSV + "u,a,university,district\n",
        },
        ["run", "c.toml"],
        "graph file g.csv: node 'u' has kind university: a graph read as directed "
        "(directed_graph = true) holds districts only",
    ),
    "a sweep that reads its graph file directed in some runs": (
        {
            "s.toml": sweep("[grid]\ndirected_graph = [false, true]"),
            "base.toml": SMALL + 'design = "file"\ngraph_file = "g.csv"\n'
            'learning = "copy_best"\nleaders_per_district = 0\n',
            "g.csv": GOOD_CSV + "u,a,university,district\n",
        },
        ["sweep", "s.toml", "--workers", "1"],
        "graph file g.csv: node 'u' has kind university: a graph read as directed",
    ),
    "directed graph under pdsa": (
        {"c.toml": SMALL + 'design = "file"\ngraph_file = "g.csv"\ndirected_graph = true\n'},
        ["run", "c.toml"],
        "directed_graph = true is not allowed with learning = 'pdsa': only copy_best and "
        "conformity read a directed graph",
    ),
    # -- --set -------------------------------------------------------------------------------
    "--set with a line break": (
        {"c.toml": SMALL},
        ["run", "c.toml", "--set", "steps=3\nh=0.5"],
        "--set 'steps=3\\nh=0.5' is not allowed: it has a line break",
    ),
    "--set nested thousands deep": (
        {"c.toml": SMALL},
        ["run", "c.toml", "--set", "steps=" + "[" * 5000],
        "--set steps: the value is nested too deeply",
    ),
    # -- sweep files -------------------------------------------------------------------------
    "[grid] key mistyped": (
        {"s.toml": sweep("[grid]\ndesgin = ['hub']"), "base.toml": SMALL},
        ["sweep", "s.toml"],
        "s.toml: [grid] unknown parameter 'desgin' (did you mean 'design'?)",
    ),
    "[sample.ranges] key mistyped": (
        {
            "s.toml": sweep("[sample]\npoints = 2\n[sample.ranges]\nturnover_rat = [0, 0.3]"),
            "base.toml": SMALL,
        },
        ["sweep", "s.toml"],
        "s.toml: [sample.ranges] unknown parameter 'turnover_rat' (did you mean 'turnover_rate'?)",
    ),
    "sobol points not a power of 2": (
        {"s.toml": sweep("[sample]\npoints = 10\n[sample.ranges]\nh = [0, 1]"), "base.toml": SMALL},
        ["sensitivity", "s.toml", "--method", "sobol"],
        "s.toml: sample.points = 10 is not allowed for sobol: expected a power of 2",
    ),
    "sweep binary": ({"s.toml": b"\0" * 8}, ["sweep", "s.toml"], "s.toml: is a binary file"),
    "sweep not UTF-8": (
        {"s.toml": b"replications = 1\nname = 'caf\xe9'\n"},
        ["sweep", "s.toml"],
        "s.toml, line 2: is not UTF-8 text",
    ),
    "sweep empty": ({"s.toml": "\n"}, ["sweep", "s.toml"], "s.toml: is empty"),
    "sweep ranges not a table": (
        {"s.toml": sweep("[sample]\npoints = 2\nranges = 5"), "base.toml": SMALL},
        ["sweep", "s.toml"],
        "s.toml: sample.ranges = 5 is not allowed: expected a table [sample.ranges]",
    ),
    "sweep params not a table": (
        {"s.toml": sweep("params = 5"), "base.toml": SMALL},
        ["sweep", "s.toml"],
        "s.toml: params = 5 is not allowed: expected a table [params]",
    ),
    "sweep range not a pair": (
        {"s.toml": sweep("[sample]\npoints = 2\n[sample.ranges]\nh = 5"), "base.toml": SMALL},
        ["sweep", "s.toml"],
        "s.toml: sample.ranges.h = 5 is not allowed: expected [low, high] with low <= high, "
        "each a number in [0, 1]",
    ),
    "sweep range outside the parameter's": (
        {"s.toml": sweep("[sample]\npoints = 2\n[sample.ranges]\nh = [0, 2]"), "base.toml": SMALL},
        ["sweep", "s.toml"],
        "s.toml: sample.ranges.h = [0, 2] is not allowed",
    ),
    "sweep range of a text parameter": (
        {
            "s.toml": sweep("[sample]\npoints = 2\n[sample.ranges]\ndesign = [0, 1]"),
            "base.toml": SMALL,
        },
        ["sweep", "s.toml"],
        "s.toml: sample.ranges.design is not allowed: only numeric parameters can be sampled",
    ),
    "sweep unknown key in [sample]": (
        {
            "s.toml": sweep("[sample]\npoints = 2\npts = 3\n[sample.ranges]\nh = [0, 1]"),
            "base.toml": SMALL,
        },
        ["sweep", "s.toml"],
        "s.toml: [sample] unknown key 'pts': expected points and ranges",
    ),
    "sweep seed not an integer": (
        {"s.toml": sweep('seed = "x"'), "base.toml": SMALL},
        ["sweep", "s.toml"],
        "s.toml: seed = 'x' is not allowed",
    ),
    "sweep base missing": (
        {"s.toml": sweep("", '"nope.toml"')},
        ["sweep", "s.toml"],
        "s.toml: base = 'nope.toml': no such file",
    ),
    "sweep base bad": (
        {"s.toml": sweep(""), "base.toml": "h = 2\n"},
        ["sweep", "s.toml"],
        "s.toml: base = 'base.toml': h = 2 is not allowed: expected a number in [0, 1]",
    ),
    "sweep base binary": (
        {"s.toml": sweep(""), "base.toml": b"\0\0"},
        ["sweep", "s.toml"],
        "s.toml: base = 'base.toml': is a binary file",
    ),
    "sweep base not a path": (
        {"s.toml": sweep("", "5")},
        ["sweep", "s.toml"],
        "s.toml: base = 5 is not allowed: expected a config path",
    ),
    # -- refused only once the runs are being built: nothing may be left behind either ------
    "a graph file's university with Mason & Watts's landscape": (
        {
            "c.toml": SMALL + 'design = "file"\ngraph_file = "g.csv"\nlandscape = "mason_watts"\n'
            'learning = "copy_best"\n',
            "g.csv": UNIVERSITY_CSV,
        },
        ["run", "c.toml"],
        "landscape = 'mason_watts' is not allowed with a graph that has universities (1 here)",
    ),
    "a graph file's university learning in power units": (
        {
            "c.toml": SMALL + 'design = "file"\ngraph_file = "g.csv"\noutcome_units = "power"\n'
            'judgment = "model1"\ntarget = 0.5\nresearch_quality = 0.5\n',
            "g.csv": UNIVERSITY_CSV,
        },
        ["run", "c.toml"],
        "research_quality = 0.5 is not allowed with outcome_units = 'power'",
    ),
    "a connected random graph never drawn": (
        {
            "c.toml": SMALL + 'design = "random"\nn_districts = 100\ndensity = 0.02\n'
            'connected = true\nlearning = "copy_best"\n',
        },
        ["run", "c.toml"],
        "no connected graph in 10000 draws; use a higher density",
    ),
    # -- values no run could use -----------------------------------------------------------
    "tests_per_leader 0 under pdsa": (
        {"c.toml": SMALL + "tests_per_leader = 0\n"},
        ["run", "c.toml"],
        "tests_per_leader = 0 is not allowed with learning = 'pdsa': expected >= 1",
    ),
    "min_tests beyond every test of the run": (
        {"c.toml": SMALL + "min_tests = 4\n"},  # 1 step x 3 leaders x 1 test
        ["run", "c.toml"],
        "min_tests = 4 is not allowed with 1 steps: a district runs at most 3 tests",
    ),
    "outcome_exponent 0 in power units": (
        {
            "c.toml": SMALL + 'outcome_units = "power"\njudgment = "model1"\n'
            "research_quality = 1.0\ntarget = 0.5\noutcome_exponent = 0.0\n"
        },
        ["run", "c.toml"],
        "outcome_exponent = 0.0 is not allowed with outcome_units = 'power': every outcome",
    ),
    "--set named as the source of its own bad value": (
        {"c.toml": SMALL},
        ["run", "c.toml", "--set", "h=abc"],
        "--set: h = 'abc' is not allowed: expected a number in [0, 1]",
    ),
    # -- options -----------------------------------------------------------------------------
    "--scheduler not an address": (
        {"s.toml": sweep(""), "base.toml": SMALL},
        ["sweep", "s.toml", "--scheduler", "not a url"],
        "argument --scheduler: 'not a url' is not allowed: expected a Dask scheduler address",
    ),
    "--scheduler without a port": (
        {"s.toml": sweep(""), "base.toml": SMALL},
        ["sweep", "s.toml", "--scheduler", "tcp://127.0.0.1"],
        "'tcp://127.0.0.1' is not allowed",
    ),
    "--port above 65535": (
        {},
        ["app", "--port", "70000"],
        "argument --port: 70000 is not allowed: expected an integer in [1, 65535]",
    ),
    "app config with a bad graph file": (
        {
            "c.toml": 'design = "file"\ngraph_file = "g.csv"\n',
            "g.csv": GOOD_CSV + "b,,district,district\n",
        },
        ["app", "--config", "c.toml"],
        "graph file g.csv, line 3: empty source or target",
    ),
    "compare a runs.csv without the metrics": (
        {"r/runs.csv": "run_id,seed,design,mean_outcome\n0,1,hub,0.5\n1,1,siloed,0.6\n"},
        ["compare", "r", "--by", "design"],
        "r/runs.csv has no column average_outcome, min_outcome, equity_gap, ",
    ),
    "sensitivity --output unknown, before any run": (
        {
            "s.toml": sweep("[sample]\npoints = 2\n[sample.ranges]\nh = [0, 1]"),
            "base.toml": SMALL,
        },
        ["sensitivity", "s.toml", "--output", "mean_outcom"],
        "--output 'mean_outcom' is not allowed: expected one of mean_outcome, ",
    ),
}


def _never_serve(*args) -> None:
    raise AssertionError("nicsim app went on to serve the page")


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_status_2(case, tmp_path, monkeypatch, capsys):
    files, argv, fragment = CASES[case]
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        if name.endswith("/"):
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli.os, "execve", _never_serve)
    extra = [] if argv[0] in ("app", "compare") else ["--out", "out"]
    code, _, err = run_cli([*argv, *extra], capsys)
    assert_one_line(code, err, fragment)
    assert not (tmp_path / "out").exists()  # refused before anything was written or run


def test_a_refusal_while_building_leaves_an_empty_out_folder_empty(tmp_path, monkeypatch, capsys):
    """A folder the user made for the results stays, empty, when the runs cannot be built;
    one that already holds results is not touched by the clean-up."""
    files, argv, fragment = CASES["a graph file's university with Mason & Watts's landscape"]
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    code, _, err = run_cli([*argv, "--out", "out"], capsys)
    assert_one_line(code, err, fragment)
    assert list((tmp_path / "out").iterdir()) == []


def test_compare_in_a_read_only_directory_prints_the_comparison(tmp_path, capsys):
    """The comparison only reads: where its files cannot be saved it is printed all the
    same, and one line says it was not saved (exit 2: not all that was asked was done)."""
    runs = tmp_path / "results"
    runs.mkdir()
    metrics = ",".join(NIC.report_metrics)
    rows = [
        f"{i},{i % 2 + 1},{d}" + f",{i / 10}" * len(NIC.report_metrics)
        for i, d in enumerate("aabb")
    ]
    (runs / "runs.csv").write_text(f"run_id,seed,design,{metrics}\n" + "\n".join(rows) + "\n")
    if os.geteuid() == 0:  # root writes through any mode bits: occupy the two outputs instead
        (runs / "figures").write_text("")
        (runs / "comparison.md").mkdir()
    runs.chmod(0o555)
    try:
        code, out, err = run_cli(["compare", str(runs), "--by", "design"], capsys)
    finally:
        runs.chmod(0o755)
    assert_one_line(code, err, "comparison.md and figures cannot be saved there")
    assert "the comparison is printed above only" in err
    assert out.startswith("# Comparison by `design`") and "## Figures" not in out
    assert not (runs / "comparison.md").is_file()


# -- the page and its port (need the app extra) ----------------------------------------------


@pytest.fixture
def app():
    pytest.importorskip("solara", reason="the app extra is not installed")
    from nicsim.ui import app

    return app


def _texts(widget):
    """Every string shown under ``widget`` (children and values of every widget)."""
    import ipywidgets

    for attr in ("children", "items", "value"):
        value = getattr(widget, attr, None)
        if isinstance(value, str):
            yield value
        for child in value if isinstance(value, list | tuple) else ():
            if isinstance(child, str):
                yield child
            elif isinstance(child, ipywidgets.Widget):
                yield from _texts(child)


@pytest.mark.slow
def test_page_shows_a_bad_graph_file_in_one_line(app, tmp_path, monkeypatch):
    import solara

    (tmp_path / "g.csv").write_text(GOOD_CSV + "b,,district,district\n")
    (tmp_path / "c.toml").write_text('design = "file"\ngraph_file = "g.csv"\n')
    monkeypatch.setenv(app.CONFIG_ENV, str(tmp_path / "c.toml"))
    box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    shown = list(_texts(box))
    rc.close()
    assert f"nicsim: error: graph file {tmp_path / 'g.csv'}, line 3: empty source or target" in (
        shown
    )
    assert not any("Traceback" in text for text in shown)


def test_page_reads_its_graph_file_once(app, tmp_path, monkeypatch):
    """Reset builds from the network read when the page opened: a file removed (or broken)
    during a lesson cannot stop the page."""
    (tmp_path / "g.csv").write_text(GOOD_CSV + "b,u,district,university\n")
    (tmp_path / "c.toml").write_text('design = "file"\ngraph_file = "g.csv"\nsteps = 2\n')
    monkeypatch.setenv(app.CONFIG_ENV, str(tmp_path / "c.toml"))
    base, first = app.open_page()
    (tmp_path / "g.csv").unlink()
    again = app.ClassroomModel({**base, "compare": "file"})
    for model in (again, again.traces[1].model):
        assert sorted(model.graph.edges) == sorted(first.graph.edges)
        assert dict(model.graph.nodes(data="kind")) == dict(first.graph.nodes(data="kind"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def app_extra() -> None:
    """The page's packages, which ``nicsim app`` checks before it looks at the port."""
    pytest.importorskip("solara", reason="the app extra is not installed")


def test_a_taken_port_is_one_line_before_serving(app_extra, monkeypatch, capsys):
    monkeypatch.setattr(cli.os, "execve", _never_serve)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run_cli(["app", "--port", str(port)], capsys)
    assert_one_line(code, err, f"--port {port} is not allowed: port {port} on 127.0.0.1 is in use")
    assert "serving" not in out


@pytest.mark.parametrize(("host", "warned"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_a_public_host_is_warned_about(app_extra, host, warned, monkeypatch, capsys):
    served = []
    monkeypatch.setattr(cli.os, "execve", lambda *args: served.append(args[1]))
    code, out, err = run_cli(["app", "--host", host, "--port", str(_free_port())], capsys)
    assert code == 0 and "serving the classroom page" in out and served
    if warned:
        assert err.count("\n") == 1 and "reachable from other machines" in err
        assert err.startswith(f"nicsim app: warning: --host {host} ")
    else:
        assert err == ""


def test_a_path_through_a_file_or_with_a_nul_byte_is_one_line(tmp_path):
    """A path that goes on past a file (`c.toml/x`) names no file: "no such file", as a
    missing one; a NUL byte (a config's "\\u0000") cannot be in a path: "cannot be read"."""
    from nicsim.core.files import read_text_file
    from nicsim.core.params import ConfigError

    (tmp_path / "c.toml").write_text(SMALL)
    with pytest.raises(ConfigError) as raised:
        read_text_file(tmp_path / "c.toml" / "x", "a TOML file", "c.toml/x")
    assert str(raised.value) == "c.toml/x: no such file"
    with pytest.raises(ConfigError) as raised:
        read_text_file("g\0.csv", "a graph file", "graph file g.csv")
    message = str(raised.value)  # Python's own reason: "embedded null byte" on 3.11 and 3.12
    assert message.startswith("graph file g.csv: cannot be read (") and "null" in message
    assert "\n" not in message
