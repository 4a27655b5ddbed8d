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
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.params import ConfigError, ModelParams, allowed, as_integer, check_value, fields_of
from ..nic.params import FIELDS
from .config import RunConfig, beside, check_run_key, from_dict, read_toml

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
        return tuple(dict.fromkeys([*self.grid, *self.ranges]))

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
        return {
            name: sampled_value(self._fields, name, v)
            for name, v in zip(self.ranges, values, strict=True)
        }

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
        for name, bounds in self.ranges.items():
            axes[name] = _extremes([sampled_value(self._fields, name, b) for b in bounds])
        combos = itertools.product(*axes.values())
        for combo in itertools.islice(combos, CORNER_LIMIT):
            yield dict(zip(axes, combo, strict=True))


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
            raise ConfigError(f"grid point {point}: {exc}") from None

    @functools.cached_property
    def corner_params(self) -> list[ModelParams]:
        """The parameters of every corner (:meth:`Points.corners`), each checked."""
        return [self.params(point) for point in self.points.corners()]

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
            "base": self.base.to_dict(),
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
        from ..nic.networks import read_graph_file

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

    def missing(self, done: Collection[int], by_seed: bool = False) -> Pending:
        """The runs not in ``done`` (ids of runs of this plan), made as they are handed out."""
        return Pending(self, done, by_seed)


class Pending:
    """The runs still to do: their number at once, the runs one at a time.

    ``by_seed`` hands them out seed by seed (every point of replication 0, then 1, ...).
    """

    def __init__(self, runs: Runs, done: Collection[int], by_seed: bool = False) -> None:
        self.runs, self.done, self.by_seed = runs, done, by_seed

    def __len__(self) -> int:
        return len(self.runs) - len(self.done)

    def __iter__(self) -> Iterator[RunSpec]:
        if not self.by_seed:
            return (spec for spec in self.runs if spec.run_id not in self.done)
        plan = self.runs.plan
        order = itertools.product(range(plan.replications), range(len(plan.points)))
        return (
            self.runs.spec(i, r) for r, i in order if i * plan.replications + r not in self.done
        )


def check_inputs(plan: Plan) -> None:
    """Read every graph file the plan needs now, so a bad file fails before any output."""
    from ..nic.networks import load_graph

    for path in plan.graph_files:
        load_graph(path)


def replications_plan(config: RunConfig) -> Plan:
    return Plan(config.name, config.params, Points(), config.seed, config.replications)


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


NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
SWEEP_KEYS = {"base", "grid", "sample", "replications", "seed", "name", "params", "model"}


@dataclass(frozen=True)
class SweepFile:
    """A validated sweep file: what varies (grid, sampled ranges) around which base."""

    name: str
    base: ModelParams
    grid: dict[str, list[Any]]
    ranges: dict[str, tuple[float, float]]
    points: int | None  # [sample] points: LHS points, Morris trajectories or Sobol base N
    replications: int
    seed: int
    raw: dict[str, Any]


def read_sweep(
    path: str | Path,
    overrides: dict[str, Any] | None = None,
    replications: int | None = None,
    seed: int | None = None,
) -> SweepFile:
    """Read a sweep file: a base config, a ``[grid]`` and/or ``[sample]``, replications, seed.

    ``[params]`` may set fixed parameters on top of the base config; ``--set`` overrides
    apply last. A top-level ``model`` names the model (as in a config; default the base's,
    else ``"nic"``). ``[sample]`` has ``points`` and ``[sample.ranges]`` of name -> [low, high].
    Command-line ``replications`` and ``seed`` win over the file, which wins over the base.
    """
    from .config import load_config

    path = Path(path)
    raw = read_toml(path)
    where = str(path)
    for key in raw:
        if key not in SWEEP_KEYS:
            raise ConfigError(
                f"{where}: unknown key {key!r}: expected one of {', '.join(sorted(SWEEP_KEYS))}"
            )
    base_name = raw.get("base")
    if base_name is not None and not (isinstance(base_name, str) and base_name):
        raise ConfigError(f"{where}: base = {base_name!r} is not allowed: expected a config path")
    fixed = raw.get("params", {})
    if not isinstance(fixed, dict):
        raise ConfigError(
            f"{where}: params = {fixed!r} is not allowed: expected a table [params] of "
            "parameter = value"
        )
    fixed = dict(fixed)
    if "model" in raw:
        fixed["model"] = raw["model"]
    if isinstance(fixed.get("graph_file"), str):
        fixed["graph_file"] = beside(path, fixed["graph_file"])
    if base_name:
        base_path = Path(beside(path, base_name))
        # The base on its own first, so that its mistakes name the sweep file and its key
        # (the base may be shared by many sweeps); then with [params] and --set on top, whose
        # mistakes are the sweep's.
        load_config(base_path, name=f"{where}: base = {base_name!r}")
        config = load_config(base_path, {**fixed, **(overrides or {})}, name=where)
    else:
        config = RunConfig(path.stem, _checked(where, {**fixed, **(overrides or {})}))
    try:
        reps = check_run_key(
            "replications", _first(replications, raw.get("replications"), config.replications)
        )
        seed = check_run_key("seed", _first(seed, raw.get("seed"), config.seed))
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None

    fields = fields_of(type(config.params))
    grid = raw.get("grid", {})
    if not isinstance(grid, dict):
        raise ConfigError(f"{where}: grid must be a table of parameter = [values]")
    for key, values in grid.items():
        if key not in fields:
            raise ConfigError(f"{where}: [grid] unknown parameter {key!r}")
        if not isinstance(values, list) or not values:
            raise ConfigError(
                f"{where}: [grid] {key} = {values!r} is not allowed: expected a "
                "non-empty list of values"
            )
    if "graph_file" in grid:  # each network of the grid, found beside the sweep as in [params]
        grid = {
            **grid,
            "graph_file": [
                beside(path, g) if isinstance(g, str) else g for g in grid["graph_file"]
            ],
        }
    ranges, points = _sample_spec(raw.get("sample"), where, fields)
    name = raw.get("name", path.stem if path.stem != "sweep" else path.resolve().parent.name)
    if not (isinstance(name, str) and NAME.fullmatch(name)):
        # the name is the default results folder, results/<name>: it must stay inside
        raise ConfigError(
            f"{where}: name = {name!r} is not allowed: expected a plain name of letters, "
            "digits, '.', '_' or '-' (not starting with '.')"
        )
    return SweepFile(name, config.params, grid, ranges, points, reps, seed, raw)


def _first(*values: Any) -> Any:
    return next(v for v in values if v is not None)


def _checked(where: str, values: dict[str, Any]) -> ModelParams:
    try:
        return from_dict(values)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load_sweep(
    path: str | Path,
    overrides: dict[str, Any] | None = None,
    replications: int | None = None,
    seed: int | None = None,
) -> Plan:
    """The run plan of a sweep file: grid points (x Latin hypercube points) x replications."""
    sweep = read_sweep(path, overrides, replications, seed)

    def sampler() -> np.ndarray:
        rng = np.random.default_rng(np.random.SeedSequence([sweep.seed, 0x5A11]))
        return lhs_sample(sweep.ranges, sweep.points, rng)

    fields = fields_of(type(sweep.base))
    points = Points(sweep.grid, sweep.ranges, sweep.points or 1, sampler, fields)
    plan = Plan(sweep.name, sweep.base, points, sweep.seed, sweep.replications, sweep.raw)
    plan.check()
    return plan


SAMPLE_KEYS = ("points", "ranges")


def _sample_spec(
    sample: Any, where: str, fields: dict[str, Any] = FIELDS
) -> tuple[dict[str, tuple[float, float]], int | None]:
    if sample is None:
        return {}, None
    if not isinstance(sample, dict) or "ranges" not in sample or "points" not in sample:
        raise ConfigError(f"{where}: [sample] needs points = N and [sample.ranges]")
    for key in sample:
        if key not in SAMPLE_KEYS:
            raise ConfigError(
                f"{where}: [sample] unknown key {key!r}: expected {' and '.join(SAMPLE_KEYS)}"
            )
    n = as_integer(sample["points"])
    if n is None or n < 1:
        raise ConfigError(
            f"{where}: sample.points = {sample['points']!r} is not allowed: expected an "
            "integer >= 1"
        )
    if not isinstance(sample["ranges"], dict):
        raise ConfigError(
            f"{where}: sample.ranges = {sample['ranges']!r} is not allowed: expected a table "
            "[sample.ranges] of parameter = [low, high]"
        )
    ranges = {}
    for key, bounds in sample["ranges"].items():
        if key not in fields:
            raise ConfigError(f"{where}: [sample.ranges] unknown parameter {key!r}")
        f = fields[key]
        if f.type in ("bool", bool, "str", str):
            raise ConfigError(
                f"{where}: sample.ranges.{key} is not allowed: only numeric parameters can be "
                f"sampled, and {key} is {allowed(f)}"
            )
        ok = (
            isinstance(bounds, list)
            and len(bounds) == 2
            and all(_in_range(key, b, fields) for b in bounds)
            and bounds[0] <= bounds[1]
        )
        if not ok:
            raise ConfigError(
                f"{where}: sample.ranges.{key} = {bounds!r} is not allowed: "
                f"expected [low, high] with low <= high, each {allowed(f)}"
            )
        ranges[key] = (bounds[0], bounds[1])
    if not ranges:
        raise ConfigError(f"{where}: [sample.ranges] is empty: name at least one parameter")
    return ranges, n


def _in_range(name: str, bound: Any, fields: dict[str, Any]) -> bool:
    """Whether every value sampled up to ``bound`` is allowed for the parameter: a finite
    number within its range (for an integer parameter, once rounded, as sampled values are)."""
    if isinstance(bound, bool) or not isinstance(bound, int | float) or not math.isfinite(bound):
        return False
    if fields[name].type in ("int", int):
        bound = round(bound)
    try:
        check_value(name, bound, fields)
    except ConfigError:
        return False
    return True
