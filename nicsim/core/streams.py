"""Named random streams from one seed: what every model's reproducibility rests on."""

from __future__ import annotations

import numpy as np


def spawn_streams(seed: int, names: tuple[str, ...]) -> dict[str, np.random.Generator]:
    """An independent generator for each source of randomness ``names``, all spawned from
    ``seed`` with ``numpy.random.SeedSequence``. The order of ``names`` fixes which child
    each source gets: appending a name leaves the earlier streams as they were."""
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(s) for name, s in zip(names, children, strict=True)}
