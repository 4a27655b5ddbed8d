"""Sweep files: a base config, a ``[grid]`` and/or ``[sample]``, replications and a seed,
read and checked into a run plan (:mod:`nicsim.lab.plans`).

Every mistake in a sweep file is one line naming the file, the key, the value and what
is allowed; the plan is made only from a file that passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.params import (
    ConfigError,
    ModelParams,
    allowed,
    as_integer,
    check_value,
    fields_of,
    finite_number,
)
from ..nic.params import FIELDS
from .config import RunConfig, beside, check_run_key, from_dict, read_toml
from .plans import DUMMY, DUMMY_SALT, Plan, Points, lhs_sample

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
    for key in ranges:  # a value set twice over: one of the two would be ignored
        if key in grid:
            raise ConfigError(
                f"{where}: {key} is in both [grid] and [sample.ranges]: sweep it in one of them"
            )
    if DUMMY in ranges and DUMMY_SALT in fields and DUMMY_SALT in {*grid, *ranges}:
        raise ConfigError(
            f"{where}: sample.ranges.{DUMMY} sets {DUMMY_SALT} (a salt for each level), so "
            f"{DUMMY_SALT} cannot be swept as well"
        )
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
        if key == DUMMY:  # no parameter: any numbers, drawn and analysed, never run
            ok = (
                isinstance(bounds, list)
                and len(bounds) == 2
                and all(isinstance(x, int | float) and not isinstance(x, bool) for x in bounds)
                and bounds[0] < bounds[1]
            )
            if not ok:
                raise ConfigError(
                    f"{where}: sample.ranges.{DUMMY} = {bounds!r} is not allowed: expected "
                    "[low, high] with low < high"
                )
            ranges[key] = (float(bounds[0]), float(bounds[1]))
            continue
        if key not in fields:
            raise ConfigError(f"{where}: [sample.ranges] unknown parameter {key!r}")
        ranges[key] = check_range(key, bounds, fields, f"{where}: sample.ranges.{key}")
    if not ranges:
        raise ConfigError(f"{where}: [sample.ranges] is empty: name at least one parameter")
    return ranges, n


def check_range(
    key: str, bounds: Any, fields: dict[str, Any], label: str
) -> tuple[int | float, int | float]:
    """A numeric parameter's sampling range ``[low, high]``, checked against its field:
    every value sampled within it must be allowed. ``label`` is how a message names it
    (a sweep's ``FILE: sample.ranges.KEY``; a parameter space's plain key)."""
    f = fields[key]
    if f.type in ("bool", bool, "str", str):
        raise ConfigError(
            f"{label} is not allowed: only numeric parameters can be sampled, and {key} is "
            f"{allowed(f)}"
        )
    ok = (
        isinstance(bounds, list | tuple)
        and len(bounds) == 2
        and all(_in_range(key, b, fields) for b in bounds)
        and bounds[0] <= bounds[1]
    )
    if not ok:
        raise ConfigError(
            f"{label} = {bounds!r} is not allowed: expected [low, high] with low <= high, "
            f"each {allowed(f)}"
        )
    return (bounds[0], bounds[1])


def _in_range(name: str, bound: Any, fields: dict[str, Any]) -> bool:
    """Whether every value sampled up to ``bound`` is allowed for the parameter: a finite
    number within its range (for an integer parameter, once rounded, as sampled values are)."""
    if not finite_number(bound):
        return False
    if fields[name].type in ("int", int):
        bound = round(bound)
    try:
        check_value(name, bound, fields)
    except ConfigError:
        return False
    return True
