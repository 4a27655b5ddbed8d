"""Mason & Watts's landscape (Barkoczi & Galesic 2016, simulation_MW.R): its construction,
their radius search value by value, the rules running on cells, and the combinations that
make no sense refused."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from nicsim.core.params import ConfigError
from nicsim.nic.masonwatts import SIZE, MasonWattsLandscape, payoffs, smooth
from nicsim.nic.model import NICModel
from nicsim.nic.params import Params


class Scripted:
    """A generator stand-in that returns chosen numbers: axis 0 (x) from ``integers`` and
    the given uniforms from ``random``, so each of the search's draws can be named."""

    def __init__(self, uniforms: np.ndarray, axis: int = 0) -> None:
        self.uniforms, self.axis = uniforms, axis

    def integers(self, low, high, size):
        return np.full(size, self.axis)

    def random(self, size):
        return self.uniforms


def their_radius_values(v: int) -> list[int]:
    """simulation_MW.R's candidate values for a coordinate at 1-based v, as R builds them."""
    values = [v + r for r in range(1, v + 1)] + [v - r for r in range(1, v + 1)]
    return [1 if x > SIZE else SIZE if x < 1 else x for x in values]


@pytest.mark.parametrize("v", [1, 2, 37, 50, 99, 100])
@pytest.mark.parametrize("axis", [0, 1])
def test_radius_search_draws_uniformly_from_their_values(v, axis):
    land = MasonWattsLandscape(np.ones((SIZE, SIZE)))
    other = 17  # the coordinate that must not move (0-based)
    cell = (v - 1) * SIZE + other if axis == 0 else other * SIZE + (v - 1)
    picks = (np.arange(2 * v) + 0.5) / (2 * v)  # one uniform inside each of the 2v slots
    moved = land.local_search(np.full(2 * v, cell), Scripted(picks, axis))
    x, y = np.divmod(moved, SIZE)
    new, kept = (x, y) if axis == 0 else (y, x)
    assert (kept == other).all()
    assert sorted((new + 1).tolist()) == sorted(their_radius_values(v))


def test_starting_cells_are_two_different_coordinates_each_equally_likely():
    land = MasonWattsLandscape(np.ones((SIZE, SIZE)))
    x, y = np.divmod(land.random_practices(np.random.default_rng(0), 200_000), SIZE)
    assert (x != y).all()
    for counts in (np.bincount(x, minlength=SIZE), np.bincount(y, minlength=SIZE)):
        # 2,000 expected per value: 5 standard deviations is about 225
        assert np.abs(counts - 2_000).max() < 250


def test_smoothing_passes_through_the_knots():
    # 8 knots over [1, 15] fall on cells 1, 3, ..., 15: the surface takes their values there
    knots = np.random.default_rng(1).random((8, 8))
    surface = smooth(knots, 15)
    assert surface.shape == (15, 15)
    np.testing.assert_allclose(surface[::2, ::2], knots, rtol=0, atol=1e-12)


def test_the_grid_peaks_at_100_and_is_the_same_for_the_same_draws():
    grid = payoffs(np.random.default_rng(5))
    assert grid.shape == (SIZE, SIZE)
    assert grid.max() == 100.0
    assert grid.min() > 0
    np.testing.assert_array_equal(grid, payoffs(np.random.default_rng(5)))
    assert not np.array_equal(grid, payoffs(np.random.default_rng(6)))


def test_outcomes_in_their_units_and_in_percent():
    grid = np.arange(1.0, SIZE * SIZE + 1).reshape(SIZE, SIZE) / 100.0  # max 100
    power = MasonWattsLandscape(grid, "power", 1.0)
    codes = np.array([0, 4_999, 9_999])
    np.testing.assert_array_equal(power.outcome(codes), grid.ravel()[codes] / 100.0)
    percent = MasonWattsLandscape(grid, "percent")
    assert percent.outcome(np.array([9_999]))[0] == 100.0
    mean = grid.mean()
    np.testing.assert_allclose(
        percent.outcome(codes), 100 * (grid.ravel()[codes] - mean) / (100.0 - mean)
    )


def mw_params(**kw) -> Params:
    kw = {
        "landscape": "mason_watts",
        "design": "ring",
        "n_districts": 12,
        "learning": "copy_best",
        "leaders_per_district": 0,
        "outcome_units": "power",
        "outcome_exponent": 1.0,
        "target": 0.9,
        "steps": 30,
        "conformity_min_count": 2,  # their conformist
        "conformity_if_better": True,
        **kw,
    }
    return Params(**kw)


@pytest.mark.parametrize("learning", ["copy_best", "conformity"])
def test_the_imitation_rules_run_on_cells_and_only_ever_improve(learning):
    a = NICModel(mw_params(learning=learning, sample_size=2), seed=4)
    start = a.outcome.copy()
    series = []
    for _ in range(30):
        before = a.outcome.copy()
        a.step()
        assert (a.outcome >= before).all()  # a move is kept only if strictly better
        series.append(a.practice.copy())
    assert ((a.practice >= 0) & (a.practice < SIZE * SIZE)).all()
    assert a.outcome.mean() > start.mean()
    np.testing.assert_array_equal(a.outcome, a.landscape.outcome(a.practice))
    b = NICModel(mw_params(learning=learning, sample_size=2), seed=4).run(30)
    np.testing.assert_array_equal(b.practice, series[-1])


def test_a_district_copies_its_better_neighbours_cell():
    grid = np.ones((SIZE, SIZE))
    grid[3, 4] = 100.0  # one good cell
    g = nx.Graph([(0, 1)])
    nx.set_node_attributes(g, "district", "kind")
    m = NICModel(mw_params(design="file", graph_file="x.csv", steps=1), seed=1, graph=g)
    m.landscape = MasonWattsLandscape(grid, "power", 1.0)
    m.set_practices([3 * SIZE + 4, 10 * SIZE + 20])
    m.step()
    assert m.practice.tolist() == [3 * SIZE + 4, 3 * SIZE + 4]


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"learning": "pdsa", "leaders_per_district": 1}, "learning = 'pdsa' is not allowed"),
        ({"copy_error": 0.1}, "copy_error = 0.1 is not allowed"),
        ({"design": "hub"}, "design = 'hub' is not allowed with landscape = 'mason_watts'"),
        ({"landscape": "grid"}, "landscape = 'grid'"),
    ],
)
def test_combinations_that_make_no_sense_are_refused(kw, words):
    with pytest.raises(ConfigError, match=words):
        mw_params(**kw)


def test_a_graph_file_with_universities_is_refused():
    g = nx.Graph([(0, 1), (1, 2)])
    nx.set_node_attributes(g, {0: "district", 1: "university", 2: "district"}, "kind")
    nx.set_node_attributes(g, 0, "partnership")
    with pytest.raises(ConfigError, match="landscape = 'mason_watts' is not allowed with a graph"):
        NICModel(mw_params(design="file", graph_file="x.csv"), seed=1, graph=g)


def test_the_landscape_enters_a_fingerprint_only_when_it_is_not_nk():
    from nicsim.lab.plans import fingerprinted

    assert "landscape" not in fingerprinted(Params())
    assert fingerprinted(mw_params())["landscape"] == "mason_watts"


def test_replicate_their_mason_watts_comparison_at_a_toy_scale(tmp_path, capsys):
    from nicsim.ui.cli import main

    args = ["replicate", "barkoczi_galesic_2016", "--only", "mw_social", "--replications", "1"]
    args += ["--set", "steps=2", "--workers", "1", "--out", str(tmp_path)]
    assert main(args) == 0
    root = tmp_path / "barkoczi_galesic_2016"
    summary = (root / "summary.md").read_text()
    assert "## Mason & Watts: mean performance at round 1 by network (1 landscapes)" in summary
    # their round-1 means beside nicsim's (round 2 is not condensed), best member, fully connected
    assert "| fully-connected | 0.415 / 0." in summary
    assert (root / "figures" / "mw_networks.png").stat().st_size > 0
    capsys.readouterr()
