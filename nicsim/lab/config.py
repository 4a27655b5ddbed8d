"""Configs into parameters: TOML files and ``--set`` overrides, for any registered model.

A config is a flat TOML file of one model's parameters plus ``replications`` and ``seed``;
``model = "NAME"`` picks the model (default: the NIC). Every key is checked against the
model's fields, so a mistake is one line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.files import read_text_file
from ..core.params import (
    RUN_KEYS,
    ConfigError,
    ModelParams,
    allowed,
    check_run_key,
    checked_values,
    fields_of,
    make_params,
    suggest,
)
from ..nic.params import Params


def _known_keys() -> list[str]:
    """Every key a config or ``--set`` may name, of any registered model."""
    from .registry import REGISTRY

    names = {n: None for spec in REGISTRY.values() for n in fields_of(spec.params)}
    return [*names, *RUN_KEYS, "model"]


def parse_value(name: str, text: str) -> Any:
    """Parse a ``--set`` value as a TOML value, falling back to a bare string.

    The name is checked against every model's parameters here (the config, read later,
    says which model); :func:`from_dict` then refuses a key its model does not have.
    """
    known = _known_keys()
    if name not in known:
        raise ConfigError(
            f"--set {name}={text}: unknown parameter {name!r}{suggest(name, known)}: "
            "`nicsim params` lists them"
        )
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise ConfigError(f"--set {name}: the value is nested too deeply") from None


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """Turn ``["key=value", ...]`` into a dict, naming any malformed item.

    One item sets one key: a line break inside it (``$'steps=3\\nh=0.5'``) would otherwise
    be read as TOML that sets the first key and silently drops the rest.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set {item!r} is malformed: expected KEY=VALUE")
        if any(brk in item.strip() for brk in "\r\n"):
            raise ConfigError(
                f"--set {item!r} is not allowed: it has a line break; expected one KEY=VALUE "
                "per --set"
            )
        out[key] = parse_value(key, text.strip())
    return out


def _model_class(values: dict[str, Any], base: ModelParams | None) -> type:
    """The parameter class ``values`` are for, popping its ``model`` key: the one it names,
    else ``base``'s, else the default (NIC); a model other than ``base``'s is refused."""
    cls = type(base) if base is not None else Params
    if "model" in values:
        from .registry import get_model

        named = get_model(values.pop("model")).params
        if base is not None and named is not cls:
            raise ConfigError(
                f"model = {named.MODEL!r} is not allowed here: expected the base config's "
                f"model {cls.MODEL!r}"
            )
        cls = named
    return cls


def from_dict(values: dict[str, Any], base: ModelParams | None = None) -> Any:
    """Build a model's parameters from a flat mapping, refusing unknown keys by name.

    The model is ``values["model"]`` if given, else ``base``'s, else the default (NIC).
    """
    values = dict(values)
    return make_params(_model_class(values, base), values, base)


def unchecked_params(values: dict[str, Any], base: ModelParams | None = None) -> Any:
    """As :func:`from_dict`, every key and value checked, but not yet the rules that tie
    fields together: a sweep's base, which only each point (its grid and sampled values
    applied) must satisfy. Never run as it is: a point is made from it by
    :func:`from_dict`, which checks the whole."""
    values = dict(values)
    cls = _model_class(values, base)
    changes = checked_values(cls, values)
    start = base if base is not None else cls()
    params = object.__new__(cls)  # bypasses __post_init__, the cross-field rules
    for name in fields_of(cls):
        object.__setattr__(params, name, changes.get(name, getattr(start, name)))
    return params


def merge_run_options(
    overrides: dict[str, Any], replications: int | None = None, seed: int | None = None
) -> dict[str, Any]:
    """``--set`` overrides with ``--replications`` and ``--seed`` folded in, so that
    ``--set seed=5`` is ``--seed 5``; the same key given both ways is refused by name."""
    out = dict(overrides)
    for key, value in (("replications", replications), ("seed", seed)):
        if value is None:
            continue
        if key in out:
            raise ConfigError(
                f"--{key} {value} and --set {key}={out[key]} both set {key}: give one of them"
            )
        out[key] = value
    return out


@dataclass(frozen=True)
class RunConfig:
    """A config file resolved: its name, the parameters and how many runs from which seed."""

    name: str
    params: ModelParams
    replications: int = 10
    seed: int = 1
    file: str = ""  # how messages name the config file


def read_toml(path: str | Path, name: str | None = None) -> dict[str, Any]:
    """The table of a TOML file; any reason it cannot be read is one line naming the file.

    ``name`` is how messages name the file (default: its path).
    """
    name = name or str(path)
    text = read_text_file(path, "a TOML file", name)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML ({exc})") from None
    except RecursionError:  # tomllib recurses once per level of [[[...]]] or {a = {...}}
        raise ConfigError(f"{name}: not valid TOML (nested too deeply)") from None


def beside(file: Path, name: str) -> str:
    """A relative path written in ``file`` as its author meant it: beside that file when it
    exists there (so a config, a sweep and the files they name can travel together), else
    as written, from the current folder."""
    candidate = file.parent / name
    if name and not Path(name).is_absolute() and candidate.exists():
        return str(candidate)
    return name


def load_config(
    path: str | Path, overrides: dict[str, Any] | None = None, name: str | None = None
) -> RunConfig:
    """Read a TOML config (flat keys), apply ``--set`` overrides and validate the result.

    A relative ``graph_file`` is resolved against the config's own folder, so a config and
    its network file can travel together. Every message names the file as ``name`` (default:
    its path), so a sweep can say which of its keys named the config.
    """
    path = Path(path)
    name = name or str(path)
    raw = read_toml(path, name)
    for key, value in raw.items():
        if isinstance(value, dict):
            raise ConfigError(f"{name}: table [{key}] is not allowed: configs use flat keys")
    overrides = overrides or {}
    try:
        params, run = _resolved(path, raw, overrides)
        return RunConfig(path.stem, params, **run, file=name)
    except ConfigError as exc:
        raise ConfigError(f"{blame(str(exc), name, overrides, path, raw)}: {exc}") from None


def _resolved(
    path: Path, raw: dict[str, Any], overrides: dict[str, Any]
) -> tuple[ModelParams, dict[str, int]]:
    """A config's parameters and its replications and seed (those it sets), with
    ``overrides`` applied."""
    values = {**raw, **overrides}
    graph = values.get("graph_file")
    if isinstance(graph, str) and "graph_file" not in overrides:
        values["graph_file"] = beside(path, graph)
    run = {k: check_run_key(k, values.pop(k)) for k in list(values) if k in RUN_KEYS}
    return from_dict(values), run


def blame(
    message: str,
    name: str,
    overrides: dict[str, Any],
    path: Path | None = None,
    raw: dict[str, Any] | None = None,
) -> str:
    """Where the value a message is about came from: ``--set`` when the key it opens with
    was set on the command line (blaming the file would send the user to the wrong place);
    the file ``name`` "with --set ..." when the file (``path``, read as ``raw``) is fine
    without the overrides; else the file ``name``."""
    key = message.split(" = ", 1)[0]
    if key in overrides:
        return "--set"
    if overrides and raw is not None and path is not None:
        try:
            _resolved(path, raw, {})
        except ConfigError:
            return name
        return f"{name} with {set_text(overrides)}"
    return name


def set_text(overrides: dict[str, Any]) -> str:
    """``overrides`` as they were given: ``--set k=v --set k2=v2``."""
    items = (f"{k}={v if isinstance(v, str) else _toml_value(v)}" for k, v in overrides.items())
    return " ".join(f"--set {item}" for item in items)


def to_toml(values: dict[str, Any]) -> str:
    """Write a flat mapping as TOML (the subset the parameters need)."""
    return "".join(f"{key} = {_toml_value(value)}\n" for key, value in values.items())


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parameter_table(cls: type = Params) -> str:
    """The README's Markdown table of a model's parameters, generated from the fields, with
    the runs that read each where only some do (``read_in``)."""
    fields = fields_of(cls)
    scoped = any("read_in" in f.metadata for f in fields.values())
    rows = ["| name | meaning | default | allowed |" + (" read by |" if scoped else "")]
    rows.append("|---|---|---|---|" + ("---|" if scoped else ""))
    for name, f in fields.items():
        default = f.default if f.default != "" else '""'
        row = f"| `{name}` | {f.metadata['help']} | `{default}` | {allowed(f)} |"
        if scoped:
            read_in = f.metadata.get("read_in")
            row += f" {read_in.runs if read_in else ''} |"
        rows.append(row)
    return "\n".join(rows)
