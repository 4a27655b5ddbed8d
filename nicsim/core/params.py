"""What every model's parameters share: typed, validated, frozen dataclass fields.

A model's parameters are a frozen dataclass (a :class:`ModelParams` subclass) whose fields
are declared with :func:`param`: each carries its meaning and allowed range in
``metadata``, and validation, ``--set`` parsing and the README's parameter tables all read
that one description. Frozen, so a run's parameters cannot drift after validation and can
be hashed, pickled to worker processes and written back out as TOML.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import functools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

# The model a config runs when it names none: the NIC model, so every config written before
# there were other models means what it always meant.
DEFAULT_MODEL = "nic"


class ConfigError(ValueError):
    """A user's configuration mistake: reported as one line, never as a traceback."""


def param(default: Any, help: str, lo: float | None = None, hi: float | None = None, **kw: Any):
    """A parameter field: default, meaning and closed range [lo, hi] (None = unbounded).

    ``read_in`` (a :class:`ReadIn`) says which runs read it, for a parameter that only some
    configurations read (``velocity`` only the imitation rules): a value set where no run
    reads it is warned of (:func:`unread_settings`)."""
    return field(default=default, metadata={"help": help, "lo": lo, "hi": hi, **kw})


@dataclass(frozen=True)
class ReadIn:
    """The runs that read a parameter: ``reads(params)`` decides, ``runs`` names them in a
    warning ("only {runs} read it")."""

    runs: str
    reads: Callable[[Any], bool]


class ModelParams:
    """What every model's frozen parameter dataclass shares (see ``nicsim.lab.registry``).

    A subclass names its model in ``MODEL``; its fields are declared with :func:`param`, so
    one validation path (:func:`check_fields`, ``nicsim.lab.config.from_dict``) serves every model.
    """

    MODEL: ClassVar[str] = DEFAULT_MODEL

    def replace(self, **changes: Any) -> Any:
        return dataclasses.replace(self, **changes)

    def unread(self) -> dict[str, str]:
        """The parameters that a run of these parameters does not read (their value changes
        none of its outputs), each with the runs that do read it: the fields declared
        ``read_in`` whose runs these are not."""
        return {
            name: f.metadata["read_in"].runs
            for name, f in fields_of(type(self)).items()
            if "read_in" in f.metadata and not f.metadata["read_in"].reads(self)
        }

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


def finite_number(value: Any) -> bool:
    """Whether ``value`` is a finite int or float (a bool is not a number here)."""
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


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


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds; any other value as it is.

    Libraries that sample parameters (SALib, the EMA Workbench, Optuna) hand over numpy
    numbers, which are no ``int`` (``np.int64``) or print as ``np.float64(0.5)``: read
    this way, a sampled value is checked, and named in a message, as the same value typed
    in a config file would be. Nothing is imported: a config's values are never numpy's.
    """
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def shown(value: Any) -> str:
    """A value as a message names it: as written in a config (``repr``), but an integer of
    more than 15 digits in ``1e+300`` form (``1e300`` in TOML is an integer of 301 digits)
    and a TOML date or time as written (``2024-01-01``, not ``datetime.date(...)``)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"{value:.6g}"
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return repr(value)


def check_value(name: str, value: Any, fields: dict[str, dataclasses.Field]) -> Any:
    """Type- and range-check one parameter of ``fields``, returning it in its canonical type."""
    f = fields[name]
    value = plain(value)
    md = f.metadata
    bad = ConfigError(f"{name} = {shown(value)} is not allowed: expected {allowed(f)}")
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


@dataclass(frozen=True)
class NeverRead:
    """A parameter that no run of a plan reads: the runs that would read it, and the values
    set away from its default (each once, in order)."""

    runs: str
    set_to: list[Any]

    def values(self) -> str:
        """The values set, as a message names them: a few each, many (a sampled range) as
        their count and span."""
        if len(self.set_to) <= 3:
            return " or ".join(shown(v) for v in self.set_to)
        return (
            f"{len(self.set_to)} values from {shown(min(self.set_to))} to {shown(max(self.set_to))}"
        )


def never_read(examined: Iterable[ModelParams]) -> dict[str, NeverRead]:
    """The parameters that no run of ``examined`` (the parameters of every point of a plan,
    or of the one run) reads."""
    unread: dict[str, str] | None = None
    set_to: dict[str, dict[Any, None]] = {}  # each value once, in order
    for params in examined:
        here = params.unread()
        if unread is None:
            unread, defaults = here, type(params)()
        else:
            unread = {name: runs for name, runs in unread.items() if name in here}
        if not unread:
            return {}
        for name in unread:
            value = getattr(params, name)
            if value != getattr(defaults, name):
                set_to.setdefault(name, {})[value] = None
    return {
        name: NeverRead(runs, list(set_to.get(name, ()))) for name, runs in (unread or {}).items()
    }


def unread_settings(examined: Iterable[ModelParams]) -> list[str]:
    """A warning for each parameter that no run of ``examined`` reads but that is set away
    from its default in some of them: a user who sets ``velocity`` for a PDSA run, or
    ``graph_file`` and forgets ``design = "file"``, would otherwise get runs that ignore it
    without a word. A sweep over designs that sets a graph file for its file design is not
    warned."""
    return unread_warnings(never_read(examined))


def unread_warnings(never: dict[str, NeverRead]) -> list[str]:
    """The warnings of :func:`unread_settings`, of parameters :func:`never_read` found."""
    return [
        f"{name} = {unread.values()} is not read: only {unread.runs} read it"
        for name, unread in never.items()
        if unread.set_to
    ]


def suggest(name: str, known: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the known name closest to a mistyped one, else ``""``."""
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_parameter(cls: type, key: str) -> ConfigError:
    """The error for a key that none of ``cls``'s fields has, with the closest known name."""
    where = "" if cls.MODEL == DEFAULT_MODEL else f" of model {cls.MODEL!r}"
    return ConfigError(f"unknown parameter {key!r}{where}{suggest(key, [*fields_of(cls)])}")


def make_params(cls: type, values: Mapping[str, Any], base: ModelParams | None = None) -> Any:
    """``cls``'s parameters from a flat mapping, as a config file's keys are read.

    Every key is checked against the model's fields (an unknown one is named, with the
    closest known name) and every value against its field, then the rules that tie
    fields together (``__post_init__``). A config file, ``--set``, a sweep and a Python
    keyword all come through here, so a mistake reads the same wherever it was made.
    ``base`` (default: the defaults) supplies the parameters not named.
    """
    return dataclasses.replace(base or cls(), **checked_values(cls, values))


def checked_values(cls: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` each checked on its own as one of ``cls``'s fields (an unknown key named,
    with the closest known name), in its canonical type; not the rules that tie fields
    together."""
    fields = fields_of(cls)
    for key in values:
        if key not in fields:
            raise unknown_parameter(cls, key)
    return {k: check_value(k, v, fields) for k, v in values.items()}


# Keys a config may hold beside the parameters: how many runs and from which seed.
RUN_KEYS = {"replications": (1, None), "seed": (0, 2**63 - 1)}


def check_run_key(name: str, value: Any, label: str | None = None) -> int:
    """``replications`` or ``seed`` checked, read as every integer is (``1e3`` is 1000).

    ``label`` is how a message names the key (default ``name``: Mesa's ``rng`` is a seed).
    """
    lo, hi = RUN_KEYS[name]
    value = plain(value)
    number = as_integer(value)
    if number is None or number < lo or (hi and number > hi):
        allowed = f"an integer >= {lo}" if hi is None else f"an integer in [{lo}, {hi}]"
        raise ConfigError(f"{label or name} = {value!r} is not allowed: expected {allowed}")
    return number


def model_inputs(
    cls: type,
    params: ModelParams | None,
    values: Mapping[str, Any],
    seed: Any,
    rng: Any,
    default_seed: int = 1,
) -> tuple[Any, int]:
    """A model's parameters and seed from what its constructor was given, Mesa's way or
    nicsim's: a parameter object, keywords (on top of it, if both), and a seed as
    ``seed`` or as Mesa's ``rng`` (what ``mesa.batch_run`` passes, ``None`` when it has
    none), each checked as a config file's would be. Neither given is seed 1, the first
    replication of `nicsim run` and `simulate`'s default.
    """
    if params is not None and not isinstance(params, cls):
        raise ConfigError(
            f"params = {params!r} is not allowed: expected {cls.__name__} or keywords"
        )
    p = make_params(cls, values, params) if values else params or cls()
    if seed is not None and rng is not None:
        raise ConfigError(f"seed = {seed!r} and rng = {rng!r}: expected one seed, not both")
    if seed is None and rng is None:
        return p, default_seed
    return p, check_run_key("seed", rng if seed is None else seed, "rng" if seed is None else None)
