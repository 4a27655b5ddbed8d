"""Run plans: which runs an experiment consists of, with their seeds and parameters.

A plan is a list of :class:`RunSpec`. ``nicsim run`` plans R replications of one
parameter set; ``nicsim sweep`` plans every grid point (or sampled point) times R.
Replication r always uses seed ``seed + r``, so every point of a sweep shares its random
numbers with every other point (common random numbers, docs/ODD.md section 4).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.params import ConfigError, ModelParams, allowed, check_value, fields_of
from ..nic.params import FIELDS
from .config import RunConfig, check_run_key, from_dict, read_toml


@dataclass(frozen=True)
class RunSpec:
    """One run: its id, seed, replication, full parameters and the swept values that vary."""

    run_id: int
    seed: int
    replication: int
    params: ModelParams
    swept: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """An experiment: its name, the runs, the swept parameter names and the base values."""

    name: str
    base: ModelParams
    runs: list[RunSpec]
    swept: tuple[str, ...] = ()
    seed: int = 1
    replications: int = 1
    source: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """Identity of the plan's content: a changed experiment gets a new fingerprint."""
        return self._fingerprint

    @functools.cached_property
    def _fingerprint(self) -> str:
        # The nicsim version is part of it, so runs of another release are never mixed in;
        # so is the content of every file a run reads, so an edited network is a new
        # experiment. Worked out once: the store asks at every saved run.
        from ..core.version import __version__

        desc = [__version__, self.inputs] + [
            (r.run_id, r.seed, r.replication, r.params.to_dict()) for r in self.runs
        ]
        return hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()[:16]

    @functools.cached_property
    def inputs(self) -> dict[str, str]:
        """The SHA-256 of every file the runs read (graph files), by path."""
        files = {
            r.params.graph_file for r in self.runs if getattr(r.params, "design", "") == "file"
        }
        from ..nic.networks import read_graph_file

        return {path: hashlib.sha256(read_graph_file(path)).hexdigest() for path in sorted(files)}


def check_inputs(plan: Plan) -> None:
    """Read every graph file the plan needs now, so a bad file fails before any output."""
    from ..nic.networks import load_graph

    files = {r.params.graph_file for r in plan.runs if getattr(r.params, "design", "") == "file"}
    for path in sorted(files):
        load_graph(path)


def replications_plan(config: RunConfig) -> Plan:
    runs = [RunSpec(r, config.seed + r, r, config.params) for r in range(config.replications)]
    return Plan(config.name, config.params, runs, (), config.seed, config.replications)


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Full factorial of the grid, first key varying slowest (stable, documented order)."""
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]


def latin_hypercube(
    ranges: dict[str, tuple[float, float]],
    points: int,
    rng: np.random.Generator,
    fields: dict[str, Any] = FIELDS,
) -> list[dict[str, Any]]:
    """``points`` samples with one in each of ``points`` equal strata of every range.

    Integer parameters are rounded to the nearest integer after sampling.
    """
    out: list[dict[str, Any]] = [{} for _ in range(points)]
    for name, (lo, hi) in ranges.items():
        u = (rng.permutation(points) + rng.random(points)) / points
        values = lo + u * (hi - lo)
        integer = fields[name].type in ("int", int)
        for row, v in zip(out, values, strict=True):
            row[name] = int(round(v)) if integer else float(v)
    return out


def sweep_plan(
    points: list[dict[str, Any]],
    base: ModelParams,
    name: str,
    seed: int,
    replications: int,
    source: dict[str, Any] | None = None,
) -> Plan:
    """Every point times every replication; run ids count points first, then replications."""
    swept = tuple(dict.fromkeys(k for pt in points for k in pt))
    runs = []
    for i, point in enumerate(points):
        try:
            params = from_dict(point, base)
        except ConfigError as exc:
            raise ConfigError(f"grid point {point}: {exc}") from None
        for r in range(replications):
            runs.append(
                RunSpec(
                    i * replications + r,
                    seed + r,
                    r,
                    params,
                    {k: getattr(params, k) for k in swept},
                )
            )
    return Plan(name, base, runs, swept, seed, replications, source or {})


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
    if base_name:
        base_path = Path(base_name)
        if not base_path.is_absolute() and (path.parent / base_name).exists():
            base_path = path.parent / base_name
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
    points = grid_points(sweep.grid) if sweep.grid else [{}]
    if sweep.ranges:
        rng = np.random.default_rng(np.random.SeedSequence([sweep.seed, 0x5A11]))
        sampled = latin_hypercube(sweep.ranges, sweep.points, rng, fields_of(type(sweep.base)))
        points = [{**g, **s} for g in points for s in sampled]
    return sweep_plan(points, sweep.base, sweep.name, sweep.seed, sweep.replications, sweep.raw)


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
    n = sample["points"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(
            f"{where}: sample.points = {n!r} is not allowed: expected an integer >= 1"
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
