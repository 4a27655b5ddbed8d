"""Network designs (docs/ODD.md section 7.9): each a graph as :mod:`nicsim.nic.graphs`
describes it, built from the parameters.

All randomness comes from the generator passed in, never from networkx's own seeding,
so a design is a pure function of the parameters and the run's network stream.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable

import networkx as nx
import numpy as np

from ..core.params import ConfigError
from .graphs import district_nodes, load_graph
from .params import Params


# -- NIC designs ---------------------------------------------------------------------------
def _partnerships(p: Params) -> nx.Graph:
    """The siloed core: each university tied to its districts, which are tied to each other."""
    g = nx.Graph()
    dpp, n_part = p.districts_per_partnership, p.partnerships
    n_d = n_part * dpp
    for d in range(n_d):
        g.add_node(d, kind="district", partnership=d // dpp, label=f"D{d}")
    for j in range(n_part):
        u = n_d + j
        g.add_node(u, kind="university", partnership=j, label=f"U{j}")
        members = range(j * dpp, (j + 1) * dpp)
        g.add_edges_from(((u, d) for d in members), kind="partnership")
        g.add_edges_from(itertools.combinations(members, 2), kind="partnership")
    return g


def _add_hub(g: nx.Graph) -> nx.Graph:
    hub = g.number_of_nodes()
    g.add_node(hub, kind="hub", partnership=-1, label="Hub")
    g.add_edges_from(((hub, v) for v in range(hub)), kind="hub")
    return g


def siloed(p: Params, rng: np.random.Generator) -> nx.Graph:
    return _partnerships(p)


def hub(p: Params, rng: np.random.Generator) -> nx.Graph:
    return _add_hub(_partnerships(p))


def networked(p: Params, rng: np.random.Generator) -> nx.Graph:
    g = _partnerships(p)
    districts = district_nodes(g)
    groups = np.array([g.nodes[d]["partnership"] for d in districts])
    pairs = random_cross_pairs(groups, p.cross_ties, rng)
    g.add_edges_from(((districts[a], districts[b]) for a, b in pairs), kind="cross")
    return _add_hub(g)


DENSE_PAIRS = 1 << 21  # up to this many candidate pairs, draw one number for each


def random_cross_pairs(groups: np.ndarray, prob: float, rng: np.random.Generator) -> list:
    """Pairs (i < j) of items in different groups, each chosen independently with ``prob``.

    Few pairs among many (10,000 districts at a small tie probability) are found without
    visiting all n^2 / 2 pairs: the number chosen is binomial, and that many distinct
    pairs are drawn uniformly from the cross-group pairs by rejection.
    """
    groups = np.asarray(groups, dtype=np.int64)
    n = len(groups)
    if prob <= 0 or n < 2:
        return []
    total, pairs = _cross_pairs(groups.tobytes())
    if total == 0:
        return []
    if pairs is not None or prob > 0.25:
        i, j = pairs if pairs is not None else _all_cross_pairs(groups)
        keep = rng.random(i.size) < prob
        return list(zip(i[keep].tolist(), j[keep].tolist(), strict=True))
    wanted = int(rng.binomial(total, prob))
    chosen: set[tuple[int, int]] = set()
    while len(chosen) < wanted:
        batch = 2 * (wanted - len(chosen)) * n * n // (2 * total) + 16
        a, b = rng.integers(0, n, batch), rng.integers(0, n, batch)
        ok = groups[a] != groups[b]
        for x, y in zip(a[ok].tolist(), b[ok].tolist(), strict=True):
            chosen.add((x, y) if x < y else (y, x))
            if len(chosen) == wanted:
                break
    return sorted(chosen)


@functools.lru_cache(maxsize=4)
def _cross_pairs(key: bytes) -> tuple[int, tuple[np.ndarray, np.ndarray] | None]:
    """How many cross-group pairs there are and, when few enough to draw for each, which.
    Kept for the next call: a hub draws among the same members at every convening."""
    groups = np.frombuffer(key, dtype=np.int64)
    n = len(groups)
    sizes = np.unique(groups, return_counts=True)[1].astype(np.int64)
    total = int((n * n - (sizes**2).sum()) // 2)
    return total, (_all_cross_pairs(groups) if 0 < total <= DENSE_PAIRS else None)


def _all_cross_pairs(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    i, j = np.triu_indices(len(groups), 1)
    cross = groups[i] != groups[j]
    i, j = i[cross], j[cross]
    i.flags.writeable = j.flags.writeable = False  # may be shared through the cache
    return i, j


def complete(p: Params, rng: np.random.Generator) -> nx.Graph:
    g = _partnerships(p)
    for a, b in itertools.combinations(list(g.nodes), 2):
        if not g.has_edge(a, b):
            g.add_edge(a, b, kind="cross")
    return g


# -- generic families over districts only --------------------------------------------------
def _districts_only(n: int, edges) -> nx.Graph:
    g = nx.Graph()
    for d in range(n):
        g.add_node(d, kind="district", partnership=d, label=f"D{d}")
    g.add_edges_from(edges, kind="cross")
    return g


def line(p: Params, rng: np.random.Generator) -> nx.Graph:
    n = p.districts
    return _districts_only(n, ((i, i + 1) for i in range(n - 1)))


def ring(p: Params, rng: np.random.Generator) -> nx.Graph:
    n = p.districts
    return _districts_only(n, ((i, (i + 1) % n) for i in range(n) if n > 2 or i == 0))


def _ring_lattice_edges(n: int, k: int) -> set[tuple[int, int]]:
    k = min(k, n // 2) or 1
    return {tuple(sorted((i, (i + j) % n))) for i in range(n) for j in range(1, k + 1)}


def lattice(p: Params, rng: np.random.Generator) -> nx.Graph:
    return _districts_only(p.districts, sorted(_ring_lattice_edges(p.districts, p.lattice_k)))


def full(p: Params, rng: np.random.Generator) -> nx.Graph:
    """Every district tied to every other: Lazer & Friedman's totally connected network."""
    return _districts_only(p.districts, itertools.combinations(range(p.districts), 2))


# Draws of a random graph before `connected = true` gives up. Params.validate already
# refuses densities whose expected ties are fewer than a spanning tree needs, so this bound
# is reached only just above that (e.g. 2% with 100 districts): a clear error beats a hang.
CONNECTED_TRIES = 10_000


def random(p: Params, rng: np.random.Generator) -> nx.Graph:
    """Erdos-Renyi G(n, density); with ``connected``, the first connected draw.

    Redrawing until connected samples G(n, p) conditioned on being connected, which is what
    Lazer & Friedman's "single-component only" networks are. The first draw is the same
    with or without ``connected``, so the two variants share a graph whenever it is connected.
    """
    n = p.districts
    for _ in range(CONNECTED_TRIES if p.connected else 1):
        edges = gnp_edges(n, p.density, rng)
        if not p.connected or is_connected(n, edges):
            return _districts_only(n, map(tuple, edges.tolist()))
    raise ConfigError(
        f"density = {p.density} is not allowed with connected = true and {n} districts: no "
        f"connected graph in {CONNECTED_TRIES} draws; use a higher density"
    )


def gnp_edges(n: int, prob: float, rng: np.random.Generator) -> np.ndarray:
    """Edges (i < j, sorted) of an Erdos-Renyi G(n, prob) graph in O(n + edges) time.

    The n(n-1)/2 pairs are numbered row by row and the gaps between chosen pairs are drawn
    as geometric variables (Batagelj & Brandes 2005), so a sparse graph on many districts
    never visits every pair, as a coin per pair would.
    """
    total = n * (n - 1) // 2
    if prob <= 0 or total == 0:
        return np.empty((0, 2), dtype=np.int64)
    if prob >= 1:
        chosen = np.arange(total, dtype=np.int64)
    else:
        parts, last = [], -1
        batch = int(total * prob + 4 * np.sqrt(total * prob)) + 16
        while last < total:
            positions = last + np.cumsum(rng.geometric(prob, batch))
            parts.append(positions[positions < total])
            last = int(positions[-1])
        chosen = np.concatenate(parts)
    starts = np.arange(n, dtype=np.int64)
    starts = starts * (2 * n - starts - 1) // 2  # number of the first pair (i, i + 1) of row i
    i = np.searchsorted(starts, chosen, side="right") - 1
    return np.column_stack([i, chosen - starts[i] + i + 1])


def is_connected(n: int, edges: np.ndarray) -> bool:
    """Whether n nodes with these edges form one component, in O(n + edges)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if n <= 1:
        return True
    if len(edges) < n - 1 or np.bincount(edges.ravel(), minlength=n).min() == 0:
        return False  # the common failure of a sparse draw, found without a graph search
    adj = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    return connected_components(adj, directed=False, return_labels=False) == 1


def small_world(p: Params, rng: np.random.Generator) -> nx.Graph:
    """Ring lattice with ``rewirings`` of its links moved to random new ends, kept connected.

    As in Lazer & Friedman (2007), each rewiring moves a *different* lattice link (a link
    already moved is not moved again, so r rewirings are r rewired links), and a move that
    would disconnect the graph is undone and does not count.
    """
    n = p.districts
    lattice = sorted(_ring_lattice_edges(n, p.lattice_k))
    g = _districts_only(n, lattice)
    unmoved = list(lattice)
    done, attempts = 0, 0
    while done < p.rewirings and unmoved and attempts < 100 * (p.rewirings + 1):
        attempts += 1
        pick = int(rng.integers(len(unmoved)))
        a, b = unmoved[pick]
        c = int(rng.integers(n))
        if c in (a, b) or g.has_edge(a, c):
            continue
        g.remove_edge(a, b)
        g.add_edge(a, c, kind="cross")
        if nx.is_connected(g):
            done += 1
            unmoved.pop(pick)
        else:
            g.remove_edge(a, c)
            g.add_edge(a, b, kind="cross")
    return g


def from_file(p: Params, rng: np.random.Generator) -> nx.Graph:
    return load_graph(p.graph_file, p.directed_graph)


DESIGN_BUILDERS: dict[str, Callable[[Params, np.random.Generator], nx.Graph]] = {
    "siloed": siloed,
    "hub": hub,
    "networked": networked,
    "complete": complete,
    "line": line,
    "full": full,
    "ring": ring,
    "lattice": lattice,
    "random": random,
    "small_world": small_world,
    "file": from_file,
}


def build_graph(p: Params, rng: np.random.Generator) -> nx.Graph:
    """The run's network: a pure function of the parameters and the network stream."""
    return DESIGN_BUILDERS[p.design](p, rng)
