"""Mason & Watts's landscape (Barkoczi & Galesic 2016, simulation_MW.R): its construction
and its interpolation (Akima's bivariate method, ACM algorithm 760, as their
``akima::bicubic.grid`` calls it), their radius search value by value, the rules running on
cells, and the combinations that make no sense refused."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from nicsim.core.params import ConfigError
from nicsim.nic.akima import interpolate, partials
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


# uneven knots, as the method allows: 6 in x, 5 in y
X = np.array([0.0, 0.7, 1.5, 2.0, 3.1, 4.0])
Y = np.array([-1.0, -0.2, 0.5, 1.7, 2.0])


def test_akima_passes_through_the_knots():
    z = np.random.default_rng(2).random((X.size, Y.size))
    np.testing.assert_allclose(interpolate(X, Y, z, X, Y), z, rtol=0, atol=1e-14)


def polynomial(coefficients):
    """p(x, y) = sum a[k, j] x**k y**j, and with dx = 1 or dy = 1 its derivative in x or y."""
    a = np.asarray(coefficients)
    k, j = np.arange(a.shape[0])[:, None], np.arange(a.shape[1])[None, :]

    def value(x, y, dx=0, dy=0):
        x = np.asarray(x, dtype=float)[..., None, None]
        y = np.asarray(y, dtype=float)[..., None, None]
        fx = (k if dx else 1) * x ** np.maximum(k - dx, 0)
        fy = (j if dy else 1) * y ** np.maximum(j - dy, 0)
        return (a * fx * fy).sum(axis=(-2, -1))

    return value


@pytest.mark.parametrize("degree", [1, 3])
def test_akima_reproduces_bilinear_and_bicubic_polynomials_exactly(degree):
    # ACM 760 has "the accuracy of a bicubic polynomial": each primary estimate of a
    # derivative is the derivative of a cubic (or bicubic) through four (4 x 4) knots, so
    # for a polynomial of degree <= 3 in each variable every estimate, whatever its weight,
    # is exact, and so is the Hermite patch built on them. A bilinear surface takes the
    # infinite-weight branch (every fitted line and plane is exact, V = 0), a bicubic the
    # weighted one
    rng = np.random.default_rng(3)
    p = polynomial(rng.normal(size=(degree + 1, degree + 1)))
    gx, gy = np.meshgrid(X, Y, indexing="ij")
    zx, zy, zxy = partials(X, Y, p(gx, gy))
    np.testing.assert_allclose(zx, p(gx, gy, dx=1), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(zy, p(gx, gy, dy=1), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(zxy, p(gx, gy, dx=1, dy=1), rtol=1e-9, atol=1e-9)
    xi, yi = np.sort(rng.uniform(X[0], X[-1], 17)), np.sort(rng.uniform(Y[0], Y[-1], 13))
    px, py = np.meshgrid(xi, yi, indexing="ij")
    np.testing.assert_allclose(interpolate(X, Y, p(gx, gy), xi, yi), p(px, py), rtol=1e-10)


def test_akima_is_not_exact_beyond_degree_three():
    # the other side of the guarantee: x**4 is not reproduced between the knots
    gx, _ = np.meshgrid(X, Y, indexing="ij")
    xi = np.array([0.35, 2.5, 3.5])
    assert np.abs(interpolate(X, Y, gx**4, xi, Y)[:, 0] - xi**4).max() > 1e-3


def test_akima_slope_at_a_knot_by_hand():
    # z_x at x = 2 of the row z = 0, 1, 0, 2, 0 at x = 0..4 (unit spacing). Two runs of four
    # knots contain x = 2 on a 5-knot axis:
    # - x = 0, 1, 2, 3: the cubic through them has slope -1/3 at 2; the line fitted to the
    #   four points is 1 + (x - 2) / 2, residuals 0, 0.5, -1, 0.5, so V = 1.5; D = 4 + 1 + 1
    #   = 6: weight 1/9.
    # - x = 1, 2, 3, 4: slope 5/3; the line 0.8 - 0.1 (x - 2), residuals 0.1, -0.8, 1.3,
    #   -0.6, V = 2.7; D = 1 + 1 + 4 = 6: weight 1/16.2 = 5/81.
    # z_x = (9/81 * -1/3 + 5/81 * 5/3) / (14/81) = (16/3) / 14 = 8/21.
    axis = np.arange(5.0)
    z = np.random.default_rng(4).random((5, 5))
    z[:, 1] = [0.0, 1.0, 0.0, 2.0, 0.0]
    zx, _, _ = partials(axis, axis, z)
    assert zx[2, 1] == pytest.approx(8 / 21, rel=1e-14)
    # a run whose four points lie on a line has an infinite weight: at x = 1 of the row
    # 0, 1, 2, 3, 7 only x = 0..3 (slope 1, V = 0) and x = 1..4 fit, and z_x is exactly 1
    z[:, 3] = [0.0, 1.0, 2.0, 3.0, 7.0]
    zx, zy, _ = partials(axis, axis, z)
    assert zx[1, 3] == 1.0
    # and along y the same rules: the transposed grid gives the row's slopes as z_y
    _, zy_t, _ = partials(axis, axis, z.T)
    np.testing.assert_array_equal(zy_t[1, 2], zx[2, 1])


def test_akima_transposing_the_knots_transposes_the_surface():
    rng = np.random.default_rng(5)
    z = rng.random((X.size, Y.size))
    xi, yi = np.linspace(X[0], X[-1], 23), np.linspace(Y[0], Y[-1], 19)
    zx, zy, zxy = partials(X, Y, z)
    tx, ty, txy = partials(Y, X, z.T)
    np.testing.assert_allclose(tx, zy.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ty, zx.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(txy, zxy.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        interpolate(Y, X, z.T, yi, xi), interpolate(X, Y, z, xi, yi).T, rtol=0, atol=1e-12
    )


def test_akima_refuses_what_it_does_not_do():
    z = np.zeros((3, 5))
    with pytest.raises(ValueError, match="4 or more"):
        partials(np.arange(3.0), np.arange(5.0), z)
    with pytest.raises(ValueError, match="outside the knots"):
        interpolate(X, Y, np.zeros((6, 5)), [X[-1] + 0.1], Y)


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


@pytest.mark.slow
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
