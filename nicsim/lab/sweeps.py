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
    unknown_parameter,
)
from .config import (
    RunConfig,
    beside,
    blame,
    check_run_key,
    from_dict,
    merge_run_options,
    read_toml,
    set_text,
    unchecked_params,
)
from .plans import DUMMY, DUMMY_SALT, Plan, Points, at_point, lhs_sample

NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
SWEEP_KEYS = {"base", "grid", "sample", "replications", "seed", "name", "params", "model"}


@dataclass(frozen=True)
class SweepFile:
    """A validated sweep file: what varies (grid, sampled ranges) around which base.

    ``base`` is checked key by key; the rules that tie parameters together hold at every
    point (its grid and sampled values applied), not necessarily at the base itself.
    """

    name: str
    base: ModelParams
    grid: dict[str, list[Any]]
    ranges: dict[str, tuple[float, float]]
    points: int | None  # [sample] points: LHS points, Morris trajectories or Sobol base N
    replications: int
    seed: int
    raw: dict[str, Any]
    path: str = ""  # how messages name the sweep file


# Top-level keys of a sweep that are not parameters: in [params] they would be ignored.
NOT_PARAMS = ("replications", "seed", "name", "base")


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
    Command-line ``replications`` and ``seed`` (or ``--set replications=``, ``--set seed=``)
    win over the file, which wins over the base. A parameter swept in ``[grid]`` or
    ``[sample.ranges]`` is set nowhere else; every point must be allowed as a whole.
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
    for key in NOT_PARAMS:
        if key in fixed:
            raise ConfigError(
                f"{where}: [params] {key}: {key} is not a parameter: set it at the top level "
                "of the sweep file"
            )
    if "model" in raw:
        if "model" in fixed:
            raise ConfigError(f"{where}: model is in both the top level and [params]: give one")
        fixed["model"] = raw["model"]
    if isinstance(fixed.get("graph_file"), str):
        fixed["graph_file"] = beside(path, fixed["graph_file"])
    try:  # --set replications= and --set seed= are the options'
        overrides = merge_run_options(overrides or {}, replications, seed)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    replications, seed = overrides.pop("replications", None), overrides.pop("seed", None)
    base, run = None, (RunConfig.replications, RunConfig.seed)  # a config's defaults
    if base_name:
        # The base on its own first, so that its mistakes name the sweep file and its key
        # (the base may be shared by many sweeps); [params] and --set on top are the sweep's.
        config = load_config(Path(beside(path, base_name)), name=f"{where}: base = {base_name!r}")
        base, run = config.params, (config.replications, config.seed)
    try:
        params = unchecked_params({**fixed, **overrides}, base)
    except ConfigError as exc:
        raise ConfigError(f"{blame(str(exc), where, overrides)}: {exc}") from None
    try:
        reps = check_run_key("replications", _first(replications, raw.get("replications"), run[0]))
        seed = check_run_key("seed", _first(seed, raw.get("seed"), run[1]))
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None

    fields = fields_of(type(params))
    grid = raw.get("grid", {})
    if not isinstance(grid, dict):
        raise ConfigError(f"{where}: grid must be a table of parameter = [values]")
    for key, values in grid.items():
        if key not in fields:
            raise ConfigError(f"{where}: [grid] {unknown_parameter(type(params), key)}")
        if not isinstance(values, list) or not values:
            raise ConfigError(
                f"{where}: [grid] {key} = {values!r} is not allowed: expected a "
                "non-empty list of values"
            )
        for i, value in enumerate(values):  # a point run twice, which compare cannot pair
            if value in values[:i]:
                raise ConfigError(f"{where}: [grid] {key} lists {value!r} twice")
    if "graph_file" in grid:  # each network of the grid, found beside the sweep as in [params]
        grid = {
            **grid,
            "graph_file": [
                beside(path, g) if isinstance(g, str) else g for g in grid["graph_file"]
            ],
        }
    ranges, points = _sample_spec(raw.get("sample"), where, type(params))
    _once(where, {"[params]": fixed, "--set": overrides, "[grid]": grid, "[sample.ranges]": ranges})
    salted = DUMMY in ranges and DUMMY_SALT in fields
    if salted and DUMMY_SALT in {*grid, *ranges, *fixed, *overrides}:
        raise ConfigError(
            f"{where}: sample.ranges.{DUMMY} sets {DUMMY_SALT} (a salt for each level), so "
            f"{DUMMY_SALT} cannot be swept as well (nor set in [params] or by --set)"
        )
    name = raw.get("name", path.stem if path.stem != "sweep" else path.resolve().parent.name)
    if not (isinstance(name, str) and NAME.fullmatch(name)):
        # the name is the default results folder, results/<name>: it must stay inside
        raise ConfigError(
            f"{where}: name = {name!r} is not allowed: expected a plain name of letters, "
            "digits, '.', '_' or '-' (not starting with '.')"
        )
    error = _corner_error(params, grid, ranges, fields)
    if error is not None:
        if overrides and _corner_error(unchecked_params(fixed, base), grid, ranges, fields) is None:
            where = f"{where} with {set_text(overrides)}"  # the sweep is fine without them
        raise ConfigError(f"{where}: {error}")
    return SweepFile(name, params, grid, ranges, points, reps, seed, raw, where)


def _once(where: str, places: dict[str, dict[str, Any]]) -> None:
    """Refuse a parameter given in two of ``places`` (name -> its keys), where one of the
    two would be ignored. ``--set`` over ``[params]`` is no conflict: it overrides."""
    names = list(places)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if {a, b} == {"[params]", "--set"}:
                continue
            for key in places[a]:
                if key in places[b]:
                    raise ConfigError(
                        f"{where}: {key} is in both {a} and {b}: give it in one of them"
                    )


def _corner_error(
    base: ModelParams,
    grid: dict[str, list[Any]],
    ranges: dict[str, tuple[float, float]],
    fields: dict[str, Any],
) -> ConfigError | None:
    """Why the base, with the values of a corner of the grid and sampled ranges applied (the
    base alone when nothing is swept), is not allowed as a whole; None when every corner is.
    Every point of a plan of up to ``EAGER_POINTS`` is checked when planned (``Plan.check``)."""
    for point in Points(grid, ranges, fields=fields).corners():
        try:
            from_dict(point, base)
        except ConfigError as exc:
            return at_point(point, exc)
    return None


def _first(*values: Any) -> Any:
    return next(v for v in values if v is not None)


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
    plan = Plan(
        sweep.name, sweep.base, points, sweep.seed, sweep.replications, sweep.raw, sweep.path
    )
    try:
        plan.check()
    except ConfigError as exc:
        raise ConfigError(f"{sweep.path}: {exc}") from None
    return plan


SAMPLE_KEYS = ("points", "ranges")


def _sample_spec(
    sample: Any, where: str, cls: type
) -> tuple[dict[str, tuple[float, float]], int | None]:
    fields = fields_of(cls)
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
            raise ConfigError(f"{where}: [sample.ranges] {unknown_parameter(cls, key)}")
        label = f"{where}: sample.ranges.{key}"
        ranges[key] = check_range(key, bounds, fields, label)
        if ranges[key][0] == ranges[key][1]:  # nothing to sample (and SALib refuses it)
            raise ConfigError(
                f"{label} = {bounds!r} is not allowed: expected [low, high] with low < high "
                f"(to hold {key} at {bounds[0]!r}, set it in [params])"
            )
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
