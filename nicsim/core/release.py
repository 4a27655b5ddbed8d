"""Freeing a finished Mesa model: what every model's ``release`` does."""

from __future__ import annotations

import mesa


def forget_model(model: mesa.Model) -> None:
    """Forget ``model`` in Mesa's class-level agent id counters.

    Mesa 3.3 keys ``Agent._ids`` by model and never drops a key, so a process that runs
    thousands of models would keep every one of them (about 2 MB each) alive. Mesa 3.5 has
    no such table; then there is nothing to forget.
    """
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)
