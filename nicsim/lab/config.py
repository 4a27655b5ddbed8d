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
        raise ConfigError(f"unknown parameter {name!r}{suggest(name, known)}")
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


def from_dict(values: dict[str, Any], base: ModelParams | None = None) -> Any:
    """Build a model's parameters from a flat mapping, refusing unknown keys by name.

    The model is ``values["model"]`` if given, else ``base``'s, else the default (NIC).
    """
    values = dict(values)
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
    return make_params(cls, values, base)


@dataclass(frozen=True)
class RunConfig:
    """A config file resolved: its name, the parameters and how many runs from which seed."""

    name: str
    params: ModelParams
    replications: int = 10
    seed: int = 1


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
    raw.update(overrides or {})
    graph = raw.get("graph_file")
    if isinstance(graph, str) and "graph_file" not in (overrides or {}):
        raw["graph_file"] = beside(path, graph)
    try:
        run = {k: check_run_key(k, raw.pop(k)) for k in list(raw) if k in RUN_KEYS}
        params = from_dict(raw)
    except ConfigError as exc:
        raise ConfigError(f"{_source(str(exc), name, overrides or {})}: {exc}") from None
    return RunConfig(name=path.stem, params=params, **run)


def _source(message: str, name: str, overrides: dict[str, Any]) -> str:
    """Where the value a message is about came from: ``--set`` when the key it opens with
    was set on the command line (blaming the config file would send the user to the wrong
    place), else the config file ``name``."""
    key = message.split(" = ", 1)[0]
    return "--set" if key in overrides else name


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
        rows.append(f"| `{name}` | {f.metadata['help']} | `{default}` | {allowed(f)} |")
    return "\n".join(rows)
