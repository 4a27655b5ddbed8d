"""Run plans: which runs an experiment consists of, with their seeds and parameters.

A plan is a sequence of :class:`RunSpec`. ``nicsim run`` plans R replications of one
parameter set; ``nicsim sweep`` plans every grid point (or sampled point) times R.
Replication r always uses seed ``seed + r``, so every point of a sweep shares its random
numbers with every other point (common random numbers, docs/ODD.md section 4).

A plan is a description, not a list: its points (:class:`Points`) and runs (:class:`Runs`)
are made one at a time when asked, so a grid of a million runs is planned at once in a few
kilobytes, its size is a product of the grid's lengths, and what it would need can be
estimated (``nicsim.lab.budget``) before anything is built. Run k is replication
``k % R`` of point ``k // R``; points count the grid first (its first key slowest, as
``itertools.product``), then the rows of a sample.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.params import RUN_KEYS, ConfigError, ModelParams, NeverRead, fields_of, never_read
from ..nic.params import FIELDS
from .config import RunConfig, from_dict

# Grids of up to this many points have every point checked when planned (about 0.15 ms
# each); a larger grid has its corners checked (:meth:`Points.corners`), and any other
# point when its runs are made.
EAGER_POINTS = 4096
# At most this many corners are checked and estimated: a grid of many axes has 2 or 3 of
# them per axis.
CORNER_LIMIT = 1024
# Parameters of recently made points kept for the next run of the same point (runs handed
# out seed by seed visit every point once per replication).
PARAMS_CACHE = 1024


@dataclass(frozen=True)
class RunSpec:
    """One run: its id, seed, replication, full parameters and the swept values that vary."""

    run_id: int
    seed: int
    replication: int
    params: ModelParams
    swept: dict[str, Any] = field(default_factory=dict)


# A sampled range of this name is drawn and analysed like any other, but no mechanism
# reads it: its value only re-keys the run's random events (``dynamics_seed``, where the
# model has one), so its elementary effects are those of a change that does nothing
# systematic yet perturbs the run as a real change does. It is the yardstick of "no
# effect" in a screen: a parameter whose Morris mu* cannot be told from the dummy's is
# inert. Levels in [low, high] become distinct salts (DUMMY_SALTS per unit of the range).
DUMMY = "dummy"
DUMMY_SALT = "dynamics_seed"
DUMMY_SALTS = 1000


def sampled_value(fields: dict[str, Any], name: str, value: float) -> int | float:
    """A sampled coordinate as the parameter takes it: integers rounded to the nearest."""
    return int(round(value)) if fields[name].type in ("int", int) else float(value)


class _Made(Sequence):
    """A sequence whose items are made when asked (by ``_make(i)``, for 0 <= i < len)."""

    def _make(self, i: int) -> Any:
        raise NotImplementedError

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._make(j) for j in range(len(self))[i]]
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__.lower()}[{i}]: there are {n}")
        return self._make(i % n)


class Points(_Made):
    """The points of an experiment, each made when asked: the full factorial of ``grid``
    (first key varying slowest), each grid point with every row of a sampled design.

    ``ranges`` names the sampled parameters and their bounds; ``rows`` is the number of
    sampled rows and ``sampler()`` draws them, a (rows, len(ranges)) array of floats. The
    sample is drawn the first time a point or the plan's fingerprint needs it, after the
    budget has been checked: it is the one part of a plan held in memory.
    """

    def __init__(
        self,
        grid: dict[str, list[Any]] | None = None,
        ranges: dict[str, tuple[float, float]] | None = None,
        rows: int = 1,
        sampler: Callable[[], np.ndarray] | None = None,
        fields: dict[str, Any] = FIELDS,
    ) -> None:
        self.grid = {k: list(v) for k, v in (grid or {}).items()}
        self.ranges = dict(ranges or {})
        self.rows = rows if self.ranges else 1
        self._sampler = sampler
        self._fields = fields
        self.grid_size = math.prod(len(v) for v in self.grid.values())

    @property
    def names(self) -> tuple[str, ...]:
        """The names a point sets: the grid's, then the sampled ones (in that order)."""
        salted = [DUMMY_SALT] if DUMMY in self.ranges and DUMMY_SALT in self._fields else []
        return tuple(dict.fromkeys([*self.grid, *self.parameters, *salted]))

    @property
    def parameters(self) -> dict[str, tuple[float, float]]:
        """The sampled ranges that are parameters (all but a :data:`DUMMY`)."""
        return {k: v for k, v in self.ranges.items() if k != DUMMY}

    def __len__(self) -> int:
        return self.grid_size * self.rows

    @functools.cached_property
    def sample(self) -> np.ndarray:
        """The sampled rows, (rows, len(ranges)) floats, unrounded; drawn on first use."""
        if not self.ranges or self._sampler is None:
            return np.empty((self.rows, 0))
        return np.asarray(self._sampler(), dtype=float)

    def _sampled(self, row: int) -> dict[str, Any]:
        values = self.sample[row]
        point = {
            name: sampled_value(self._fields, name, v)
            for name, v in zip(self.ranges, values, strict=True)
            if name != DUMMY
        }
        if DUMMY in self.ranges and DUMMY_SALT in self._fields:
            low = self.ranges[DUMMY][0]
            value = values[list(self.ranges).index(DUMMY)]
            point[DUMMY_SALT] = int(round((value - low) * DUMMY_SALTS))
        return point

    def _grid_point(self, index: int) -> dict[str, Any]:
        chosen = {}
        for key in reversed(self.grid):
            index, j = divmod(index, len(self.grid[key]))
            chosen[key] = self.grid[key][j]
        return {key: chosen[key] for key in self.grid}

    def _make(self, i: int) -> dict[str, Any]:
        g, row = divmod(i, self.rows)
        point = self._grid_point(g)
        return {**point, **self._sampled(row)} if self.ranges else point

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for combo in itertools.product(*self.grid.values()):
            point = dict(zip(self.grid, combo, strict=True))
            if not self.ranges:
                yield point
                continue
            for row in range(self.rows):
                yield {**point, **self._sampled(row)}

    def corners(self) -> Iterator[dict[str, Any]]:
        """Points at the extremes of every axis: for a numeric axis its least and greatest
        value (and 0, which may mean "derived", as ``n_contexts = 0``), for any other
        axis each of its values; a sampled parameter at both bounds of its range.

        A grid's corners are points of it. They are what a plan's worst run is looked for
        among (what a run needs grows or shrinks with each number), and where a grid too
        large to check point by point is checked when planned. At most ``CORNER_LIMIT``.
        """
        axes = {key: _extremes(values) for key, values in self.grid.items()}
        for name, bounds in self.parameters.items():
            axes[name] = _extremes([sampled_value(self._fields, name, b) for b in bounds])
        combos = itertools.product(*axes.values())
        for combo in itertools.islice(combos, CORNER_LIMIT):
            yield dict(zip(axes, combo, strict=True))


def fingerprinted(base: ModelParams) -> dict[str, Any]:
    """The base parameters a plan's fingerprint is made of: all of them, except a parameter
    declared ``inert_default`` (added after results were committed) while it is at its
    default. At its default such a parameter leaves every run as it was, so the committed
    results of an unchanged experiment keep their fingerprint and stay valid."""
    fields = fields_of(type(base))
    return {
        key: value
        for key, value in base.to_dict().items()
        if not (
            key in fields
            and fields[key].metadata.get("inert_default")
            and value == fields[key].default
        )
    }


def _extremes(values: list[Any]) -> list[Any]:
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if not numbers:
        out: list[Any] = []
        for v in values:  # distinct, in order (a value may be unhashable: a list)
            if v not in out:
                out.append(v)
        return out
    return list(dict.fromkeys([min(values), max(values), *(v for v in values if v == 0)]))


@dataclass(frozen=True)
class Plan:
    """An experiment: its name, base values, points, seeds and replications.

    ``runs`` is every run of it, made when asked; ``swept`` names the parameters that vary.
    """

    name: str
    base: ModelParams
    points: Points = field(default_factory=Points)
    seed: int = 1
    replications: int = 1
    source: dict[str, Any] = field(default_factory=dict)
    file: str = ""  # the sweep or config file it was read from, as its errors name it

    def __post_init__(self) -> None:
        # Replication r runs with seed + r: refuse a plan whose last seed is not a seed
        # before any run is made, rather than after the runs that fit have been saved.
        largest = RUN_KEYS["seed"][1]
        last = self.seed + self.replications - 1
        if last > largest:
            raise ConfigError(
                f"seed {self.seed} with {self.replications} replications needs seeds up to "
                f"{last}: the largest seed is {largest} (lower the seed or the replications)"
            )

    @property
    def swept(self) -> tuple[str, ...]:
        return self.points.names

    @functools.cached_property
    def runs(self) -> Runs:
        return Runs(self)

    @property
    def seeds(self) -> list[int]:
        """Every seed the runs use: each point runs every replication r with ``seed + r``."""
        return list(range(self.seed, self.seed + self.replications))

    def params(self, point: dict[str, Any]) -> ModelParams:
        """The parameters of a point: the base with the point's values, checked."""
        if not point:
            return self.base
        try:
            return from_dict(point, self.base)
        except ConfigError as exc:
            raise at_point(point, exc) from None

    @functools.cached_property
    def corner_params(self) -> list[ModelParams]:
        """The parameters of every corner (:meth:`Points.corners`), each checked."""
        return [self.params(point) for point in self.points.corners()]

    def examined(self) -> Iterable[dict[str, Any]]:
        """The points whose parameters are checked before any run: every point of a plan of
        up to ``EAGER_POINTS`` points, else its corners."""
        return self.points if len(self.points) <= EAGER_POINTS else self.points.corners()

    def check(self) -> None:
        """Refuse a plan with a point that is not allowed, before anything runs: its
        corners, and every point of a plan of up to ``EAGER_POINTS`` points (drawing its
        sample, which is then small). A point of a larger plan that only a combination of
        values inside the grid makes wrong is refused when its runs are made."""
        self.corner_params  # noqa: B018 - computed for its checks, and kept for the budget
        if len(self.points) <= EAGER_POINTS:
            for point in self.points:
                self.params(point)

    def fingerprint(self) -> str:
        """Identity of the plan's content: a changed experiment gets a new fingerprint."""
        return self._fingerprint

    @functools.cached_property
    def _fingerprint(self) -> str:
        # Worked out from what determines every run, never by listing the runs: the nicsim
        # version (runs of another release are never mixed in), the content of every file a
        # run reads (an edited network is a new experiment), the model and base parameters,
        # the grid in order, the sampled values themselves, replications and seed. Run k's
        # parameters and seed are a function of these alone. Worked out once: the store asks
        # at every saved run.
        from ..core.version import __version__

        sample = self.points.sample if self.points.ranges else None
        desc = {
            "version": __version__,
            "model": type(self.base).MODEL,
            "inputs": self.inputs,
            "base": fingerprinted(self.base),
            "grid": [[key, values] for key, values in self.points.grid.items()],
            "sample": None
            if sample is None
            else {
                "names": list(self.points.ranges),
                "shape": list(sample.shape),
                "sha256": hashlib.sha256(np.ascontiguousarray(sample).tobytes()).hexdigest(),
            },
            "replications": self.replications,
            "seed": self.seed,
        }
        text = json.dumps(desc, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def graph_files(self) -> list[str]:
        """Every graph file a run reads: those of the file design's points, found from the
        grid's values (in a full factorial every file meets every design)."""
        designs = self.points.grid.get("design", [getattr(self.base, "design", "")])
        if "file" not in designs:
            return []
        files = self.points.grid.get("graph_file", [getattr(self.base, "graph_file", "")])
        return sorted({f for f in files if isinstance(f, str) and f})

    @functools.cached_property
    def inputs(self) -> dict[str, str]:
        """The SHA-256 of every file the runs read (graph files), by path."""
        from ..nic.graphs import read_graph_file

        return {
            path: hashlib.sha256(read_graph_file(path)).hexdigest() for path in self.graph_files
        }


class Runs(_Made):
    """A plan's runs, each made when asked from its point and replication.

    Run k is replication ``r = k % R`` of point ``i = k // R``, with seed ``seed + r``: the
    same ids, seeds and parameters a list of every run would hold, in the same order.
    """

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._point_params = functools.lru_cache(maxsize=PARAMS_CACHE)(self._make_params)

    def __len__(self) -> int:
        return len(self.plan.points) * self.plan.replications

    def _make_params(self, i: int) -> ModelParams:
        return self.plan.params(self.plan.points[i])

    def _spec(self, i: int, r: int, params: ModelParams) -> RunSpec:
        plan = self.plan
        swept = {k: getattr(params, k) for k in plan.swept}
        return RunSpec(i * plan.replications + r, plan.seed + r, r, params, swept)

    def spec(self, point: int, replication: int) -> RunSpec:
        """Replication ``replication`` of point ``point``."""
        return self._spec(point, replication, self._point_params(point))

    def _make(self, k: int) -> RunSpec:
        return self.spec(*divmod(k, self.plan.replications))

    def __iter__(self) -> Iterator[RunSpec]:
        for i, point in enumerate(self.plan.points):
            params = self.plan.params(point)
            for r in range(self.plan.replications):
                yield self._spec(i, r, params)

    def missing(self, done: Collection[int]) -> Pending:
        """The runs not in ``done`` (ids of runs of this plan), made as they are handed out."""
        return Pending(self, done)


class Pending:
    """The runs still to do: their number at once, the runs one at a time, seed by seed
    (every point of replication 0, then of replication 1, ...).

    Seed by seed, a worker's next run usually shares its seed, so its landscape, with the
    last one and finds it in the model's one-landscape cache: `experiments/leader_turnover`
    took about a tenth less time than in run-id order, on one worker and on two
    (docs/PERFORMANCE.md). Results do not depend on the order.
    """

    def __init__(self, runs: Runs, done: Collection[int]) -> None:
        self.runs, self.done = runs, done

    def __len__(self) -> int:
        return len(self.runs) - len(self.done)

    def __iter__(self) -> Iterator[RunSpec]:
        plan = self.runs.plan
        order = itertools.product(range(plan.replications), range(len(plan.points)))
        return (
            self.runs.spec(i, r) for r, i in order if i * plan.replications + r not in self.done
        )


def at_point(point: dict[str, Any], exc: ConfigError) -> ConfigError:
    """``exc`` said of the grid point where it was found (of the base alone: as it is)."""
    return ConfigError(f"grid point {point}: {exc}" if point else str(exc))


def check_inputs(plan: Plan) -> None:
    """Read every graph file the plan needs now, as its runs will read it (one way or both:
    ``directed_graph``), and check the rules that depend on the network (``check_graph``:
    a landscape or units its universities do not allow) at the points :meth:`Plan.check`
    checks, so that a bad file, or a point its file does not allow, fails before any
    output rather than when that point's runs are made."""
    from ..nic.graphs import load_graph
    from ..nic.params import check_graph

    base = getattr(plan.base, "directed_graph", False)
    directed = {bool(d) for d in plan.points.grid.get("directed_graph", [base])}
    universities: dict[str, int] = {}
    for path in plan.graph_files:
        for how in sorted(directed):
            graph = load_graph(path, how)
        universities[path] = sum(kind == "university" for _, kind in graph.nodes(data="kind"))
    if not universities:
        return
    for point in plan.examined():
        params = plan.params(point)
        if params.design != "file":
            continue
        try:
            check_graph(params, universities[params.graph_file])
        except ConfigError as exc:
            error = at_point(point, ConfigError(f"graph file {params.graph_file}: {exc}"))
            raise ConfigError(f"{plan.file}: {error}" if plan.file else str(error)) from None


def never_read_in(plans: Sequence[Plan]) -> dict[str, NeverRead]:
    """The parameters that no run of the plans reads (:func:`nicsim.core.params.never_read`),
    judged by the points each plan examines and by all the plans together: a study's sweeps
    share a base, and a setting it makes for one of them is read there. A grid of more than
    ``CORNER_LIMIT`` corners is not judged: the corners left out may hold the design or rule
    that reads a setting."""
    if any(len(p.points) > EAGER_POINTS and len(p.corner_params) >= CORNER_LIMIT for p in plans):
        return {}
    return never_read(plan.params(point) for plan in plans for point in plan.examined())


def replications_plan(config: RunConfig) -> Plan:
    return Plan(
        config.name, config.params, Points(), config.seed, config.replications, file=config.file
    )


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Full factorial of the grid, first key varying slowest (stable, documented order)."""
    return list(Points(grid))


def lhs_sample(
    ranges: dict[str, tuple[float, float]], points: int, rng: np.random.Generator
) -> np.ndarray:
    """A Latin hypercube: ``points`` rows with one in each of ``points`` equal strata of
    every range (columns in the order of ``ranges``), unrounded."""
    columns = []
    for lo, hi in ranges.values():
        u = (rng.permutation(points) + rng.random(points)) / points
        columns.append(lo + u * (hi - lo))
    return np.column_stack(columns) if columns else np.empty((points, 0))


def latin_hypercube(
    ranges: dict[str, tuple[float, float]],
    points: int,
    rng: np.random.Generator,
    fields: dict[str, Any] = FIELDS,
) -> list[dict[str, Any]]:
    """``points`` samples with one in each of ``points`` equal strata of every range.

    Integer parameters are rounded to the nearest integer after sampling.
    """
    return list(Points({}, ranges, points, lambda: lhs_sample(ranges, points, rng), fields))
