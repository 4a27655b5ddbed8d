"""What is measured (DESIGN.md section 3.5): per-step reporters and the per-run summary.

Reporters are plain module functions of the model, as in Mesa's examples, so a new
outcome is one function and one line in ``STEP_REPORTERS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .model import NICModel


def _outcomes(model: NICModel) -> np.ndarray:
    return model.outcome[: len(model.districts)]


def mean_outcome(model: NICModel) -> float:
    return float(_outcomes(model).mean())


def min_outcome(model: NICModel) -> float:
    return float(_outcomes(model).min())


def outcome_sd(model: NICModel) -> float:
    return float(_outcomes(model).std())


def equity_gap(model: NICModel) -> float:
    """Mean of the top quarter of districts minus the mean of the bottom quarter."""
    x = np.sort(_outcomes(model))
    q = max(1, len(x) // 4)
    return float(x[-q:].mean() - x[:q].mean())


def share_at_best(model: NICModel) -> float:
    """Share of districts whose fitness is within 1% of their context's maximum."""
    n = len(model.districts)
    f = model.landscape.fitness(model.practice[:n], model.context)
    return float(np.mean(f >= 0.99 * model.best_fitness))


def unique_practices(model: NICModel) -> int:
    return int(np.unique(model.practice[: len(model.districts)]).size)


def _count(name: str):
    def reporter(model: NICModel) -> int:
        return int(model.counts[name])

    reporter.__name__ = name
    reporter.__doc__ = f"{name.replace('_', ' ').capitalize()} in this step."
    return reporter


tests_run = _count("tests_run")
ideas_adopted = _count("ideas_adopted")
false_adoptions = _count("false_adoptions")
leader_departures = _count("leader_departures")


def mean_skill(model: NICModel) -> float:
    """Mean leader skill; NaN when the run has no leaders (copy_best, conformity)."""
    leaders = model.leaders
    return float(np.mean([a.skill for a in leaders])) if len(leaders) else float("nan")


def ideas_in_circulation(model: NICModel) -> int:
    """Distinct ideas waiting in some district's inbox, not yet tested or practised there."""
    keys = {idea.key for d in model.districts for idea, _ in d.pending_ideas()}
    return len(keys)


STEP_REPORTERS = {
    f.__name__: f
    for f in (
        mean_outcome,
        min_outcome,
        outcome_sd,
        equity_gap,
        share_at_best,
        unique_practices,
        tests_run,
        ideas_adopted,
        false_adoptions,
        mean_skill,
        leader_departures,
        ideas_in_circulation,
    )
}
STEP_METRICS = tuple(STEP_REPORTERS)
COUNT_METRICS = ("tests_run", "ideas_adopted", "false_adoptions", "leader_departures")
RUN_METRICS = (*STEP_METRICS, *(f"total_{m}" for m in COUNT_METRICS), "steps_to_target")


def steps_to_target(mean_outcomes: np.ndarray, target: float) -> int | None:
    """First step at which the mean outcome reaches ``target``; None if it never does."""
    hit = np.flatnonzero(np.asarray(mean_outcomes) >= target)
    return int(hit[0]) if hit.size else None


def timeseries(model: NICModel) -> dict[str, np.ndarray]:
    """Per-step metrics as columns, step 0 being the initial state."""
    data = model.datacollector.model_vars
    cols = {"step": np.arange(len(data["mean_outcome"]))}
    cols.update({name: np.asarray(data[name]) for name in STEP_METRICS})
    return cols


def run_summary(series: dict[str, np.ndarray], target: float) -> dict[str, Any]:
    """Final value of every metric, run totals of the counts, and steps to target."""
    out: dict[str, Any] = {name: series[name][-1].item() for name in STEP_METRICS}
    for name in COUNT_METRICS:
        out[f"total_{name}"] = int(series[name].sum())
    out["steps_to_target"] = steps_to_target(series["mean_outcome"], target)
    return out
