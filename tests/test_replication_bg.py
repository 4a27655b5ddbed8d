"""Barkoczi & Galesic (2016): the options their setting needs, each on a hand-checkable
case, and their networks as committed edge lists.

Districts are put on chosen practices of a hand-built graph on one shared N = 4 landscape
(16 practices, enumerated through the model's own scoring), so the right move is known
whatever random numbers the rule draws; ``individual_learning = false`` removes the
random flip where a test needs a district to stay put.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from nicsim.analysis.barkoczi_galesic_tables import BG_SWEEPS
from nicsim.core.params import ConfigError
from nicsim.lab.config import load_config
from nicsim.lab.sweeps import load_sweep
from nicsim.nic.graphs import load_graph
from nicsim.nic.imitation import first_best, sampled_neighbours
from nicsim.nic.model import NICModel
from nicsim.nic.nk import NKLandscape, evaluate
from nicsim.nic.params import Params
from nicsim.ui.cli import main

ROOT = Path(__file__).resolve().parents[1]
BG = ROOT / "configs" / "replications" / "barkoczi_galesic_2016"
NETS = ROOT / "validation" / "barkoczi_galesic_2016" / "networks"
N = 4


def star(leaves: int) -> nx.Graph:
    """District 0 tied to districts 1..leaves."""
    g = nx.Graph()
    g.add_nodes_from(range(leaves + 1), kind="district")
    g.add_edges_from((0, i) for i in range(1, leaves + 1))
    return g


def model(graph: nx.Graph, learning: str, **kw) -> NICModel:
    p = Params(
        n_components=N,
        k=1,
        h=0.0,
        n_contexts=1,
        outcome_units="power",
        target=0.9,
        learning=learning,
        leaders_per_district=0,
        turnover_rate=0.0,
        **kw,
    )
    return NICModel(p, seed=3, graph=graph)


def ranked(m: NICModel) -> list[int]:
    """Practice codes 0..15 from worst to best (all distinct outcomes on this landscape)."""
    codes = np.arange(1 << N)
    f = m.score(codes, np.zeros_like(codes))
    assert np.unique(f).size == f.size
    return [int(c) for c in np.argsort(f)]


# -- the landscape ---------------------------------------------------------------------------
def test_rounded_contributions_are_tenths_and_otherwise_the_same_draws():
    plain = NKLandscape.random(6, 2, np.random.default_rng(5))
    tenths = NKLandscape.random(6, 2, np.random.default_rng(5), decimals=1)
    assert np.array_equal(tenths.table, np.round(plain.table, 1))
    assert np.array_equal(tenths.deps, plain.deps)
    assert np.allclose(tenths.table * 10, np.round(tenths.table * 10), atol=1e-12)


def test_rounded_contributions_sum_exactly_so_equal_sums_tie():
    """With tenths, fitness is (sum of tenths) / (10 N) exactly, on both scoring paths: two
    practices tie exactly when their contributions add up alike, in whatever order (summed
    as floats, about half of those pairs differed by an ulp)."""
    n, k = 8, 3
    land = NKLandscape.random(n, k, np.random.default_rng(2), decimals=1)
    codes = np.arange(1 << n)
    tenths = np.zeros(codes.size, dtype=np.int64)
    for i in range(n):  # each component's contribution, in tenths, read from its table
        index = sum(((codes >> int(b)) & 1) << j for j, b in enumerate(land.deps[i]))
        tenths += np.rint(land.table[i][index] * 10).astype(np.int64)
    expected = tenths / (10.0 * n)
    assert np.array_equal(land.full_table(), expected)
    assert np.array_equal(land.fitness(codes), expected)
    assert np.unique(expected).size == np.unique(tenths).size  # one value for each sum
    summed = evaluate(land.deps[None], land.table[None], codes, 0)  # the floats as added
    assert np.unique(summed).size > np.unique(tenths).size  # the case under test occurs


def test_any_dependencies_score_as_their_definition():
    """K drawn from all N, itself included: fitness is the mean over components of the
    table read at the component's own bit and its K drawn bits (a repeated bit read twice),
    on every one of the 2**N practices, through both scoring paths."""
    n, k = 6, 3
    keys = np.random.default_rng(11).random((n, n))
    drawn = np.argsort(keys, axis=1)[:, :k]
    assert any(i in drawn[i] for i in range(n))  # the case under test occurs
    table = np.random.default_rng(11)
    table.random((n, n))
    table = table.random((n, 1 << (k + 1)))
    land = NKLandscape.random(n, k, np.random.default_rng(11), dependencies="any")
    codes = np.arange(1 << n)
    expected = np.zeros(codes.size)
    for i in range(n):
        reads = [i, *drawn[i]]
        index = sum(((codes >> b) & 1) << j for j, b in enumerate(reads))
        expected += table[i][index]
    expected /= n
    assert np.allclose(land.fitness(codes), expected, rtol=0, atol=1e-12)
    assert np.array_equal(land.full_table(), land.fitness(codes))
    assert all(len(set(row)) == k + 1 for row in land.deps.tolist())


# -- sampling neighbours ---------------------------------------------------------------------
def test_a_sample_is_that_many_distinct_neighbours_or_all():
    m = model(star(5), "copy_best", sample_size=3)
    picked, indptr = sampled_neighbours(m, 3)
    rows = [picked[indptr[i] : indptr[i + 1]].tolist() for i in range(6)]
    assert len(rows[0]) == 3 and len(set(rows[0])) == 3 and set(rows[0]) <= {1, 2, 3, 4, 5}
    assert rows[1:] == [[0]] * 5  # a leaf has one neighbour: it is looked at


@pytest.mark.parametrize(
    "graph, size",
    [(nx.complete_graph(12), 3), (nx.complete_graph(12), 11), (nx.cycle_graph(9), 1), (star(5), 3)],
)
def test_a_sample_is_the_smallest_keys_of_each_row_in_key_order(graph, size):
    """Every network, regular or not (fully connected and a ring are read row by row): each
    district looks at the neighbours of its ``size`` smallest keys, smallest first, the
    keys being one uniform draw per tie in row order."""
    nx.set_node_attributes(graph, "district", "kind")
    m = model(graph, "copy_best", sample_size=size)
    ties = m.neighbour_arrays()
    keys = copy.deepcopy(m.rng).random(ties.nbrs.size)
    picked, indptr = sampled_neighbours(m, size)
    for i in range(len(m.districts)):
        lo, hi = ties.indptr[i], ties.indptr[i + 1]
        expected = ties.nbrs[lo:hi][np.argsort(keys[lo:hi])][:size]
        assert picked[indptr[i] : indptr[i + 1]].tolist() == expected.tolist()


def test_first_best_takes_the_first_of_equals_in_the_sampled_order():
    outcome = np.array([0.1, 0.5, 0.5, 0.2])
    picked = np.array([2, 1, 3, 0, 1, 2])
    indptr = np.array([0, 3, 3, 4, 6])  # district 1 looks at nobody
    assert first_best(outcome, picked, indptr).tolist() == [2, -1, 0, 1]


def test_random_copying_copies_a_better_neighbour_and_never_searches_alone():
    """Sample 1, no individual learning: each leaf sees only the centre and copies it if
    better; the centre copies the one leaf it drew if better, else stays."""
    m = model(star(2), "copy_best", sample_size=1, individual_learning=False)
    order = ranked(m)
    worst, middle, best = order[0], order[8], order[15]
    m.set_practices([middle, worst, best])
    m.step()
    assert m.practice[1] == middle  # copied the better centre
    assert m.practice[2] == best  # the centre is worse: stays, no flip
    assert m.practice[0] in (middle, best)  # kept (drew the worse leaf) or copied the best


def test_best_member_of_a_sample_larger_than_the_neighbourhood_is_the_best_neighbour():
    m = model(star(2), "copy_best", sample_size=9, individual_learning=False)
    order = ranked(m)
    m.set_practices([order[3], order[8], order[15]])
    m.step()
    assert m.practice.tolist() == [order[15], order[8], order[15]]


# -- directed graphs: a district sees only the districts its ties point to -------------------
def one_way(*ties: tuple[int, int], n: int) -> nx.DiGraph:
    """Districts 0..n-1 and the ties a -> b (a sees b)."""
    g = nx.DiGraph()
    g.add_nodes_from(range(n), kind="district")
    g.add_edges_from(ties)
    return g


def test_a_directed_sample_is_drawn_from_the_successors_only():
    """Out-star 0 -> 1..5: the centre samples 3 of its 5 leaves, a leaf samples nobody.
    In-star 1..5 -> 0: every leaf samples the centre, the centre nobody."""
    out = model(one_way(*((0, i) for i in range(1, 6)), n=6), "copy_best", directed_graph=True)
    picked, indptr = sampled_neighbours(out, 3)
    rows = [picked[indptr[i] : indptr[i + 1]].tolist() for i in range(6)]
    assert len(set(rows[0])) == 3 and set(rows[0]) <= {1, 2, 3, 4, 5}
    assert rows[1:] == [[]] * 5
    into = model(one_way(*((i, 0) for i in range(1, 6)), n=6), "copy_best", directed_graph=True)
    picked, indptr = sampled_neighbours(into, 3)
    assert [picked[indptr[i] : indptr[i + 1]].tolist() for i in range(6)] == [[]] + [[0]] * 5


@pytest.mark.parametrize("sample", [0, 1, 9])
def test_best_member_copies_only_along_its_ties(sample):
    """0 -> 1 -> 2 with 0 worst, 1 middle, 2 best: 0 copies 1 (it cannot see 2), 1 copies 2,
    and 2, which sees nobody, stays (no flip). Read both ways, 2 would see 1, and 1 and 0
    would both copy 2 (sample 9 or all)."""
    m = model(
        one_way((0, 1), (1, 2), n=3),
        "copy_best",
        directed_graph=True,
        sample_size=sample,
        individual_learning=False,
    )
    order = ranked(m)
    m.set_practices([order[0], order[8], order[15]])
    m.step()
    assert m.practice.tolist() == [order[8], order[15], order[15]]


@pytest.mark.parametrize("directed, expected", [(True, [8, 3, 3, 3]), (False, [3, 3, 3, 3])])
def test_conformity_follows_only_the_districts_it_sees(directed, expected):
    """1 -> 0, 2 -> 0, 3 -> 1, 3 -> 2, with 1 and 2 alike: 3 follows them; 0, whom they
    look at, sees nobody and stays, as do 1 and 2 (they see one district). Read both
    ways, 0 sees 1 and 2 and follows them too."""
    m = model(
        one_way((1, 0), (2, 0), (3, 1), (3, 2), n=4),
        "conformity",
        directed_graph=directed,
        sample_size=3,
        conformity_min_count=2,
        individual_learning=False,
    )
    order = ranked(m)
    m.set_practices([order[r] for r in (8, 3, 3, 12)])
    m.step()
    assert [order.index(int(c)) for c in m.practice] == expected


def test_a_directed_graph_read_undirected_is_the_default():
    """directed_graph = false (the default) reads the same DiGraph both ways: 2 sees 1."""
    m = model(one_way((0, 1), (1, 2), n=3), "copy_best", sample_size=9, individual_learning=False)
    assert [m.district_neighbours(i) for i in range(3)] == [[1], [0, 2], [1]]


# -- conformity ------------------------------------------------------------------------------
def conformist(practices: list[int], **kw) -> int:
    """The centre's practice after one step of conformity among its leaves (no flip)."""
    m = model(star(len(practices) - 1), "conformity", individual_learning=False, **kw)
    order = ranked(m)
    m.set_practices([order[r] for r in practices])
    m.step()
    return order.index(int(m.practice[0]))


def test_conformity_needs_two_alike_when_asked():
    assert conformist([8, 1, 2, 3], conformity_min_count=2) == 8  # all differ: stays
    assert conformist([8, 1, 3, 3], conformity_min_count=2) == 3
    assert conformist([8, 1, 2, 3]) in (1, 2, 3)  # the default follows one of them


def test_conformity_if_better_follows_only_a_better_majority():
    assert conformist([8, 3, 3, 1], conformity_if_better=True) == 8  # worse: stays
    assert conformist([8, 12, 12, 1], conformity_if_better=True) == 12
    assert conformist([8, 3, 3, 1]) == 3  # the default follows it down


def test_conformity_on_a_sample_of_the_whole_neighbourhood_is_plain_conformity():
    assert conformist([8, 1, 3, 3], sample_size=9) == 3


# -- parameters, networks and configs --------------------------------------------------------
@pytest.mark.parametrize(
    "key, value",
    [
        ("sample_size", -1),
        ("conformity_min_count", 0),
        ("contribution_decimals", 10),
        ("dependencies", "self"),
    ],
)
def test_bad_values_are_one_line_errors_naming_the_key(key, value):
    with pytest.raises(ConfigError) as err:
        Params(**{key: value})
    assert key in str(err.value) and "\n" not in str(err.value)


def test_their_networks_load_with_their_degrees():
    """Read one way, as their code reads them: every agent samples from 19 contacts (99 on
    the fully connected network); their lattice's 19 are the next 19 agents around the
    ring. The symmetric networks read both ways give the same contacts."""
    for name in ("fully-connected", "max-max-betweenness", "lattice"):
        g = load_graph(NETS / f"{name}.csv", directed=True)
        assert g.number_of_nodes() == 100
        degree = 99 if name == "fully-connected" else 19
        assert {d for _, d in g.out_degree()} == {d for _, d in g.in_degree()} == {degree}
        if name != "lattice":
            both = load_graph(NETS / f"{name}.csv")
            assert all(sorted(g[v]) == sorted(both[v]) for v in g)
    lattice = load_graph(NETS / "lattice.csv", directed=True)
    assert all(sorted(lattice[i]) == sorted((i + j) % 100 for j in range(1, 20)) for i in lattice)
    # read both ways (nicsim before directed_graph), each agent had 38 contacts
    assert {d for _, d in load_graph(NETS / "lattice.csv").degree()} == {38}


def test_the_base_config_is_their_setting_and_every_sweep_loads():
    p = load_config(BG / "base.toml").params
    assert (p.n_components, p.k, p.contribution_decimals, p.dependencies) == (15, 7, 1, "any")
    assert (p.outcome_units, p.outcome_exponent, p.steps) == ("power", 8.0, 199)
    assert p.directed_graph and load_graph(p.graph_file).number_of_nodes() == 100
    for name in BG_SWEEPS:
        assert load_sweep(BG / f"{name}.toml", replications=1).replications == 1


@pytest.mark.slow
def test_replicate_quick_writes_the_comparison(tmp_path, capsys):
    """The replicate command end to end at a toy scale: two landscapes, three rounds."""
    from nicsim.ui.cli import main

    args = ["replicate", "barkoczi_galesic_2016", "--only", "nk_individual", "k_random"]
    args += ["--replications", "2", "--set", "steps=3", "--workers", "1", "--out", str(tmp_path)]
    assert main(args) == 0
    root = tmp_path / "barkoczi_galesic_2016"
    summary = (root / "summary.md").read_text()
    # their round-1 means beside nicsim's: individual learning on the fully connected file
    assert "| fully-connected | 0.062 / 0.0" in summary
    assert "## NK by K (fully connected)" in summary
    # the spread over landscapes compares round 199 only
    assert "NK by K (fully connected): nicsim's runs end at round 3, not 199" in summary
    for fig in ("nk_networks.png", "k_sweep.png", "nk_trajectories_fully-connected.png"):
        assert (root / "figures" / fig).stat().st_size > 0
    capsys.readouterr()


def test_the_new_options_at_their_defaults_leave_fingerprints_as_they_were():
    """Committed results of unchanged experiments stay valid: a plan's fingerprint leaves
    out the options added here while they are at their defaults, and only then."""
    from nicsim.lab.plans import fingerprinted

    new = {"contribution_decimals", "dependencies", "sample_size", "conformity_min_count"}
    new |= {"conformity_if_better", "individual_learning", "directed_graph", "landscape"}
    assert not new & set(fingerprinted(Params()))
    assert fingerprinted(Params(sample_size=3))["sample_size"] == 3
    assert set(Params().to_dict()) - set(fingerprinted(Params())) == new


def test_round_average_reads_skipped_rounds_off_the_line_between_tabulated_ones():
    from nicsim.analysis.barkoczi_galesic import _round_average

    # rounds 0 and 199 tabulated: a straight line from 0 to 0.199 averages 0.0995
    frame = pd.DataFrame(
        {
            "metric": "mean_outcome",
            "strategy": ["best3", "best3", "conf3", "conf3", "random"],
            "network": "fully-connected",
            "step": [0, 199, 0, 199, 0],
            "mean": [0.0, 0.199, 0.5, 0.5, 9.0],
        }
    )
    averages = _round_average(frame)
    assert averages[("best3", "fully-connected")] == pytest.approx(0.0995, abs=1e-12)
    assert averages[("conf3", "fully-connected")] == 0.5
    assert ("random", "fully-connected") not in averages  # only the two strategies it plots


# -- the spread over landscapes (their boxplot) ----------------------------------------------
def test_quantile_ci_estimates_are_type_7_and_intervals_are_seeded():
    from nicsim.analysis.compare import quantile_ci

    values = np.arange(101) / 100  # type-7 quantiles: exactly 0.05, 0.25, ...
    table = quantile_ci(values, [5, 25, 50, 75, 95], resamples=500, seed=3)
    assert table["estimate"].tolist() == pytest.approx([0.05, 0.25, 0.5, 0.75, 0.95])
    assert (table["ci_low"] <= table["estimate"]).all()
    assert (table["estimate"] <= table["ci_high"]).all()
    assert (table["ci_high"] - table["ci_low"] > 0.05).all()  # 101 values: not a point
    assert table.equals(quantile_ci(values, [5, 25, 50, 75, 95], resamples=500, seed=3))
    flat = quantile_ci(np.ones(20), [25, 50])
    assert (flat[["estimate", "ci_low", "ci_high"]] == 1.0).all().all()
    assert quantile_ci([0.4], [50])["ci_low"].isna().all()  # one value: no interval


def test_spread_check_passes_equal_quantiles_and_reports_a_mismatch_as_one():
    from nicsim.analysis.barkoczi_galesic_spread import BG_SPREAD, spread_check, spread_matches

    ours = np.arange(101) / 100
    same = {p: p / 100 for p in BG_SPREAD}
    check = spread_check(ours, same, 1000)
    assert check["inside"].all() and spread_matches(check)

    off_median = {**same, 50: 0.9}  # their median far above nicsim's 0.5
    check = spread_check(ours, off_median, 1000).set_index("percent")
    assert not check.loc[50, "inside"] and check.drop(50.0)["inside"].all()
    assert not spread_matches(check.reset_index())
    # a tail quantile outside is shown, not required: the box still matches
    check = spread_check(ours, {**same, 5: 0.5}, 1000)
    assert not check.set_index("percent").loc[5, "inside"] and spread_matches(check)

    # all landscapes at the optimum: a point interval, met only by their 1 (to 6 decimals)
    ones = np.ones(40)
    assert spread_matches(spread_check(ones, {p: 1.0000004 for p in BG_SPREAD}, 1000))
    assert not spread_matches(spread_check(ones, {**{p: 1.0 for p in BG_SPREAD}, 25: 0.98}, 1000))


def test_spread_interval_is_widened_for_their_own_sampling_error():
    from nicsim.analysis.barkoczi_galesic_spread import BG_RESAMPLE_SEED, BG_RESAMPLES, spread_check
    from nicsim.analysis.compare import quantile_ci

    ours = np.arange(101) / 100
    plain = quantile_ci(ours, [25, 50, 75], BG_RESAMPLES, BG_RESAMPLE_SEED)
    # as many landscapes of theirs as of nicsim's: the half-widths grow by sqrt(2)
    wide = spread_check(ours, {25: 0.25, 50: 0.5, 75: 0.75}, 101, percents=[25, 50, 75])
    for side in ("ci_low", "ci_high"):
        grown = (wide[side] - wide["estimate"]) / (plain[side] - plain["estimate"])
        assert grown.tolist() == pytest.approx([np.sqrt(2)] * 3)
    # many more of theirs: nicsim's bootstrap interval alone
    narrow = spread_check(ours, {25: 0.25, 50: 0.5, 75: 0.75}, 10**9, percents=[25, 50, 75])
    assert narrow["ci_low"].tolist() == pytest.approx(plain["ci_low"].tolist())


def test_spread_compare_counts_a_matching_and_a_mismatched_cell():
    from nicsim.analysis.barkoczi_galesic_spread import BG_SPREAD, spread_compare

    values = np.arange(101) / 100
    ours = pd.DataFrame(
        {
            "seed": np.tile(np.arange(1, 102), 2),
            "network": ["lattice"] * 101 + ["fully-connected"] * 101,
            "strategy": "best3",
            "mean_outcome": np.concatenate([values, values]),
        }
    )
    theirs = pd.DataFrame(
        [
            {"network": "fully-connected", "strategy": "best3", "n": 1000}
            | {f"q{p}": p / 100 for p in BG_SPREAD},
            {"network": "lattice", "strategy": "best3", "n": 1000}
            | {f"q{p}": p / 100 + (0.3 if p == 75 else 0) for p in BG_SPREAD},
            {"network": "max-max-closeness", "strategy": "best3", "n": 1000}  # not run: left out
            | {f"q{p}": p / 100 for p in BG_SPREAD},
        ]
    )
    table, drawn = spread_compare(ours, theirs, "network")
    assert table["network"].tolist() == ["fully-connected", "lattice"]  # in their order
    assert table["match"].tolist() == ["yes", "no"]
    assert table.loc[1, "75%"].startswith("1.050 / 0.750 [") and table.loc[1, "75%"].endswith(
        " out"
    )
    assert not table.loc[1, "50%"].endswith(" out")
    assert table.loc[0, "n (theirs / nicsim)"] == "1000 / 101"
    mine = drawn[(drawn["who"] == "nicsim") & (drawn["network"] == "lattice")].iloc[0]
    assert mine["q75"] == pytest.approx(0.75)


def test_agreement_counts_cells_inside_the_ci_and_the_gaps():
    from nicsim.analysis.barkoczi_galesic import agreement

    ours = pd.DataFrame(
        {
            "strategy": ["best3", "best3", "conf3"],
            "network": ["a", "b", "a"],
            "mean": [0.50, 0.60, 0.70],
            "ci_low": [0.45, 0.58, 0.69],
            "ci_high": [0.55, 0.62, 0.71],
        }
    )
    theirs = pd.DataFrame(
        {
            "strategy": ["best3", "best3", "conf3", "conf9"],
            "network": ["a", "b", "a", "a"],
            "mean": [0.52, 0.65, 0.70, 0.1],  # inside; 0.05 above the CI; on the mean; unmatched
        }
    )
    text = agreement(ours, theirs, ["strategy", "network"])
    assert text.startswith("Their mean inside nicsim's 95% CI in 2 of 3 cells; ")
    assert "nicsim below theirs in 2, by -0.023 on average" in text
    assert "(largest gaps -0.050 and +0.000)" in text


def test_agreement_judges_a_difference_against_both_sides_sampling_errors():
    """At 1000 landscapes a side their sampling error matters: 0.412 is outside nicsim's CI
    [0.39, 0.41] (n 1000: standard error 0.02 / (2 x 1.9623) = 0.00510), but with theirs,
    0.2 / sqrt(1000) = 0.00632, the difference may be 1.96 x 0.00812 = 0.0159 > 0.012.
    0.65 against [0.58, 0.62] is outside both ways (0.05 > 1.96 x 0.0139 = 0.0273)."""
    from nicsim.analysis.barkoczi_galesic import agreement

    ours = pd.DataFrame(
        {
            "strategy": ["best9", "best3"],
            "network": ["a", "b"],
            "mean": [0.40, 0.60],
            "ci_low": [0.39, 0.58],
            "ci_high": [0.41, 0.62],
            "n": [1000, 1000],
        }
    )
    theirs = pd.DataFrame(
        {
            "strategy": ["best9", "best3"],
            "network": ["a", "b"],
            "mean": [0.412, 0.65],
            "sd": [0.2, 0.3],
            "n": [1000, 1000],
        }
    )
    text = agreement(ours, theirs, ["strategy", "network"])
    assert text.startswith(
        "Their mean inside nicsim's 95% CI in 0 of 2 cells; the two means within sampling "
        "error of each other (95%, nicsim's and theirs, sd / sqrt(n)) in 1 of 2; "
    )
    narrower = theirs.assign(sd=[0.1, 0.3])  # 1.96 x hypot(0.00510, 0.00316) = 0.0118 < 0.012
    assert "in 0 of 2; " in agreement(ours, narrower, ["strategy", "network"])


@pytest.mark.slow
def test_the_committed_report_is_what_the_code_draws_from_the_committed_tables(tmp_path):
    """A result on disk matches the code that claims it: the committed sweeps' compact
    tables, as a fresh clone has them (no ``timeseries.parquet``), give the committed
    ``summary.md`` word for word."""
    committed = ROOT / "validation" / "barkoczi_galesic_2016"
    root = tmp_path / "barkoczi_galesic_2016"
    for name in BG_SWEEPS:
        shutil.copytree(
            committed / name, root / name, ignore=shutil.ignore_patterns("timeseries.parquet")
        )
    assert (
        main(["replicate", "barkoczi_galesic_2016", "--report-only", "--out", str(tmp_path)]) == 0
    )
    assert (root / "summary.md").read_text() == (committed / "summary.md").read_text()


def test_conformity_to_ones_own_practice_is_no_move_no_adoption_and_no_test():
    """docs/ODD.md 7.6: a district adopts the most common practice of its neighbours
    provided it differs from its own (otherwise it stays); ``ideas_adopted`` counts moves,
    and ``tests_run`` does not count conformity copies. Every district of a star on one
    practice conforms to that same practice: nothing moves, nothing is adopted, no test
    is run (the flips drawn are not tried by a district that conforms)."""
    m = model(star(3), "conformity")
    x = ranked(m)[5]
    m.set_practices([x] * 4)
    m.step()
    assert m.practice.tolist() == [x] * 4
    assert m.counts["ideas_adopted"] == 0
    assert m.counts["tests_run"] == 0
    assert m.counts["false_adoptions"] == 0


def test_a_conformist_move_is_a_false_adoption_only_if_it_lowers_the_outcome():
    """docs/ODD.md 7.6: conformity adopts the neighbours' practice whatever it scores, and
    a move that *lowers* the outcome counts as a false adoption; one to an equally good
    practice does not. On a landscape of tenths (exact ties), a star's centre at x and its
    leaves at z, a different practice of exactly x's outcome, swap practices: 4 moves,
    none false. With the leaves at a worse w instead, the centre's move down is the one
    false adoption (the leaves' moves up to x are not)."""
    m = model(star(3), "conformity", contribution_decimals=1)
    codes = np.arange(1 << N)
    f = m.score(codes, np.zeros_like(codes))
    x, z = next((a, b) for a in codes for b in codes if a != b and f[a] == f[b])
    m.set_practices([x, z, z, z])
    m.step()
    assert m.practice.tolist() == [z, x, x, x]
    assert (m.counts["ideas_adopted"], m.counts["false_adoptions"]) == (4, 0)
    w = int(np.flatnonzero(f < f[x])[0])
    m.set_practices([x, w, w, w])
    m.step()
    assert m.practice.tolist() == [w, x, x, x]
    assert (m.counts["ideas_adopted"], m.counts["false_adoptions"]) == (4, 1)


def test_conformity_if_better_searches_alone_beside_an_equally_good_majority():
    """docs/ODD.md 7.6: with ``conformity_if_better`` the mode is adopted only if it is
    *strictly* better, *else the district tries its flip*. On a landscape of tenths the
    centre's leaves share z, of exactly the centre's outcome: the centre never takes z
    but keeps searching alone, so over 30 steps from x it lands on some better flip
    (it would stay put if z, tried and not better, replaced its flip)."""
    m = model(star(3), "conformity", contribution_decimals=1, conformity_if_better=True)
    codes = np.arange(1 << N)
    f = m.score(codes, np.zeros_like(codes))
    better = {a: [int(a ^ (1 << b)) for b in range(N) if f[a ^ (1 << b)] > f[a]] for a in codes}
    x, z = next((a, b) for a in codes for b in codes if a != b and f[a] == f[b] and better[a])
    landed = set()
    for _ in range(30):
        m.set_practices([x, z, z, z])
        m.step()
        landed.add(int(m.practice[0]))
    assert z not in landed and landed - {x}
    assert landed <= {x, *better[x]}


def test_conformity_breaks_a_tie_between_modes_at_random():
    """docs/ODD.md 7.6: ties between modes are broken at random (one integer per deciding
    district). A centre whose three leaves all differ follows each of them in some of 40
    repetitions, not always the same one (say the lowest code)."""
    m = model(star(3), "conformity", individual_learning=False)
    order = ranked(m)
    leaves = [order[1], order[2], order[3]]
    followed = set()
    for _ in range(40):
        m.set_practices([order[8], *leaves])
        m.step()
        followed.add(int(m.practice[0]))
    assert followed == set(leaves)
