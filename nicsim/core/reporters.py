"""Reporters every model can use (Mesa's style: a reporter is a function of the model)."""

from __future__ import annotations

from functools import partial
from typing import Any


def count(name: str) -> partial[int]:
    """A reporter of how many ``name`` events the model counted this step, in its
    ``counts`` (a ``Counter`` the model clears at the start of each step).

    A partial of a module function rather than a closure, so that a model holding it
    (through its data collector) can be pickled, for a process pool or a checkpoint; Mesa's
    ``DataCollector`` calls a partial with the model, as it calls a function.
    """
    reporter = partial(counted, name)
    reporter.__name__ = name
    reporter.__doc__ = f"{name.replace('_', ' ').capitalize()} in this step."
    return reporter


def counted(name: str, model: Any) -> int:
    """How many ``name`` events ``model`` counted this step."""
    return int(model.counts[name])
