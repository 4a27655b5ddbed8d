"""A straightforward numpy implementation of Lazer & Friedman (2007), for comparison only.

This is what a careful researcher would write in an afternoon: the whole 2**N landscape
built with a Python loop over the N components (float64), performance = (score / max) ** 8,
and 100 agents updated synchronously each round with array operations over a padded
neighbour matrix. ``benchmarks/run.py`` times it in the same process as nicsim's own model
on the same workload, and prints the speed-up. It is not used by nicsim itself.
"""

from __future__ import annotations

import networkx as nx
import numpy as np


def landscape(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Performance of every one of the 2**n strings."""
    deps = np.array(
        [[i, *rng.choice([j for j in range(n) if j != i], k, replace=False)] for i in range(n)]
    )
    table = rng.random((n, 2 ** (k + 1)))
    codes = np.arange(2**n)
    score = np.zeros(2**n)
    for i in range(n):  # the Python loop over components
        index = np.zeros(2**n, dtype=np.int64)
        for j, b in enumerate(deps[i]):
            index |= ((codes >> b) & 1) << j
        score += table[i][index]
    score /= n
    return (score / score.max()) ** 8


def neighbour_matrix(graph: nx.Graph) -> np.ndarray:
    """(agents, max degree) neighbour ids, padded with the agent's own id."""
    n = graph.number_of_nodes()
    width = max(d for _, d in graph.degree)
    out = np.repeat(np.arange(n)[:, None], width, axis=1)
    for v in range(n):
        nbrs = sorted(graph[v])
        out[v, : len(nbrs)] = nbrs
    return out


def run(
    perf: np.ndarray,
    nbrs: np.ndarray,
    start: np.ndarray,
    rounds: int,
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Mean performance per round: copy the best neighbour if strictly better, else flip."""
    x = start.copy()
    agents = np.arange(len(x))
    means = [perf[x].mean()]
    for _ in range(rounds):
        p = perf[x]
        pn = p[nbrs]
        best = nbrs[agents, pn.argmax(axis=1)]
        copy = p[best] > p
        flip = x ^ (1 << rng.integers(0, n, len(x)))
        keep_flip = perf[flip] > p
        x = np.where(copy, x[best], np.where(keep_flip, flip, x))
        means.append(perf[x].mean())
    return np.array(means)


def one_landscape(
    seed: int, n: int = 20, k: int = 5, agents: int = 100, rounds: int = 100
) -> dict[str, np.ndarray]:
    """The benchmark's unit of work: one landscape, linear and totally connected networks."""
    rng = np.random.default_rng(seed)
    perf = landscape(n, k, rng)
    start = rng.integers(0, 2**n, agents)
    graphs = {"linear": nx.path_graph(agents), "total": nx.complete_graph(agents)}
    return {
        name: run(perf, neighbour_matrix(g), start, rounds, n, rng) for name, g in graphs.items()
    }
