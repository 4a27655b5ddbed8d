"""What every model's parameters share: typed, validated, frozen dataclass fields.

A model's parameters are a frozen dataclass (a :class:`ModelParams` subclass) whose fields
are declared with :func:`param`: each carries its meaning and allowed range in
``metadata``, and validation, ``--set`` parsing and the README's parameter tables all read
that one description. Frozen, so a run's parameters cannot drift after validation and can
be hashed, pickled to worker processes and written back out as TOML.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import field
from typing import Any, ClassVar

# The model a config runs when it names none: the NIC model, so every config written before
# there were other models means what it always meant.
DEFAULT_MODEL = "nic"


class ConfigError(ValueError):
    """A user's configuration mistake: reported as one line, never as a traceback."""


def param(default: Any, help: str, lo: float | None = None, hi: float | None = None, **kw: Any):
    """A parameter field: default, meaning and closed range [lo, hi] (None = unbounded)."""
    return field(default=default, metadata={"help": help, "lo": lo, "hi": hi, **kw})


class ModelParams:
    """What every model's frozen parameter dataclass shares (see ``nicsim.lab.registry``).

    A subclass names its model in ``MODEL``; its fields are declared with :func:`param`, so
    one validation path (:func:`check_fields`, ``nicsim.lab.config.from_dict``) serves every model.
    """

    MODEL: ClassVar[str] = DEFAULT_MODEL

    def replace(self, **changes: Any) -> Any:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Every parameter, led by ``model`` for any model but the default one.

        The key makes a written ``params.toml`` loadable again and puts the model in every
        ``runs.csv`` row; the default model omits it so NIC outputs keep their columns.
        """
        values = dataclasses.asdict(self)
        return values if self.MODEL == DEFAULT_MODEL else {"model": self.MODEL, **values}


@functools.cache
def fields_of(cls: type) -> dict[str, dataclasses.Field]:
    """A parameter dataclass's fields by name, in declaration order."""
    return {f.name: f for f in dataclasses.fields(cls)}


def allowed(f: dataclasses.Field) -> str:
    md = f.metadata
    if "allowed" in md:  # a range that depends on another field, checked by the model
        return md["allowed"]
    if "choices" in md:
        return "one of " + ", ".join(md["choices"])
    if f.type in ("bool", bool):
        return "true or false"
    if f.type in ("str", str):
        return "a string"
    kind = "an integer" if f.type in ("int", int) else "a number"
    lo, hi = md.get("lo"), md.get("hi")
    if lo is not None and hi is not None:
        return f"{kind} in [{lo:g}, {hi:g}]"
    if lo is not None:
        return f"{kind} >= {lo:g}"
    return kind


def as_integer(value: Any) -> int | None:
    """``value`` as an integer if it is one, else None.

    TOML reads ``1e7`` as a float, so a float without a fraction counts as the integer it
    names: every integer a config holds (a parameter, ``replications``, ``seed``, ``[sample]
    points``) is read this one way. A bool is not an integer, nor is a float with a fraction.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def check_value(name: str, value: Any, fields: dict[str, dataclasses.Field]) -> Any:
    """Type- and range-check one parameter of ``fields``, returning it in its canonical type."""
    f = fields[name]
    md = f.metadata
    bad = ConfigError(f"{name} = {value!r} is not allowed: expected {allowed(f)}")
    if f.type in ("bool", bool):
        if not isinstance(value, bool):
            raise bad
        return value
    if f.type in ("str", str):
        if not isinstance(value, str):
            raise bad
        if "choices" in md and value not in md["choices"]:
            raise bad
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad
    if f.type in ("int", int):
        value = as_integer(value)
        if value is None:
            raise bad
    else:
        value = float(value)
        if not math.isfinite(value):
            raise bad
    lo, hi = md.get("lo"), md.get("hi")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise bad
    return value


def check_fields(p: ModelParams) -> None:
    """Check and canonicalise every field of any model's parameters, in place."""
    fields = fields_of(type(p))
    for name in fields:
        object.__setattr__(p, name, check_value(name, getattr(p, name), fields))
