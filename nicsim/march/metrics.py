"""What is measured in the March model: per-period reporters and the per-run summary.

Knowledge is the proportion of the ``m`` dimensions of reality that beliefs represent
correctly (a 0 belief counts as wrong, or as half right with ``zero_belief = "half"``).
Reporters read the scores the model keeps for the current period, so collecting costs
no more than the step that produced them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.reporters import count
from .params import MarchParams

if TYPE_CHECKING:  # Mesa loads with the model, not with its outcomes' names
    import mesa


def code_knowledge(model: mesa.Model) -> float:
    """Proportion of reality the organisational code represents correctly."""
    return model.code_score / (2 * model.p.m)


def code_net_knowledge(model: mesa.Model) -> float:
    """The code's right minus wrong dimensions over ``m`` (-1..1): the scale of the original
    program's output and of public replications, kept so they can be compared as printed."""
    return float((model.code.astype(np.int32) * model.reality).sum()) / model.p.m


def mean_knowledge(model: mesa.Model) -> float:
    """Mean proportion of reality the individuals represent correctly."""
    return float(model.scores.mean()) / (2 * model.p.m)


def _group_knowledge(model: mesa.Model, fast: bool) -> float:
    rows = np.arange(model.p.n) < model.p.n_fast
    group = model.scores[rows if fast else ~rows]
    return float(group.mean()) / (2 * model.p.m) if group.size else float("nan")


def fast_knowledge(model: mesa.Model) -> float:
    """Mean knowledge of the fast learners (NaN when there are none)."""
    return _group_knowledge(model, True)


def slow_knowledge(model: mesa.Model) -> float:
    """Mean knowledge of the individuals who socialise at p1 (NaN when all are fast)."""
    return _group_knowledge(model, False)


def belief_diversity(model: mesa.Model) -> float:
    """Chance that two individuals drawn at random (with replacement) differ on a random
    dimension: the Gini-Simpson index of {-1, 0, +1}, averaged over dimensions. It falls
    to 0 as socialisation makes everyone alike, the loss of exploration March describes."""
    shares = np.stack([(model.beliefs == v).mean(axis=0) for v in (-1, 0, 1)])
    return float(1.0 - (shares**2).sum(axis=0).mean())


def superior_size(model: mesa.Model) -> int:
    """Individuals whose knowledge exceeds the code's: those the code can learn from."""
    return int(model.superior.sum())


def equilibrium(model: mesa.Model) -> bool:
    """Whether no change is possible any more (never, with turnover or turbulence)."""
    return bool(model.equilibrium)


belief_changes = count("belief_changes")
code_changes = count("code_changes")
newcomers = count("newcomers")

STEP_REPORTERS = {
    f.__name__: f
    for f in (
        code_knowledge,
        code_net_knowledge,
        mean_knowledge,
        fast_knowledge,
        slow_knowledge,
        belief_diversity,
        superior_size,
        belief_changes,
        code_changes,
        newcomers,
        equilibrium,
    )
}
STEP_METRICS = tuple(STEP_REPORTERS)
RUN_METRICS = (*STEP_METRICS, "periods", "periods_to_equilibrium")
# The values a metric can take (see nicsim.nic.metrics.RANGES): proportions, and counts
SHARES = (
    "code_knowledge",
    "mean_knowledge",
    "fast_knowledge",
    "slow_knowledge",
    "belief_diversity",
    "equilibrium",
)
COUNTS = (
    "superior_size",
    "belief_changes",
    "code_changes",
    "newcomers",
    "periods",
    "periods_to_equilibrium",
)
RANGES = {
    **{m: (0.0, 1.0) for m in SHARES},
    **{m: (0.0, math.inf) for m in COUNTS},
    "code_net_knowledge": (-1.0, 1.0),
}
REPORT_METRICS = (
    "code_knowledge",
    "code_net_knowledge",
    "mean_knowledge",
    "belief_diversity",
    "superior_size",
    "periods",
    "periods_to_equilibrium",
)


def timeseries(model: mesa.Model) -> dict[str, np.ndarray]:
    """Per-period metrics as columns, period 0 being the initial state.

    A run that reaches equilibrium ends there: after it nothing can change, so every later
    period would repeat the last row.
    """
    data = model.datacollector.model_vars
    cols = {"step": np.arange(len(data["code_knowledge"]))}
    cols.update({name: np.asarray(data[name]) for name in STEP_METRICS})
    return cols


def run_summary(series: dict[str, np.ndarray], params: MarchParams) -> dict[str, Any]:
    """Final value of every metric, the periods run, and the first period at equilibrium
    (None if the run hit ``max_periods`` first, or had turnover or turbulence)."""
    out: dict[str, Any] = {name: series[name][-1].item() for name in STEP_METRICS}
    out["periods"] = int(series["step"][-1])
    hit = np.flatnonzero(series["equilibrium"])
    out["periods_to_equilibrium"] = int(hit[0]) if hit.size else None
    return out
