"""A setting that a run does not read: warned of, and truly not read.

Parameters that only some configurations read are declared with the runs that read them
(``read_in`` in ``nicsim.nic.params``), and a value set where no run reads it is warned of
(``nicsim.core.params.unread_settings``). The warning is only as true as that declaration,
so each such parameter is run here outside its runs at two values, and every output must
be the same to the bit: a declaration that called a parameter unread where the model reads
it fails here.
"""

from __future__ import annotations

import collections
import re
import socket
import warnings

import pandas as pd
import pytest
from tiny_runs import as_written

import nicsim
from nicsim.core.params import fields_of, unread_settings
from nicsim.lab.config import from_dict
from nicsim.march.params import MarchParams
from nicsim.nic.params import Params
from nicsim.ui.cli import main

# Small, but with every part at work: leaders leave (and take their convening ties), the
# hub convenes every 3 months, universities coach and offer research.
SMALL = {
    "partnerships": 3,
    "districts_per_partnership": 3,
    "leaders_per_district": 2,
    "steps": 15,
    "turnover_rate": 0.5,
    "tie_formation": 0.3,
}
RING = {"design": "ring", "n_districts": 9}
GRID_LANDSCAPE = {**RING, "landscape": "mason_watts", "learning": "copy_best"}
COPY_BEST = {"learning": "copy_best"}
NETWORK = "configs/my_network.csv"

# Each parameter declared read_in: a run outside the runs that read it, and another value.
OUTSIDE: dict[str, tuple[dict, object]] = {
    "n_components": (GRID_LANDSCAPE, 10),
    "k": (GRID_LANDSCAPE, 2),
    "h": (GRID_LANDSCAPE, 0.8),
    "n_contexts": (GRID_LANDSCAPE, 3),
    "contribution_decimals": (GRID_LANDSCAPE, 2),
    "dependencies": (GRID_LANDSCAPE, "any"),
    "approximate_max": (GRID_LANDSCAPE, True),
    "outcome_exponent": ({}, 3.0),  # percent units
    "partnerships": (RING, 5),
    "districts_per_partnership": (RING, 2),
    "n_districts": ({}, 5),  # a NIC design
    "research_rate": (RING, 0.9),
    "research_candidates": ({"design": "siloed", **COPY_BEST}, 1),
    "research_quality": ({"design": "hub", **COPY_BEST}, 0.9),  # universities, no research
    "training_rate": (RING, 0.3),
    "preparation": (RING, 0.9),
    "tests_per_leader": (COPY_BEST, 3),
    "novice_capacity": (COPY_BEST, 0.9),
    "judgment": (COPY_BEST, "model1"),
    "learning_by_doing": (COPY_BEST, 0.3),
    "measurement_noise": (COPY_BEST, 5.0),
    "expert_noise_ratio": (COPY_BEST, 0.9),
    "min_tests": (COPY_BEST, 1),
    "adoption_threshold": (COPY_BEST, 5.0),
    "share_prob": (COPY_BEST, 0.9),
    "judgment_noise": ({"judgment": "model1"}, 5.0),
    "convening_interval": ({"design": "siloed"}, 1),
    "hub_broadcast": ({"design": "complete"}, 6),
    "tie_formation": ({"design": "siloed"}, 0.9),
    "convening_ties": ({"design": "siloed"}, "institutional"),
    "cross_ties": ({}, 0.5),  # the hub design
    "density": (RING, 0.9),
    "connected": (RING, True),
    "lattice_k": (RING, 3),
    "rewirings": ({**RING, "design": "lattice"}, 2),
    "graph_file": ({}, NETWORK),
    "directed_graph": ({**RING, **COPY_BEST}, True),
    "velocity": ({}, 0.5),  # PDSA
    "sample_size": ({}, 2),
    "individual_learning": ({}, False),
    "copy_error": ({"learning": "conformity"}, 0.3),
    "conformity_min_count": (COPY_BEST, 2),
    "conformity_if_better": (COPY_BEST, True),
}


# The same for the March model's
MARCH = {"model": "march", "m": 8, "n": 6, "max_periods": 30, "p3": 0.1}
OUTSIDE_MARCH: dict[str, tuple[dict, object]] = {"p1_fast": ({"n_fast": 0}, 0.3)}


def declared(cls: type) -> set[str]:
    return {name for name, f in fields_of(cls).items() if "read_in" in f.metadata}


def test_every_parameter_declared_unread_somewhere_is_run_here():
    assert set(OUTSIDE) == declared(Params)
    assert set(OUTSIDE_MARCH) == declared(MarchParams)


def same_outputs(base: dict, name: str, value: object, seeds=(1, 2)) -> None:
    """Runs of ``base`` and of ``base`` with ``name = value`` give the same metrics (as
    ``runs.csv`` writes them) and the same time series, seed by seed."""
    for seed in seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the warning this file is about
            ours = nicsim.simulate(seed, timeseries=True, **base)
            other = nicsim.simulate(seed, timeseries=True, **{**base, name: value})
        pd.testing.assert_frame_equal(ours.pop("timeseries"), other.pop("timeseries"))
        assert {k: as_written(v) for k, v in ours.items()} == {
            k: as_written(v) for k, v in other.items()
        }


@pytest.mark.parametrize("name", sorted(OUTSIDE))
def test_a_parameter_is_unread_where_it_is_declared_so(root, name):
    """Outside its runs, another value changes no metric and no step of the time series."""
    outside, value = OUTSIDE[name]
    if name == "graph_file":
        value = str(root / NETWORK)
    base = {**SMALL, **outside}
    assert name in from_dict({**base, name: value}).unread()
    same_outputs(base, name, value)


@pytest.mark.parametrize("name", sorted(OUTSIDE_MARCH))
def test_a_march_parameter_is_unread_where_it_is_declared_so(name):
    outside, value = OUTSIDE_MARCH[name]
    base = {**MARCH, **outside}
    assert name in from_dict({**base, name: value}).unread()
    same_outputs(base, name, value)


def test_the_default_run_reads_what_it_is_said_to_read():
    """The default hub NIC of PDSA and beliefs: only the settings of other designs, rules
    and landscapes are unread."""
    assert set(Params().unread()) == {
        "outcome_exponent",
        "n_districts",
        "cross_ties",
        "density",
        "connected",
        "lattice_k",
        "rewirings",
        "graph_file",
        "directed_graph",
        "velocity",
        "sample_size",
        "individual_learning",
        "copy_error",
        "conformity_min_count",
        "conformity_if_better",
    }


def test_only_a_value_set_away_from_its_default_is_warned():
    assert unread_settings([Params()]) == []
    assert unread_settings([from_dict({"velocity": 0.5, "cross_ties": 0.1})]) == [
        "velocity = 0.5 is not read: only runs with learning = copy_best or conformity read it"
    ]


def test_a_setting_read_by_one_point_is_not_warned_and_the_values_of_others_are_named():
    """Read at one point of a plan: no warning. Unread at every point, but set at some:
    each value set is named."""
    hub = from_dict({"design": "hub", "convening_interval": 6})
    siloed = from_dict({"design": "siloed", "convening_interval": 6})
    assert unread_settings([siloed, hub]) == []
    points = [from_dict({"velocity": v}) for v in (0.5, 1.0, 0.2)]
    assert unread_settings(points) == [
        "velocity = 0.5 or 0.2 is not read: only runs with learning = copy_best or conformity "
        "read it"
    ]


def warnings_of(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if "warning" in line]


def test_simulate_warns_of_a_setting_it_does_not_read():
    with pytest.warns(
        UserWarning, match=r"^hub_broadcast = 5 is not read: only designs with a hub"
    ):
        nicsim.simulate(1, design="siloed", hub_broadcast=5, steps=2, partnerships=2)


@pytest.mark.slow
def test_a_sweep_over_a_setting_no_point_reads_is_warned_once(root, tmp_path, capsys):
    """A grid over convening_interval in siloed partnerships: every point ignores it, and
    the warning names each value the grid sets; the runs still go on."""
    sweep = tmp_path / "s.toml"
    sweep.write_text(
        f'base = "{root / "configs/default.toml"}"\nreplications = 1\n'
        '[params]\ndesign = "siloed"\nsteps = 2\npartnerships = 2\n'
        "[grid]\nconvening_interval = [1, 3, 6]\n"
    )
    assert main(["sweep", str(sweep), "--workers", "1", "--out", str(tmp_path / "r")]) == 0
    assert warnings_of(capsys) == [
        "nicsim: warning: convening_interval = 1 or 6 is not read: only designs with a hub "
        "(hub, networked, a graph file's) read it"
    ]


@pytest.mark.slow
def test_a_screened_range_no_run_reads_is_warned_and_judged_not_read(root, tmp_path, capsys):
    """A sensitivity screen of a parameter the design never reads would have reported it
    inert: it is warned of before any run, and its verdict is `not read`, not `inert`."""
    sweep = tmp_path / "sens.toml"
    sweep.write_text(
        f'base = "{root / "configs/default.toml"}"\nreplications = 1\n'
        '[params]\ndesign = "siloed"\nsteps = 2\npartnerships = 2\n'
        "[sample]\npoints = 2\n[sample.ranges]\nh = [0.0, 1.0]\ntie_formation = [0.0, 0.1]\n"
        "dummy = [0.0, 1.0]\n"
    )
    out = tmp_path / "r"
    assert main(["sensitivity", str(sweep), "--workers", "1", "--out", str(out)]) == 0
    (warning,) = warnings_of(capsys)
    hub = "designs with a hub (hub, networked, a graph file's)"
    assert warning == (
        f"nicsim: warning: tie_formation = 4 values from 0.0 to 0.1 is not read: only {hub} read it"
    )
    report = (out / "sensitivity.md").read_text()
    verdicts = {
        cells[1]: cells[-2]
        for cells in ([c.strip() for c in line.split("|")] for line in report.splitlines())
        if len(cells) > 2 and cells[1] in ("h", "tie_formation")
    }
    assert verdicts["tie_formation"] == "not read" and verdicts["h"] in ("acts", "inert")
    assert (
        f"`tie_formation` is `not read`: no run of this screen reads it (only {hub} do)" in report
    )


def test_the_odd_lists_the_parameters_each_kind_of_run_reads(root):
    """docs/ODD.md section 7.16 groups the parameters as the code does: one row for each
    declaration of the runs that read them."""
    section = (root / "docs/ODD.md").read_text().split("### 7.16")[1].split("\n## ")[0]
    cells = [line.split("|")[2] for line in section.splitlines() if line.startswith("| ")]
    documented = {frozenset(re.findall(r"`(\w+)`", cell)) for cell in cells} - {frozenset()}
    groups = collections.defaultdict(set)
    for name, f in fields_of(Params).items():
        if "read_in" in f.metadata:
            groups[f.metadata["read_in"]].add(name)
    assert documented == {frozenset(names) for names in groups.values()}


@pytest.mark.slow
def test_animate_warns_of_a_setting_its_run_does_not_read(root, tmp_path, capsys):
    out = tmp_path / "run.gif"
    args = ["animate", str(root / "configs/default.toml"), "--out", str(out)]
    settings = ["design=siloed", "convening_interval=6", "steps=1", "partnerships=2"]
    assert main([*args, *(x for s in settings for x in ("--set", s))]) == 0
    assert warnings_of(capsys) == [
        "nicsim: warning: convening_interval = 6 is not read: only designs with a hub (hub, "
        "networked, a graph file's) read it"
    ]
    assert out.exists()


@pytest.mark.slow
def test_the_page_warns_of_a_setting_its_config_sets_and_no_run_reads(
    root, tmp_path, monkeypatch, capsys
):
    """`nicsim app --config`: the warning is printed before the page is served."""
    pytest.importorskip("solara", reason="the app extra is not installed")
    from nicsim.ui import cli

    served = []
    monkeypatch.setattr(cli.os, "execve", lambda *args: served.append(args[1]))
    config = tmp_path / "c.toml"
    config.write_text('design = "siloed"\nhub_broadcast = 5\n')
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["app", "--config", str(config), "--port", str(port)]) == 0
    assert served and warnings_of(capsys) == [
        "nicsim: warning: hub_broadcast = 5 is not read: only designs with a hub (hub, "
        "networked, a graph file's) read it"
    ]
