"""Reporters every model can use (Mesa's style: a reporter is a function of the model)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def count(name: str) -> Callable[[Any], int]:
    """A reporter of how many ``name`` events the model counted this step, in its
    ``counts`` (a ``Counter`` the model clears at the start of each step)."""

    def reporter(model: Any) -> int:
        return int(model.counts[name])

    reporter.__name__ = name
    reporter.__doc__ = f"{name.replace('_', ' ').capitalize()} in this step."
    return reporter
