"""Drawing a live NIC: the network coloured by outcome, and the outcome curve.

One set of drawing functions serves both the classroom page (``nicsim app``) and the
animated GIF (``nicsim animate``), so a slide and the live page show the same picture.
Everything draws onto a matplotlib ``Axes`` handed in by the caller and never touches
pyplot's global state: the page draws from Solara's threads, the GIF from the command line.

The layout is computed once per network (per graph object) and cached: recomputing it each
month would make nodes jump about and cost time for nothing. Ties formed at convenings are
drawn between the nodes' existing positions.
"""

from __future__ import annotations

import collections
import math
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D

from ..nic import metrics
from ..nic.landscape import OUTCOME_LABELS

if TYPE_CHECKING:
    from ..nic.model import NICModel

CMAP = "viridis"
# districts' colours by outcome unit: percent from a poor practice (-50, clipped below) to
# the best (100); power from 0 to 1
NORMS = {"percent": Normalize(-50.0, 100.0, clip=True), "power": Normalize(0.0, 1.0)}
NORM = NORMS["power"]
# node kind -> matplotlib marker, size and fill (districts are filled by outcome instead)
NODE_STYLE = {
    "district": {"marker": "o", "s": 150},
    "university": {"marker": "s", "s": 110, "color": "#f2f2f2"},
    "hub": {"marker": "*", "s": 520, "color": "#ffd54f"},
}
EDGE_STYLE = {
    "partnership": {"color": "#555555", "linestyle": "-", "linewidth": 1.2, "alpha": 0.8},
    "cross": {"color": "#e6550d", "linestyle": "--", "linewidth": 1.1, "alpha": 0.9},
    "hub": {"color": "#4292c6", "linestyle": ":", "linewidth": 0.8, "alpha": 0.6},
}
RING = {"color": "#d62728", "linewidth": 2.2, "size": 330}

_layouts: weakref.WeakKeyDictionary[nx.Graph, dict[int, tuple[float, float]]] = (
    weakref.WeakKeyDictionary()
)
layout_calls = 0  # how many layouts were computed: the tests check it stays at one per network


def compute_layout(graph: nx.Graph, seed: int = 0) -> dict[int, tuple[float, float]]:
    """Positions for every node, computed from scratch (use :func:`layout` to get the cache).

    NIC designs (those with universities) get a partnership layout that shows the structure
    a class should see: each partnership a cluster on a circle, its university in the
    middle of its districts, the hub at the centre. Other networks get networkx's spring
    layout with a fixed seed, so the picture is the same on every machine.
    """
    global layout_calls
    layout_calls += 1
    kinds = dict(graph.nodes(data="kind"))
    if "university" not in kinds.values():
        return {v: (float(x), float(y)) for v, (x, y) in nx.spring_layout(graph, seed=seed).items()}
    groups: dict[int, list[int]] = {}
    for v, part in sorted(graph.nodes(data="partnership")):
        if kinds[v] != "hub":
            groups.setdefault(part, []).append(v)
    pos: dict[int, tuple[float, float]] = {}
    n = len(groups)
    spread = min(0.3, 0.7 * math.sin(math.pi / max(n, 2)))  # clusters never overlap
    for j, part in enumerate(sorted(groups)):
        angle = math.pi / 2 - 2 * math.pi * j / n
        cx, cy = math.cos(angle), math.sin(angle)
        districts = [v for v in groups[part] if kinds[v] == "district"]
        for v in groups[part]:
            if kinds[v] != "district":
                pos[v] = (cx, cy)
        for i, v in enumerate(districts):
            a = angle + 2 * math.pi * i / max(len(districts), 1)
            pos[v] = (cx + spread * math.cos(a), cy + spread * math.sin(a))
    hubs = [v for v in graph if kinds[v] == "hub"]
    for i, v in enumerate(hubs):
        pos[v] = (0.15 * i, 0.0)
    return pos


def layout(graph: nx.Graph) -> dict[int, tuple[float, float]]:
    """The cached layout of ``graph``: computed on first use, then reused for its lifetime."""
    pos = _layouts.get(graph)
    if pos is None:
        pos = _layouts[graph] = compute_layout(graph)
    return pos


def draw_network(
    ax: Axes, model: NICModel, *, title: str | None = None, legend: bool = True
) -> object:
    """Draw the model's network on ``ax``; return the district scatter (for a colour bar).

    Districts are circles coloured by outcome, universities squares, the hub a star;
    partnership ties are solid, cross-partnership ties dashed, hub ties dotted. Districts
    that practise the currently best-evidenced idea are ringed in red.
    """
    g = model.graph
    pos = layout(g)
    ax.clear()
    for kind, style in EDGE_STYLE.items():
        edges = [(a, b) for a, b, k in g.edges(data="kind") if k == kind]
        if edges:
            segs = [(pos[a], pos[b]) for a, b in edges]
            ax.add_collection(LineCollection(segs, zorder=1, **_collection_style(style)))
    scatter = None
    for kind, style in NODE_STYLE.items():
        nodes = [v for v in g if model.kind[v] == kind]
        if not nodes:
            continue
        xy = np.array([pos[v] for v in nodes])
        if kind == "district":
            scatter = ax.scatter(
                xy[:, 0],
                xy[:, 1],
                c=model.outcome[nodes],
                cmap=CMAP,
                norm=NORMS[model.p.outcome_units],
                edgecolors="black",
                linewidths=0.6,
                zorder=3,
                **style,
            )
        else:
            ax.scatter(xy[:, 0], xy[:, 1], edgecolors="black", linewidths=1.0, zorder=3, **style)
    best = metrics.best_evidenced_idea(model)
    ringed = metrics.adopters(model, best.key) if best is not None else []
    if ringed:
        xy = np.array([pos[v] for v in ringed])
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=RING["size"],
            facecolors="none",
            edgecolors=RING["color"],
            linewidths=RING["linewidth"],
            zorder=4,
        )
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.margins(0.08)
    if title is None:
        title = f"{model.p.design}: month {model.steps}"
    if best is not None:
        n = model.p.n_components
        title += f"\nringed: practise the best-evidenced idea ({metrics.idea_label(best.key, n)})"
    ax.set_title(title, fontsize=9)
    if legend:
        ax.legend(
            handles=legend_handles(),
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=4,
            fontsize=7,
            frameon=False,
            handlelength=2.2,
        )
    return scatter


def _collection_style(style: dict) -> dict:
    """EDGE_STYLE is written for Line2D (legend); LineCollection wants plural names."""
    return {
        "colors": style["color"],
        "linestyles": style["linestyle"],
        "linewidths": style["linewidth"],
        "alpha": style["alpha"],
    }


def legend_handles() -> list[Line2D]:
    """Legend entries for node shapes, edge styles and the ring."""
    handles = [
        Line2D([], [], linestyle="", marker="o", markersize=8, markerfacecolor="#5ec962",
               markeredgecolor="black", label="district (colour = outcome)"),
        Line2D([], [], linestyle="", marker="s", markersize=7, markerfacecolor="#f2f2f2",
               markeredgecolor="black", label="university"),
        Line2D([], [], linestyle="", marker="*", markersize=13, markerfacecolor="#ffd54f",
               markeredgecolor="black", label="hub"),
        Line2D([], [], linestyle="", marker="o", markersize=10, markerfacecolor="none",
               markeredgecolor=RING["color"], markeredgewidth=2, label="adopted best idea"),
    ]  # fmt: skip
    handles += [Line2D([], [], label=f"{kind} tie", **style) for kind, style in EDGE_STYLE.items()]
    return handles


def draw_outcome(
    ax: Axes,
    runs: Sequence[tuple[str, dict[str, np.ndarray]]],
    *,
    horizon: int | None = None,
    colors: Sequence[str] = ("#1f77b4", "#ff7f0e"),
    units: str = "percent",
) -> None:
    """Mean outcome per month with a min-max band, for one or more labelled runs.

    ``runs`` holds (label, columns) where columns has ``step``, ``mean_outcome``,
    ``min_outcome`` and ``max_outcome`` arrays of equal length.
    """
    ax.clear()
    for (label, cols), color in zip(runs, colors, strict=False):
        ax.fill_between(
            cols["step"], cols["min_outcome"], cols["max_outcome"], color=color, alpha=0.2, lw=0
        )
        ax.plot(cols["step"], cols["mean_outcome"], color=color, lw=2, label=f"{label}: mean")
    if units == "percent":  # the best is 100; below, as far as the worst district goes
        low = min([0.0, *(float(np.min(cols["min_outcome"])) for _, cols in runs)])
        ax.set_ylim(low - 5, 102)
    else:
        ax.set_ylim(0, 1.02)
    if horizon:
        ax.set_xlim(0, horizon)
    ax.set_xlabel("Month")
    ax.set_ylabel(OUTCOME_LABELS[units], fontsize=7)
    ax.set_title("Mean outcome; band: worst to best district", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=7)


class Trace:
    """What the page and the GIF need per month beyond the model's own data collection.

    The model collects the per-step metrics of ``runs.csv``; a trace adds, at the same
    moments, the best outcome (top of the band) and how many districts practise each idea.
    Call :meth:`record` after every ``model.step()``; the initial state is recorded on
    creation so every column starts at step 0 like the model's.
    """

    def __init__(self, model: NICModel, label: str | None = None) -> None:
        self.model = model
        self.label = label or model.p.design
        self.max_outcome: list[float] = []
        self.adoption: list[dict[tuple[int, int], int]] = []
        self.record()

    def record(self) -> None:
        self.max_outcome.append(metrics.max_outcome(self.model))
        self.adoption.append(dict(metrics.adoption_counts(self.model)))

    def columns(self) -> dict[str, np.ndarray]:
        """Per-step columns: ``step``, every metric of ``runs.csv`` and ``max_outcome``."""
        cols = metrics.timeseries(self.model)
        cols["max_outcome"] = np.asarray(self.max_outcome)
        return cols

    def idea_shares(self, n: int = 3) -> dict[tuple[int, int], np.ndarray]:
        """Share of districts practising each of the ``n`` ideas most adopted now, by month."""
        districts = len(self.model.districts)
        keys = metrics.top_ideas(collections.Counter(self.adoption[-1]), n)
        return {k: np.array([row.get(k, 0) / districts for row in self.adoption]) for k in keys}
