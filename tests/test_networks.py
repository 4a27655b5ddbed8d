"""Network designs and graph files (docs/ODD.md section 7.9), checked edge by edge."""

import itertools

import networkx as nx
import numpy as np
import pytest

from nicsim.core.params import ConfigError
from nicsim.nic.graphs import GraphFileError, load_graph, write_graph
from nicsim.nic.networks import build_graph, gnp_edges, is_connected
from nicsim.nic.params import Params

PARTS, DPP = 4, 3  # 4 partnerships of 3 districts: 12 districts, 4 universities
N_D = PARTS * DPP


def nic(design: str, seed: int = 0, **kw) -> nx.Graph:
    p = Params(design=design, partnerships=PARTS, districts_per_partnership=DPP, **kw)
    return build_graph(p, np.random.default_rng(seed))


def generic(design: str, n: int = 10, seed: int = 0, **kw) -> nx.Graph:
    p = Params(design=design, n_districts=n, **kw)
    return build_graph(p, np.random.default_rng(seed))


def edge_set(g: nx.Graph) -> set[tuple[int, int]]:
    return {tuple(sorted(e)) for e in g.edges}


def kinds(g: nx.Graph) -> dict:
    return dict(g.nodes(data="kind"))


def edge_kinds(g: nx.Graph) -> dict:
    return {tuple(sorted((a, b))): k for a, b, k in g.edges(data="kind")}


def partnership_edges() -> set[tuple[int, int]]:
    """The siloed edge set for PARTS x DPP, written out independently of the code."""
    edges = set()
    for j in range(PARTS):
        members = list(range(j * DPP, (j + 1) * DPP))
        edges |= {(d, N_D + j) for d in members}
        edges |= set(itertools.combinations(members, 2))
    return edges


# -- NIC designs -------------------------------------------------------------------------------
def test_siloed_partnerships_are_separate_complete_components():
    """siloed: one complete component per partnership (1 university + its districts)."""
    g = nic("siloed")
    assert g.number_of_nodes() == N_D + PARTS
    assert nx.number_connected_components(g) == PARTS
    assert edge_set(g) == partnership_edges()
    for comp in nx.connected_components(g):
        sub = g.subgraph(comp)
        assert [k for _, k in sub.nodes(data="kind")].count("university") == 1
        assert [k for _, k in sub.nodes(data="kind")].count("district") == DPP
        assert nx.density(sub) == 1.0
        assert len({p for _, p in sub.nodes(data="partnership")}) == 1
    assert set(edge_kinds(g).values()) == {"partnership"}


def test_siloed_numbers_districts_first_then_universities():
    """Districts are 0..D-1 with partnership d // DPP; universities follow, one per partnership."""
    g = nic("siloed")
    assert sorted(g.nodes) == list(range(N_D + PARTS))
    for d in range(N_D):
        assert g.nodes[d]["kind"] == "district"
        assert g.nodes[d]["partnership"] == d // DPP
    for j in range(PARTS):
        assert g.nodes[N_D + j]["kind"] == "university"
        assert g.nodes[N_D + j]["partnership"] == j


def test_hub_adds_one_hub_tied_to_everyone():
    """hub: siloed plus a hub node tied to every other node by 'hub' edges; one component."""
    g = nic("hub")
    hub = N_D + PARTS
    assert g.number_of_nodes() == N_D + PARTS + 1
    assert nx.number_connected_components(g) == 1
    assert [v for v, k in kinds(g).items() if k == "hub"] == [hub]
    assert g.degree[hub] == N_D + PARTS
    assert set(g[hub]) == set(range(hub))
    assert all(g.edges[hub, v]["kind"] == "hub" for v in g[hub])
    assert edge_set(g) - {(v, hub) for v in range(hub)} == partnership_edges()
    assert edge_kinds(g.subgraph(range(hub))) == {e: "partnership" for e in partnership_edges()}


def test_networked_without_cross_ties_equals_hub():
    """networked with cross_ties = 0 has exactly the hub design's edges and edge kinds."""
    g, h = nic("networked", cross_ties=0.0), nic("hub")
    assert edge_set(g) == edge_set(h)
    assert edge_kinds(g) == edge_kinds(h)
    assert kinds(g) == kinds(h)


def test_networked_with_all_cross_ties_links_every_cross_pair():
    """cross_ties = 1: every two districts of different partnerships are tied, kind 'cross'."""
    g = nic("networked", cross_ties=1.0)
    cross = {(a, b) for a, b in itertools.combinations(range(N_D), 2) if a // DPP != b // DPP}
    assert {e for e, k in edge_kinds(g).items() if k == "cross"} == cross
    hub = N_D + PARTS
    assert edge_set(g) == partnership_edges() | cross | {(v, hub) for v in range(hub)}
    assert nx.density(g.subgraph(range(N_D))) == 1.0


def test_networked_partial_cross_ties_only_join_different_partnerships():
    """cross_ties = 0.5: cross edges join districts of different partnerships, nothing else."""
    g = nic("networked", seed=3, cross_ties=0.5)
    cross = [e for e, k in edge_kinds(g).items() if k == "cross"]
    assert 0 < len(cross) < 54  # 54 = pairs of districts in different partnerships
    for a, b in cross:
        assert a < N_D and b < N_D
        assert g.nodes[a]["partnership"] != g.nodes[b]["partnership"]


def test_complete_ties_every_organisation_without_a_hub():
    """complete: all districts and universities tied to each other; no hub node."""
    g = nic("complete")
    n = N_D + PARTS
    assert sorted(g.nodes) == list(range(n))
    assert g.number_of_edges() == n * (n - 1) // 2
    assert "hub" not in kinds(g).values()
    ek = edge_kinds(g)
    for e in partnership_edges():
        assert ek[e] == "partnership"
    assert set(ek.values()) == {"partnership", "cross"}
    assert ek[(0, DPP)] == "cross"


# -- generic district-only families ------------------------------------------------------------
def assert_districts_only(g: nx.Graph, n: int) -> None:
    assert sorted(g.nodes) == list(range(n))
    assert set(kinds(g).values()) == {"district"}


def test_line_is_a_path():
    """line: districts 0..n-1 tied in order, n-1 edges."""
    g = generic("line", n=7)
    assert_districts_only(g, 7)
    assert edge_set(g) == {(i, i + 1) for i in range(6)}


def test_ring_is_a_cycle():
    """ring: a path plus the edge closing it; every degree is 2."""
    g = generic("ring", n=7)
    assert_districts_only(g, 7)
    assert edge_set(g) == {(i, i + 1) for i in range(6)} | {(0, 6)}
    assert set(dict(g.degree).values()) == {2}


def test_lattice_k2_has_degree_four():
    """lattice with lattice_k = 2: each district tied to its 2 nearest on each side."""
    g = generic("lattice", n=10, lattice_k=2)
    assert_districts_only(g, 10)
    assert set(dict(g.degree).values()) == {4}
    assert g.number_of_edges() == 20
    expected = {tuple(sorted((i, (i + j) % 10))) for i in range(10) for j in (1, 2)}
    assert edge_set(g) == expected


def test_random_density_extremes():
    """random: density 0 gives no edge, density 1 the complete graph."""
    empty = generic("random", n=9, density=0.0)
    assert_districts_only(empty, 9)
    assert empty.number_of_edges() == 0
    full = generic("random", n=9, density=1.0)
    assert_districts_only(full, 9)
    assert full.number_of_edges() == 36


def test_small_world_rewires_but_stays_connected():
    """small_world: connected, same edge count as the lattice, but not the lattice itself."""
    lat = generic("lattice", n=20, lattice_k=2)
    for seed in range(5):
        g = generic("small_world", n=20, seed=seed, lattice_k=2, rewirings=5)
        assert_districts_only(g, 20)
        assert nx.is_connected(g)
        assert g.number_of_edges() == lat.number_of_edges()
        assert edge_set(g) != edge_set(lat)
        assert nx.number_of_selfloops(g) == 0


@pytest.mark.parametrize("n", [4, 6])
def test_lattice_with_k_half_of_n_ties_every_district(n):
    """lattice_k = n / 2: the k nearest on each side cover every other district (complete)."""
    g = generic("lattice", n=n, lattice_k=n // 2)
    assert set(dict(g.degree).values()) == {n - 1}


def test_small_world_without_rewirings_is_the_lattice():
    """small_world with rewirings = 0 is exactly the ring lattice."""
    g = generic("small_world", n=12, lattice_k=2, rewirings=0)
    assert edge_set(g) == edge_set(generic("lattice", n=12, lattice_k=2))


def test_generic_designs_default_to_partnerships_times_districts():
    """With n_districts = 0 the generic families use partnerships x districts_per_partnership."""
    p = Params(design="ring", partnerships=PARTS, districts_per_partnership=DPP)
    g = build_graph(p, np.random.default_rng(0))
    assert_districts_only(g, N_D)


def test_full_ties_every_district_to_every_other():
    """full: the districts-only complete graph (Lazer & Friedman's totally connected)."""
    g = generic("full", n=6)
    assert_districts_only(g, 6)
    assert edge_set(g) == set(itertools.combinations(range(6), 2))


def test_gnp_edges_are_pairs_i_below_j_with_the_right_rate():
    """Every pair is equally likely to be tied, with probability density, never twice."""
    rng = np.random.default_rng(0)
    counts = np.zeros((6, 6))
    for _ in range(4000):
        edges = gnp_edges(6, 0.3, rng)
        assert len({tuple(e) for e in edges.tolist()}) == len(edges)
        assert np.all(edges[:, 0] < edges[:, 1])
        np.add.at(counts, (edges[:, 0], edges[:, 1]), 1)
    upper = counts[np.triu_indices(6, 1)] / 4000
    assert np.allclose(upper, 0.3, atol=0.04)  # 4000 draws: sd of each rate is 0.007
    assert counts[np.tril_indices(6)].sum() == 0


def test_gnp_edges_on_a_million_sparse_nodes_draws_per_edge_not_per_pair():
    """O(n + edges): a coin per pair would draw 5e11 numbers; skipping draws one gap per
    edge, in batches of the expected count plus four sd. Counted, not timed."""

    class Counting:
        def __init__(self):
            self.rng, self.drawn = np.random.default_rng(0), 0

        def geometric(self, p, size):
            self.drawn += size
            return self.rng.geometric(p, size)

    rng = Counting()
    edges = gnp_edges(1_000_000, 2e-6, rng)
    assert abs(len(edges) - 999_999) < 5 * 1000  # mean n(n-1)/2 * p, sd about 1000
    assert rng.drawn < 1.1 * len(edges)


def test_random_connected_redraws_until_one_component():
    """connected = true: a single component at a density where most draws are not one."""
    plain = [generic("random", n=100, seed=s, density=0.04) for s in range(10)]
    assert sum(nx.is_connected(g) for g in plain) < 8  # P(connected) is about 0.17 here
    for s in range(10):
        g = generic("random", n=100, seed=s, density=0.04, connected=True)
        assert nx.is_connected(g)
        assert same_graph(g, generic("random", n=100, seed=s, density=0.04, connected=True))
        if nx.is_connected(plain[s]):  # the first draw is shared by both variants
            assert same_graph(g, plain[s])


def test_random_connected_refuses_hopeless_densities():
    """Too sparse for one component: refused on validation, or after a bounded number of draws."""
    with pytest.raises(ConfigError, match="density = 0.01 is not allowed with connected"):
        Params(design="random", n_districts=100, density=0.01, connected=True)
    with pytest.raises(ConfigError, match="no connected graph in"):
        generic("random", n=100, density=0.02, connected=True)


def test_is_connected_on_known_graphs():
    assert is_connected(4, np.array([[0, 1], [1, 2], [2, 3]]))
    assert not is_connected(4, np.array([[0, 1], [2, 3], [0, 3 - 3]]))
    assert not is_connected(3, np.array([[0, 1], [0, 1]]))  # node 2 alone
    assert is_connected(1, np.empty((0, 2), dtype=np.int64))


def test_small_world_as_lazer_friedman():
    """Ring of 100 with the 4 nearest tied, r links moved: r edges leave the lattice (fewer only
    if a move lands back on a lattice tie), degree sum kept, always connected."""
    lattice_edges = edge_set(generic("lattice", n=100, lattice_k=2))
    for r in (0, 1, 10, 50):
        g = generic("small_world", n=100, seed=r, lattice_k=2, rewirings=r)
        assert g.number_of_edges() == 200
        assert nx.is_connected(g)
        moved = edge_set(g) - lattice_edges
        assert r - 2 <= len(moved) <= r


# -- seeding -----------------------------------------------------------------------------------
def same_graph(a: nx.Graph, b: nx.Graph) -> bool:
    return dict(a.nodes(data=True)) == dict(b.nodes(data=True)) and edge_kinds(a) == edge_kinds(b)


def test_same_seed_same_graph():
    """networked, random and small_world are pure functions of the parameters and the seed."""
    makers = [
        lambda s: nic("networked", seed=s, cross_ties=0.5),
        lambda s: generic("random", n=15, seed=s, density=0.3),
        lambda s: generic("random", n=30, seed=s, density=0.2, connected=True),
        lambda s: generic("small_world", n=15, seed=s, rewirings=4),
    ]
    for make in makers:
        assert same_graph(make(7), make(7))
        assert not same_graph(make(7), make(8))


# -- graph files -------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".graphml", ".gexf", ".csv"])
def test_graph_file_round_trip(tmp_path, suffix):
    """write_graph then load_graph gives back the same nodes, edges, kinds and partnerships."""
    g = nic("networked", seed=2, cross_ties=0.3)
    path = tmp_path / f"net{suffix}"
    before = {v: dict(d) for v, d in g.nodes(data=True)}, edge_kinds(g)
    write_graph(g, path)
    assert (dict(g.nodes(data=True)), edge_kinds(g)) == before  # writing leaves g unchanged
    back = load_graph(path)
    assert back.number_of_nodes() == g.number_of_nodes()
    assert edge_set(back) == edge_set(g)
    assert kinds(back) == kinds(g)
    assert dict(back.nodes(data="partnership")) == dict(g.nodes(data="partnership"))
    assert edge_kinds(back) == edge_kinds(g)


def test_csv_round_trip_keeps_isolated_districts(tmp_path):
    """A design with an isolated district survives a CSV round trip (or is refused on write)."""
    g = generic("random", n=6, seed=1, density=0.1)
    assert list(nx.isolates(g))  # this seed leaves districts 0, 1, 4 and 5 unconnected
    path = tmp_path / "sparse.csv"
    try:
        write_graph(g, path)
    except GraphFileError:
        return  # refusing to write a graph CSV cannot hold is also acceptable
    assert load_graph(path).number_of_nodes() == g.number_of_nodes()


def test_graphml_round_trip_keeps_isolated_districts(tmp_path):
    """GraphML stores nodes explicitly, so isolated districts survive the round trip."""
    g = generic("random", n=6, seed=1, density=0.1)
    write_graph(g, tmp_path / "sparse.graphml")
    back = load_graph(tmp_path / "sparse.graphml")
    assert back.number_of_nodes() == 6
    assert edge_set(back) == edge_set(g)


def test_csv_with_byte_order_mark_loads(tmp_path):
    """A CSV saved by Excel as 'CSV UTF-8' (leading BOM, CRLF) is read like any other."""
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"\xef\xbb\xbfsource,target,source_kind,target_kind\r\na,b,district,district\r\n"
    )
    g = load_graph(path)
    assert kinds(g) == {0: "district", 1: "district"}


def test_csv_user_file_is_normalised(tmp_path):
    """A hand-written CSV: districts numbered first, partnerships inferred, edge kinds filled."""
    path = tmp_path / "mine.csv"
    path.write_text(
        "source,target,source_kind,target_kind\n"
        "uni,b,university,district\n"
        "uni,a,university,district\n"
        "a,b,district,district\n"
        "b,c,district,district\n"
    )
    g = load_graph(path)
    assert kinds(g) == {0: "district", 1: "district", 2: "district", 3: "university"}
    assert dict(g.nodes(data="label")) == {0: "a", 1: "b", 2: "c", 3: "uni"}
    parts = dict(g.nodes(data="partnership"))
    assert parts[0] == parts[1] == parts[3]
    assert parts[2] != parts[3]
    assert edge_kinds(g) == {
        (0, 3): "partnership",
        (1, 3): "partnership",
        (0, 1): "partnership",
        (1, 2): "cross",
    }


# -- directed graph files (directed_graph = true) --------------------------------------------
ONE_WAY = (
    "source,target,source_kind,target_kind\n"
    "a,b,district,district\n"
    "b,c,district,district\n"
    "c,b,district,district\n"
)


def test_a_csv_read_directed_keeps_each_row_one_way(tmp_path):
    """a -> b, b -> c and c -> b: b and c see each other, a sees b, nobody sees a."""
    path = tmp_path / "one_way.csv"
    path.write_text(ONE_WAY)
    g = load_graph(path, directed=True)
    assert g.is_directed() and kinds(g) == {0: "district", 1: "district", 2: "district"}
    assert sorted(g.edges) == [(0, 1), (1, 2), (2, 1)]
    assert {v: sorted(g[v]) for v in g} == {0: [1], 1: [2], 2: [1]}  # who sees whom
    assert edge_kinds(g) == {(0, 1): "cross", (1, 2): "cross"}
    undirected = load_graph(path)  # the default: every tie both ways, as before
    assert not undirected.is_directed() and edge_set(undirected) == {(0, 1), (1, 2)}


def test_an_undirected_graphml_read_directed_counts_each_tie_both_ways(tmp_path):
    g = generic("line", n=3)
    write_graph(g, tmp_path / "line.graphml")
    back = load_graph(tmp_path / "line.graphml", directed=True)
    assert sorted(back.edges) == [(0, 1), (1, 0), (1, 2), (2, 1)]


def test_a_file_read_directed_through_build_graph(tmp_path):
    path = tmp_path / "one_way.csv"
    path.write_text(ONE_WAY)
    p = Params(design="file", graph_file=str(path), directed_graph=True, learning="copy_best")
    assert sorted(build_graph(p, np.random.default_rng(0)).edges) == [(0, 1), (1, 2), (2, 1)]


def test_a_directed_file_holds_districts_only(tmp_path):
    path = tmp_path / "hub.graphml"
    write_graph(nic("hub"), path)
    with pytest.raises(GraphFileError, match="has kind university: a graph read as directed"):
        load_graph(path, directed=True)


def test_directed_graph_is_refused_under_pdsa_naming_the_rules_that_read_it():
    with pytest.raises(ConfigError) as info:
        Params(design="file", graph_file="g.csv", directed_graph=True)
    assert str(info.value).startswith(
        "directed_graph = true is not allowed with learning = 'pdsa': only copy_best and "
        "conformity read a directed graph"
    )
    for rule in ("copy_best", "conformity"):
        assert Params(directed_graph=True, learning=rule, leaders_per_district=0)


# -- bad graph files ---------------------------------------------------------------------------
def test_graph_file_error_is_a_config_error():
    """GraphFileError is reported like any configuration mistake."""
    assert issubclass(GraphFileError, ConfigError)


def test_missing_file(tmp_path):
    """A path that does not exist is named in the error."""
    path = tmp_path / "absent.graphml"
    with pytest.raises(GraphFileError, match="no such file") as info:
        load_graph(path)
    assert str(path) in str(info.value)


def test_unknown_suffix(tmp_path):
    """A file with an unknown suffix is refused, naming the file and the accepted formats."""
    path = tmp_path / "net.txt"
    path.write_text("source,target\na,b\n")
    with pytest.raises(GraphFileError, match="unknown format") as info:
        load_graph(path)
    assert str(path) in str(info.value)
    assert ".graphml" in str(info.value)


def test_csv_without_source_column(tmp_path):
    """A CSV header without 'source' is an error on line 1 naming the missing column."""
    path = tmp_path / "net.csv"
    path.write_text("from,target\na,b\n")
    with pytest.raises(GraphFileError) as info:
        load_graph(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "line 1" in msg
    assert "source" in msg


@pytest.mark.parametrize("separator, name", [(";", "semicolons"), ("\t", "tabs")])
def test_csv_with_another_separator_says_so(tmp_path, separator, name):
    """A spreadsheet's "CSV" with semicolons (a European locale) or tabs: the error says
    what separates the header and what to do."""
    path = tmp_path / "net.csv"
    path.write_text(separator.join(["source", "target", "source_kind", "target_kind"]) + "\n")
    with pytest.raises(GraphFileError) as info:
        load_graph(path)
    assert f"separated by {name}: save the file with commas" in str(info.value)
    path.write_text("from,target\na,b\n")  # commas: no hint
    with pytest.raises(GraphFileError) as info:
        load_graph(path)
    assert "separated by" not in str(info.value)


def test_csv_empty_target_names_line(tmp_path):
    """An empty target on line 3 is reported as line 3."""
    path = tmp_path / "net.csv"
    path.write_text(
        "source,target,source_kind,target_kind\na,b,district,district\nb,,district,district\n"
    )
    with pytest.raises(GraphFileError) as info:
        load_graph(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "line 3" in msg


def test_csv_header_only_has_no_edges(tmp_path):
    """A CSV with a header and no rows is refused as having no edges."""
    path = tmp_path / "net.csv"
    path.write_text("source,target,source_kind,target_kind\n")
    with pytest.raises(GraphFileError, match="no edges") as info:
        load_graph(path)
    assert str(path) in str(info.value)


def test_csv_unknown_kind_names_node(tmp_path):
    """A node whose kind is not district/university/hub is named with the bad kind."""
    path = tmp_path / "net.csv"
    path.write_text(
        "source,target,source_kind,target_kind\na,b,district,district\nb,zed,district,school\n"
    )
    with pytest.raises(GraphFileError) as info:
        load_graph(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "'zed'" in msg
    assert "school" in msg


def test_csv_missing_kind_names_node(tmp_path):
    """A CSV node never given a kind is named in the error."""
    path = tmp_path / "net.csv"
    path.write_text("source,target,source_kind,target_kind\na,b,district,\n")
    with pytest.raises(GraphFileError, match="'b' has no kind"):
        load_graph(path)


def test_csv_conflicting_kind_names_line_and_node(tmp_path):
    """A node given two different kinds is reported at the line of the second one."""
    path = tmp_path / "net.csv"
    path.write_text(
        "source,target,source_kind,target_kind\na,b,district,district\na,c,university,district\n"
    )
    with pytest.raises(GraphFileError, match="line 3: node 'a'"):
        load_graph(path)


def test_graphml_node_without_kind(tmp_path):
    """A GraphML node with no kind attribute is named in the error."""
    raw = nx.Graph()
    raw.add_node("d1", kind="district")
    raw.add_node("mystery")
    raw.add_edge("d1", "mystery")
    path = tmp_path / "net.graphml"
    nx.write_graphml(raw, path)
    with pytest.raises(GraphFileError) as info:
        load_graph(path)
    msg = str(info.value)
    assert str(path) in msg
    assert "'mystery'" in msg
    assert "no kind" in msg


def test_malformed_xml(tmp_path):
    """Broken XML is a GraphFileError naming the file, not a parser traceback."""
    for name in ("net.graphml", "net.gexf"):
        path = tmp_path / name
        path.write_text("<graphml><graph><node id='a'")
        with pytest.raises(GraphFileError, match="cannot be read") as info:
            load_graph(path)
        assert str(path) in str(info.value)


def test_graph_without_district(tmp_path):
    """A graph with universities but no district is refused."""
    path = tmp_path / "net.csv"
    path.write_text("source,target,source_kind,target_kind\nu1,u2,university,university\n")
    with pytest.raises(GraphFileError, match="no node of kind district") as info:
        load_graph(path)
    assert str(path) in str(info.value)


def test_file_design_loads_through_build_graph(tmp_path):
    """design = 'file' reads graph_file through build_graph."""
    g = nic("hub")
    path = tmp_path / "hub.graphml"
    write_graph(g, path)
    p = Params(design="file", graph_file=str(path))
    back = build_graph(p, np.random.default_rng(0))
    assert edge_set(back) == edge_set(g)
    assert kinds(back) == kinds(g)
