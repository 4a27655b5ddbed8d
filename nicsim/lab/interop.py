"""nicsim's parameter table as the analysis libraries take it: the one place where a
parameter's range or categories become a SALib problem, EMA Workbench uncertainties and
levers, Optuna suggestions or a ``mesa.batch_run`` grid.

A parameter space names some parameters and what each may take: a number's
``(low, high)``, a choice's or a flag's list of values, or ``None`` for all that the
parameter table allows (where it bounds the number). Each is checked against the table as a
sweep file's ``[sample.ranges]`` is, so a range that would run a bad value is refused with
the key, the value and what is allowed, before anything runs. The libraries are imported
only when a converter is called: none is needed to describe a space. The models never
import this module (data flows params -> model -> metrics -> store -> analysis).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.params import (
    ConfigError,
    allowed,
    check_run_key,
    check_value,
    fields_of,
    finite_number,
    plain,
    unknown_parameter,
)
from .config import from_dict
from .plans import sampled_value
from .registry import get_model
from .sensitivity import problem
from .single_run import simulate
from .sweeps import check_range

# What a space is given: name -> (low, high), list of values or None; or just names.
Ranges = Mapping[str, Any] | Iterable[str]


@dataclass(frozen=True)
class Dimension:
    """One parameter of a space: a number in ``[low, high]`` (kind ``real`` or ``integer``)
    or one of ``choices`` (``categorical``, ``boolean``)."""

    name: str
    kind: str
    low: float | int | None = None
    high: float | int | None = None
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class ParameterSpace:
    """Some of a model's parameters and what each may take, ready for each library."""

    model: str
    dims: tuple[Dimension, ...]

    def __iter__(self) -> Iterator[Dimension]:
        return iter(self.dims)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dims]

    # -- SALib --------------------------------------------------------------------------
    def salib_problem(self) -> dict[str, Any]:
        """The SALib problem of a space of numbers (as ``nicsim sensitivity`` makes it)."""
        self._numbers_only()
        return problem({d.name: (d.low, d.high) for d in self.dims})

    def _numbers_only(self) -> None:
        words = [d.name for d in self.dims if d.kind not in ("real", "integer")]
        if words:
            raise ConfigError(
                f"{', '.join(words)} is not allowed in a SALib problem: SALib samples numbers "
                "only (hold it fixed, or sample it with the EMA Workbench or Optuna)"
            )

    def from_sample(self, row: Iterable[float]) -> dict[str, Any]:
        """One row of a SALib sample as parameters: integers rounded to the nearest, as
        ``nicsim sensitivity`` runs them, each value checked as a config's would be."""
        self._numbers_only()
        fields = fields_of(get_model(self.model).params)
        row = list(row)
        if len(row) != len(self.dims):
            raise ConfigError(
                f"a sample row of {len(row)} values is not allowed: expected one value for "
                f"each of the {len(self.dims)} parameters ({', '.join(self.names)})"
            )
        out = {}
        for d, x in zip(self.dims, row, strict=True):
            x = plain(x)
            if not finite_number(x):
                raise ConfigError(
                    f"{d.name} = {x!r} is not allowed in a sample row: expected a finite number"
                )
            out[d.name] = check_value(d.name, sampled_value(fields, d.name, float(x)), fields)
        return out

    # -- the EMA Workbench --------------------------------------------------------------
    def ema_parameters(self) -> list[Any]:
        """EMA Workbench parameters: as a model's uncertainties or its levers."""
        import ema_workbench as ema

        made = {
            "real": lambda d: ema.RealParameter(d.name, d.low, d.high),
            "integer": lambda d: ema.IntegerParameter(d.name, d.low, d.high),
            "categorical": lambda d: ema.CategoricalParameter(d.name, list(d.choices)),
            "boolean": lambda d: ema.BooleanParameter(d.name),
        }
        return [made[d.kind](d) for d in self.dims]

    # -- Optuna -------------------------------------------------------------------------
    def suggest(self, trial: Any) -> dict[str, Any]:
        """One Optuna trial's parameters: a suggestion for each dimension."""
        out: dict[str, Any] = {}
        for d in self.dims:
            if d.kind == "real":
                out[d.name] = trial.suggest_float(d.name, d.low, d.high)
            elif d.kind == "integer":
                out[d.name] = trial.suggest_int(d.name, d.low, d.high)
            else:
                out[d.name] = trial.suggest_categorical(d.name, list(d.choices))
        return out

    # -- mesa.batch_run -----------------------------------------------------------------
    def grid(self, levels: int = 3) -> dict[str, list[Any]]:
        """``mesa.batch_run``'s ``parameters``: ``levels`` evenly spaced values of each
        number (distinct integers, rounded), every value of the others."""
        levels = plain(levels)
        if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2:
            raise ConfigError(f"levels = {levels!r} is not allowed: expected an integer >= 2")
        out: dict[str, list[Any]] = {}
        for d in self.dims:
            if d.kind == "real":
                out[d.name] = np.linspace(d.low, d.high, levels).tolist()
            elif d.kind == "integer":
                out[d.name] = sorted({round(x) for x in np.linspace(d.low, d.high, levels)})
            else:
                out[d.name] = list(d.choices)
        return out


def space(ranges: Ranges, model: str = "nic") -> ParameterSpace:
    """The parameter space of ``ranges`` (name -> ``(low, high)``, a list of values, or
    None for the table's whole range; a plain list of names takes every whole range)."""
    if isinstance(ranges, ParameterSpace):
        return ranges
    if isinstance(ranges, str):  # one name, not its letters
        ranges = [ranges]
    if not isinstance(ranges, Iterable):  # a Mapping is one too
        raise ConfigError(
            f"a parameter space of {ranges!r} is not allowed: expected names, or a mapping of "
            "each name to (low, high), a list of values or None"
        )
    if not isinstance(ranges, Mapping):
        ranges = dict.fromkeys(ranges)
    cls = get_model(model).params
    fields = fields_of(cls)
    for name in ranges:
        if name not in fields:
            raise unknown_parameter(cls, name)
    if not ranges:
        raise ConfigError("a parameter space needs at least one parameter")
    return ParameterSpace(model, tuple(_dimension(n, s, fields) for n, s in ranges.items()))


def _dimension(name: str, spec: Any, fields: dict[str, Any]) -> Dimension:
    f = fields[name]
    if f.type in ("bool", bool):
        values = [False, True] if spec is None else spec
        return Dimension(name, "boolean", choices=_choices(name, values, fields))
    if f.type in ("str", str):
        if "choices" not in f.metadata:
            raise ConfigError(
                f"{name} is not allowed in a parameter space: it takes numbers, true or false "
                f"and choices, and {name} is {allowed(f)}"
            )
        values = list(f.metadata["choices"]) if spec is None else spec
        return Dimension(name, "categorical", choices=_choices(name, values, fields))
    if spec is None:
        spec = (f.metadata.get("lo"), f.metadata.get("hi"))
        if None in spec:
            raise ConfigError(f"{name} needs a range: expected [low, high], each {allowed(f)}")
    bounds = tuple(plain(b) for b in spec) if isinstance(spec, list | tuple) else spec
    low, high = check_range(name, bounds, fields, name)
    if f.type in ("int", int):
        return Dimension(name, "integer", round(low), round(high))
    return Dimension(name, "real", float(low), float(high))


def _choices(name: str, values: Any, fields: dict[str, Any]) -> tuple[Any, ...]:
    """The distinct values of a choice or a flag, each checked as a config's would be."""
    if not isinstance(values, list | tuple) or not values:
        raise ConfigError(
            f"{name} = {values!r} is not allowed: expected a list of values, each "
            f"{allowed(fields[name])}"
        )
    return tuple(dict.fromkeys(check_value(name, v, fields) for v in values))


def ema_model(
    name: str,
    uncertainties: Ranges = (),
    levers: Ranges = (),
    outcomes: Iterable[str] = ("mean_outcome",),
    constants: Mapping[str, Any] | None = None,
    seed: int = 1,
    model: str = "nic",
) -> Any:
    """nicsim as an EMA Workbench model: ``nicsim.simulate`` with the given uncertainties
    and levers (spaces, or what :func:`space` takes), scalar outcomes named after metrics
    of ``runs.csv``, and other parameters held at ``constants`` (checked now, as a config
    file's keys are). Every experiment runs with ``seed``, so the policies face the same
    problem from the same start (common random numbers)."""
    import ema_workbench as ema

    spec = get_model(model)
    held = dict(constants or {})
    if "seed" in held:  # a run key, not a parameter: from_dict would call it unknown
        raise ConfigError("constants = {'seed': ...} is not allowed: pass seed=... instead")
    from_dict({"model": model, **held})
    check_run_key("seed", seed)  # now, not in the first experiment
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    for o in outcomes:
        if o not in spec.run_metrics:
            raise ConfigError(
                f"outcome {o!r} is not allowed: expected one of {', '.join(spec.run_metrics)}"
            )
    if model != "nic":
        held["model"] = model
    m = ema.Model(name, function=simulate)
    if uncertainties:
        m.uncertainties = space(uncertainties, model).ema_parameters()
    if levers:
        m.levers = space(levers, model).ema_parameters()
    m.outcomes = [ema.ScalarOutcome(o) for o in outcomes]
    m.constants = [ema.Constant(k, v) for k, v in {"seed": seed, **held}.items()]
    return m
