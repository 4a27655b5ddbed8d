"""A run's world: its improvement problem and its network, before any agent exists.

Both are functions of the seed and the parameters alone (docs/ODD.md, sections 4 and 5):
the landscape never depends on the design or the learning rule, so runs of one seed under
several designs start from the same problem (common random numbers). What costs more to
build than to run (a seed's landscape, a fixed design's graph, a user's graph file) is
built once and kept for the next run that asks for it; models only read what is kept.
"""

from __future__ import annotations

import functools
from pathlib import Path

import networkx as nx
import numpy as np

from ..core.streams import spawn_streams
from .graphs import load_graph
from .landscape import ContextLandscape
from .masonwatts import MasonWattsLandscape
from .networks import build_graph
from .params import Params

STREAMS = ("landscape", "practices", "leaders", "network", "dynamics")


def streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent generators for each source of randomness, all spawned from ``seed``."""
    return spawn_streams(seed, STREAMS)


def make_landscape(
    p: Params, seed: int, n_districts: int
) -> ContextLandscape | MasonWattsLandscape:
    """The run's improvement problem: a function of the seed and problem parameters only."""
    if p.landscape == "mason_watts":
        return _mason_watts(seed, p.outcome_units, p.outcome_exponent)
    return _landscape(
        seed,
        p.n_components,
        p.k,
        p.h,
        p.n_contexts or n_districts,
        p.outcome_exponent,
        p.approximate_max,
        p.outcome_units,
        p.contribution_decimals,
        p.dependencies,
    )


@functools.lru_cache(maxsize=1)
def _landscape(
    seed: int,
    n: int,
    k: int,
    h: float,
    contexts: int,
    exponent: float,
    approximate: bool,
    units: str,
    decimals: int = 0,
    dependencies: str = "others",
) -> ContextLandscape:
    # Kept for the next model: runs of one seed under several designs or rules (common
    # random numbers) face the same landscape, so it is built once. Models only read it.
    return ContextLandscape.random(
        n,
        k,
        h,
        contexts,
        streams(seed)["landscape"],
        exponent,
        approximate,
        units,
        decimals,
        dependencies,
    )


@functools.lru_cache(maxsize=1)
def _mason_watts(seed: int, units: str, exponent: float) -> MasonWattsLandscape:
    # cached for the next model of the seed, as ``_landscape``
    return MasonWattsLandscape.random(streams(seed)["landscape"], units, exponent)


# Designs without randomness and without a hub: their graph is a function of the
# parameters, and nothing in a run changes it (only a hub's convenings add ties).
FIXED_DESIGNS = ("siloed", "complete", "line", "ring", "lattice", "full")


def network(p: Params, rng: np.random.Generator) -> nx.Graph:
    """The run's graph. A fixed design's graph is built once and shared, frozen, by every
    run that asks for it (a totally connected 100 costs more to build than to run)."""
    if p.design in FIXED_DESIGNS:
        return _fixed_network(
            p.design, p.n_districts, p.lattice_k, p.partnerships, p.districts_per_partnership
        )
    if p.design == "file":  # read once per file version; reading a file draws nothing
        try:
            info = Path(p.graph_file).stat()
        except OSError:  # missing or unreadable: build_graph says so in one line
            return build_graph(p, rng)
        path = str(Path(p.graph_file).resolve())
        g = _file_network(path, info.st_mtime_ns, info.st_size, p.directed_graph)
        return g if nx.is_frozen(g) else g.copy()
    return build_graph(p, rng)


@functools.lru_cache(maxsize=16)
def _file_network(path: str, mtime_ns: int, size: int, directed: bool = False) -> nx.Graph:
    """A user's graph file, read and normalised once (reading a totally connected 100 from
    CSV costs several times a 200-round run on it). A graph of districts only is frozen
    and shared, as a fixed design's is: nothing in a run changes it. One with a hub may
    gain ties at convenings, so each run gets its own copy."""
    g = load_graph(path, directed)
    if all(kind == "district" for _, kind in g.nodes(data="kind")):
        nx.freeze(g)
    return g


@functools.lru_cache(maxsize=4)
def _fixed_network(design: str, n: int, k: int, partnerships: int, per: int) -> nx.Graph:
    p = Params(
        design=design,
        n_districts=n,
        lattice_k=k,
        partnerships=partnerships,
        districts_per_partnership=per,
        learning="copy_best",
        leaders_per_district=0,
    )
    return nx.freeze(build_graph(p, np.random.default_rng(0)))
