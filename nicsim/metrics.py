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
    x = _outcomes(model)
    return float(x.sum() / x.size)


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
    keys = {idea.key for d in model.districts if d.inbox for idea, _ in d.pending_ideas()}
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


INTEGER_METRICS = ("unique_practices", *COUNT_METRICS, "ideas_in_circulation")


class Recorder:
    """Model-level data collection into a preallocated array, one row per step.

    Mesa's ``DataCollector`` appends a deep copy of every value to a list per reporter;
    this fills a row of a numpy array instead, and offers the same ``model_vars`` and
    ``get_model_vars_dataframe`` views, so pages and notebooks read it the Mesa way.
    """

    def __init__(self, reporters: dict[str, Any], steps: int) -> None:
        self.names = tuple(reporters)
        self._reporters = tuple(reporters.values())
        self._data = np.empty((steps + 1, len(self.names)))
        self._rows = 0

    def collect(self, model: NICModel) -> None:
        if self._rows == len(self._data):  # run past its planned horizon: grow
            self._data = np.concatenate([self._data, np.empty_like(self._data)])
        self._data[self._rows] = [report(model) for report in self._reporters]
        self._rows += 1

    def columns(self) -> dict[str, np.ndarray]:
        """Each metric over the steps so far; counts as integers."""
        data = self._data[: self._rows]
        return {
            name: data[:, j].astype(np.int64) if name in INTEGER_METRICS else data[:, j].copy()
            for j, name in enumerate(self.names)
        }

    @property
    def model_vars(self) -> dict[str, list]:
        return {name: col.tolist() for name, col in self.columns().items()}

    def get_model_vars_dataframe(self):
        import pandas as pd

        return pd.DataFrame(self.columns())


def timeseries(model: NICModel) -> dict[str, np.ndarray]:
    """Per-step metrics as columns, step 0 being the initial state."""
    data = model.datacollector.columns()
    return {"step": np.arange(len(data["mean_outcome"])), **data}


def run_summary(series: dict[str, np.ndarray], target: float) -> dict[str, Any]:
    """Final value of every metric, run totals of the counts, and steps to target."""
    out: dict[str, Any] = {name: series[name][-1].item() for name in STEP_METRICS}
    for name in COUNT_METRICS:
        out[f"total_{name}"] = int(series[name].sum())
    out["steps_to_target"] = steps_to_target(series["mean_outcome"], target)
    return out
