"""Typed, validated model parameters: every default lives here and nowhere else.

A :class:`Params` is frozen so that a run's parameters cannot drift after validation, and
so that it can be hashed, pickled to worker processes and written back out as TOML.
Each field carries its meaning and allowed range in ``metadata``; validation, ``--set``
parsing and the README's parameter table all read that one description.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .landscape import EXACT_MAX_LIMIT

DESIGNS = (
    "siloed",
    "hub",
    "networked",
    "complete",
    "line",
    "full",
    "ring",
    "lattice",
    "random",
    "small_world",
    "file",
)
LEARNING_RULES = ("pdsa", "copy_best", "conformity")
# The model a config runs when it names none: the NIC model, so every config written before
# there were other models means what it always meant.
DEFAULT_MODEL = "nic"


class ConfigError(ValueError):
    """A user's configuration mistake: reported as one line, never as a traceback."""


def _p(default: Any, help: str, lo: float | None = None, hi: float | None = None, **kw: Any):
    """A parameter field: default, meaning and closed range [lo, hi] (None = unbounded)."""
    return field(default=default, metadata={"help": help, "lo": lo, "hi": hi, **kw})


class ModelParams:
    """What every model's frozen parameter dataclass shares (see ``nicsim.models``).

    A subclass names its model in ``MODEL``; its fields are declared with :func:`_p`, so
    one validation path (:func:`check_fields`, :func:`from_dict`) serves every model.
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


@dataclass(frozen=True)
class Params(ModelParams):
    """All model parameters. Groups follow DESIGN.md section 3."""

    # -- the improvement problem (landscape) --
    n_components: int = _p(12, "components N of a practice (bits)", 1, 62)
    k: int = _p(4, "interdependence K: other components each component depends on", 0, 61)
    h: float = _p(0.3, "context heterogeneity: weight of the local landscape", 0.0, 1.0)
    n_contexts: int = _p(0, "distinct local contexts (0 = one per district)", 0, None)
    outcome_exponent: float = _p(8.0, "outcome = (F / max F) ** exponent", 0.0, None)
    approximate_max: bool = _p(
        False, "allow N > 24 with a hill-climbing estimate of each context's maximum"
    )
    # -- population --
    partnerships: int = _p(11, "university-district partnerships", 1, None)
    districts_per_partnership: int = _p(3, "districts in each partnership", 1, None)
    n_districts: int = _p(
        0, "districts for the district-only designs (0 = partnerships x districts)", 0
    )
    leaders_per_district: int = _p(3, "improvement leaders per district", 0, None)
    initial_skill: float = _p(
        0.5, "upper bound of the starting leaders' skill, drawn from [novice_skill, this]", 0, 1
    )
    novice_skill: float = _p(0.2, "skill of a newly hired leader", 0.0, 1.0)
    # -- universities --
    research_rate: float = _p(0.2, "monthly chance a university offers each partner an idea", 0, 1)
    research_candidates: int = _p(
        5, "candidate ideas a university judges on the shared landscape", 1
    )
    training_rate: float = _p(
        0.03, "monthly skill gain from university coaching (of 1 - skill)", 0, 1
    )
    # -- leaders and PDSA --
    tests_per_leader: int = _p(1, "PDSA tests each leader runs a month", 0, None)
    learning_by_doing: float = _p(0.02, "skill gain per test (of 1 - skill)", 0.0, 1.0)
    turnover_rate: float = _p(0.19, "annual chance a leader leaves", 0.0, 1.0)
    measurement_noise: float = _p(0.02, "sd of a novice's measured gain (outcome units)", 0.0, None)
    expert_noise_ratio: float = _p(
        0.5, "noise of a fully skilled leader relative to a novice", 0, 1
    )
    min_tests: int = _p(2, "own tests of an idea before deciding on it", 1, None)
    adoption_threshold: float = _p(0.0, "mean observed gain needed to adopt an idea", None, None)
    share_prob: float = _p(0.5, "monthly chance an adopted idea is shared along each tie", 0, 1)
    # -- hub --
    convening_interval: int = _p(3, "months between hub convenings", 1, None)
    hub_broadcast: int = _p(3, "best-evidenced ideas the hub broadcasts at a convening", 0, None)
    tie_formation: float = _p(
        0.01, "chance two districts of different partnerships tie at a convening", 0, 1
    )
    # -- network design --
    design: str = _p("hub", "network design", choices=DESIGNS)
    cross_ties: float = _p(0.1, "networked: chance of each cross-partnership district tie", 0, 1)
    density: float = _p(0.2, "random: edge probability (Erdos-Renyi)", 0.0, 1.0)
    connected: bool = _p(False, "random: redraw the graph until it is connected (one component)")
    lattice_k: int = _p(2, "lattice/small_world: ties to the k nearest on each side", 1, None)
    rewirings: int = _p(5, "small_world: links rewired, never disconnecting the graph", 0, None)
    graph_file: str = _p("", "file: GraphML, GEXF or CSV edge list (source,target[,kind])")
    # -- learning rule --
    learning: str = _p("pdsa", "how districts improve", choices=LEARNING_RULES)
    velocity: float = _p(1.0, "copy_best/conformity: monthly chance to look at neighbours", 0, 1)
    copy_error: float = _p(0.0, "copy_best: chance each differing bit fails to copy", 0.0, 1.0)
    # -- run --
    steps: int = _p(36, "months simulated", 1, None)
    target: float = _p(0.9, "mean outcome that counts as reaching the target", 0.0, 1.0)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def districts(self) -> int:
        """Districts a built-in design will hold (a `file` design counts its own nodes)."""
        if self.design in NIC_DESIGNS or self.n_districts == 0:
            return self.partnerships * self.districts_per_partnership
        return self.n_districts


NIC_DESIGNS = ("siloed", "hub", "networked", "complete")
# District-only families (Lazer & Friedman 2007): no universities, no hub, n_districts nodes.
GENERIC_DESIGNS = ("line", "full", "ring", "lattice", "random", "small_world")


@functools.cache
def fields_of(cls: type) -> dict[str, dataclasses.Field]:
    """A parameter dataclass's fields by name, in declaration order."""
    return {f.name: f for f in dataclasses.fields(cls)}


FIELDS = fields_of(Params)
# Keys a config may hold beside the parameters: how many runs and from which seed.
RUN_KEYS = {"replications": (1, None), "seed": (0, 2**63 - 1)}


def _allowed(f: dataclasses.Field) -> str:
    md = f.metadata
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


def _check_value(name: str, value: Any, fields: dict[str, dataclasses.Field] = FIELDS) -> Any:
    """Type- and range-check one parameter of ``fields``, returning it in its canonical type."""
    f = fields[name]
    md = f.metadata
    bad = ConfigError(f"{name} = {value!r} is not allowed: expected {_allowed(f)}")
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
        if isinstance(value, float):
            if not value.is_integer():
                raise bad
            value = int(value)
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
        object.__setattr__(p, name, _check_value(name, getattr(p, name), fields))


def validate(p: Params) -> None:
    """Check every field, then the rules that tie fields together."""
    check_fields(p)
    if p.k >= p.n_components:
        raise ConfigError(f"k = {p.k} is not allowed: expected k < n_components ({p.n_components})")
    if p.n_components > EXACT_MAX_LIMIT and not p.approximate_max:
        raise ConfigError(
            f"n_components = {p.n_components} is not allowed: exact maxima need N <= "
            f"{EXACT_MAX_LIMIT}; set approximate_max = true to use an estimated maximum"
        )
    if p.novice_skill > p.initial_skill:
        raise ConfigError(
            f"initial_skill = {p.initial_skill} is not allowed: expected >= novice_skill "
            f"({p.novice_skill})"
        )
    if p.learning == "pdsa" and p.leaders_per_district == 0:
        raise ConfigError(
            "leaders_per_district = 0 is not allowed with learning = 'pdsa': PDSA tests need "
            "at least one leader (copy_best and conformity need none)"
        )
    if p.design == "file" and not p.graph_file:
        raise ConfigError("graph_file = '' is not allowed with design = 'file': name a graph file")
    if p.design in GENERIC_DESIGNS and p.districts < 2:
        raise ConfigError(
            f"n_districts = {p.n_districts} is not allowed with design = {p.design!r}: "
            f"expected >= 2 districts (0 means partnerships x districts_per_partnership = "
            f"{p.partnerships * p.districts_per_partnership})"
        )
    if p.design == "random" and p.connected:
        # A connected graph needs n - 1 ties. Below that on average, redrawing until one is
        # connected would almost never end, so say so now rather than after many draws.
        n = p.districts
        expected = p.density * n * (n - 1) / 2
        if expected < n - 1:
            raise ConfigError(
                f"density = {p.density} is not allowed with connected = true and {n} districts: "
                f"expected >= {2 / n:.4g} (a connected graph needs {n - 1} ties, this density "
                f"gives {expected:g} on average)"
            )


def _known_keys() -> list[str]:
    """Every key a config or ``--set`` may name, of any registered model."""
    from .models import REGISTRY

    names = {n: None for spec in REGISTRY.values() for n in fields_of(spec.params)}
    return [*names, *RUN_KEYS, "model"]


def parse_value(name: str, text: str) -> Any:
    """Parse a ``--set`` value as a TOML value, falling back to a bare string.

    The name is checked against every model's parameters here (the config, read later,
    says which model); :func:`from_dict` then refuses a key its model does not have.
    """
    known = _known_keys()
    if name not in known:
        raise ConfigError(f"unknown parameter {name!r}{_suggest(name, known)}")
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """Turn ``["key=value", ...]`` into a dict, naming any malformed item."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set {item!r} is malformed: expected KEY=VALUE")
        out[key] = parse_value(key, text.strip())
    return out


def _suggest(name: str, known: list[str] | None = None) -> str:
    import difflib

    close = difflib.get_close_matches(name, known or [*FIELDS, *RUN_KEYS], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_run_key(name: str, value: Any) -> int:
    lo, hi = RUN_KEYS[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi and value > hi):
        allowed = f"an integer >= {lo}" if hi is None else f"an integer in [{lo}, {hi}]"
        raise ConfigError(f"{name} = {value!r} is not allowed: expected {allowed}")
    return value


def from_dict(values: dict[str, Any], base: ModelParams | None = None) -> Any:
    """Build a model's parameters from a flat mapping, refusing unknown keys by name.

    The model is ``values["model"]`` if given, else ``base``'s, else the default (NIC).
    """
    values = dict(values)
    cls = type(base) if base is not None else Params
    if "model" in values:
        from .models import get_model

        named = get_model(values.pop("model")).params
        if base is not None and named is not cls:
            raise ConfigError(
                f"model = {named.MODEL!r} is not allowed here: expected the base config's "
                f"model {cls.MODEL!r}"
            )
        cls = named
    fields = fields_of(cls)
    for key in values:
        if key not in fields:
            where = "" if cls.MODEL == DEFAULT_MODEL else f" of model {cls.MODEL!r}"
            raise ConfigError(f"unknown parameter {key!r}{where}{_suggest(key, [*fields])}")
    changes = {k: _check_value(k, v, fields) for k, v in values.items()}
    return dataclasses.replace(base or cls(), **changes)


@dataclass(frozen=True)
class RunConfig:
    """A config file resolved: its name, the parameters and how many runs from which seed."""

    name: str
    params: ModelParams
    replications: int = 10
    seed: int = 1


def read_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, expected a TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Read a TOML config (flat keys), apply ``--set`` overrides and validate the result.

    A relative ``graph_file`` is resolved against the config's own folder, so a config and
    its network file can travel together.
    """
    path = Path(path)
    raw = read_toml(path)
    for key, value in raw.items():
        if isinstance(value, dict):
            raise ConfigError(f"{path}: table [{key}] is not allowed: configs use flat keys")
    raw.update(overrides or {})
    run = {k: check_run_key(k, raw.pop(k)) for k in list(raw) if k in RUN_KEYS}
    graph = raw.get("graph_file")
    if isinstance(graph, str) and graph and "graph_file" not in (overrides or {}):
        candidate = path.parent / graph
        if not Path(graph).is_absolute() and candidate.exists():
            raw["graph_file"] = str(candidate)
    try:
        params = from_dict(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return RunConfig(name=path.stem, params=params, **run)


def to_toml(values: dict[str, Any]) -> str:
    """Write a flat mapping as TOML (the subset the parameters need)."""
    lines = []
    for key, value in values.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str):
            text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        elif isinstance(value, float):
            text = repr(value)
        else:
            text = str(value)
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


def parameter_table(cls: type = Params) -> str:
    """The README's Markdown table of a model's parameters, generated from the fields."""
    rows = ["| name | meaning | default | allowed |", "|---|---|---|---|"]
    for name, f in fields_of(cls).items():
        default = f.default if f.default != "" else '""'
        rows.append(f"| `{name}` | {f.metadata['help']} | `{default}` | {_allowed(f)} |")
    return "\n".join(rows)
