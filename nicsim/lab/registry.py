"""The model registry: which models nicsim can run, and how, by name.

Following the EMA Workbench's separation of parameters, model, outcomes and evaluators, a
model is four things: a frozen parameter dataclass (a :class:`nicsim.core.params.ModelParams`
subclass naming the model in ``MODEL``), a factory ``(params, seed) -> model`` whose model
has ``run()`` and ``release()``, a ``timeseries(model)`` of per-step columns (``step``
first), and a ``summary(series, params)`` of final values. Plans, evaluators, the store,
resume and compare see only these, so a third model plugs in by adding one
:class:`ModelSpec` to ``REGISTRY``; a config selects it with ``model = "NAME"`` (default
``"nic"``). This module never imports the command line, the store or the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..core.params import DEFAULT_MODEL, ConfigError, ModelParams
from ..march import metrics as march_metrics
from ..march.params import MarchParams
from ..nic import metrics
from ..nic.params import Params

if TYPE_CHECKING:
    from ..march.model import MarchModel
    from ..nic.model import NICModel


class SimModel(Protocol):
    def run(self) -> Any: ...
    def release(self) -> None: ...


@dataclass(frozen=True)
class ModelSpec:
    """One registered model: parameters, model, outcomes, and how reports show them."""

    name: str
    params: type[ModelParams]
    factory: Callable[[Any, int], SimModel]
    timeseries: Callable[[Any], dict[str, np.ndarray]]
    summary: Callable[[dict[str, np.ndarray], Any], dict[str, Any]]
    # the columns ``summary`` adds to each runs.csv row, known before any run
    run_metrics: tuple[str, ...]
    # final metrics the run/sweep summary and `nicsim compare` tabulate
    report_metrics: tuple[str, ...]
    # time-series panels of the summary figures: (metric, axis label, file slug); the first
    # is the headline metric
    panels: tuple[tuple[str, str, str], ...]
    time_unit: str = "Step"
    # the metrics measured in the model's outcome units (``outcome_units``), which their
    # axis labels name; a skill, a count or a belief's error is not
    in_outcome_units: tuple[str, ...] = ()
    # the values a metric can take, (low, high), where narrower than any number: a mean lies
    # there too, so a report's interval of it is cut to them
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    description: str = ""

    def outcomes(
        self, params: ModelParams, seed: int
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Run one model to its horizon: its per-step columns and its summary (the final
        values ``runs.csv`` holds). Every way of running a model comes through here, so
        ``nicsim run``, a sweep's workers and ``nicsim.simulate`` give the same numbers."""
        model = self.factory(params, seed)
        model.run()
        series = self.timeseries(model)
        model.release()
        return series, self.summary(series, params)


# Models are imported when first built, not with the registry: a sweep's main process and
# the command line read parameters and outcomes only, and start faster without Mesa.
def _nic(params: Params, seed: int) -> NICModel:
    from ..nic.model import NICModel

    return NICModel(params, seed=seed)


def _nic_summary(series: dict[str, np.ndarray], params: Params) -> dict[str, Any]:
    return metrics.run_summary(series, params.target)


def _march(params: MarchParams, seed: int) -> MarchModel:
    from ..march.model import MarchModel

    return MarchModel(params, seed=seed)


NIC = ModelSpec(
    name="nic",
    params=Params,
    factory=_nic,
    timeseries=metrics.timeseries,
    summary=_nic_summary,
    run_metrics=metrics.RUN_METRICS,
    report_metrics=(
        "mean_outcome",
        "average_outcome",
        "min_outcome",
        "equity_gap",
        "share_at_best",
        "unique_practices",
        "total_tests_run",
        "total_ideas_adopted",
        "total_false_adoptions",
        "mean_skill",
        "total_leader_departures",
        "total_knowledge_lost",
        "personal_ties",
        "leader_belief_error",
        "university_belief_error",
        "steps_to_target",
    ),
    panels=(
        ("mean_outcome", "Mean outcome", "outcome"),
        ("equity_gap", "Equity gap (top - bottom quarter)", "equity"),
        ("mean_skill", "Mean leader skill", "skill"),
        ("personal_ties", "Personal ties alive", "ties"),
        ("university_belief_error", "Universities' belief error (RMS)", "research"),
    ),
    time_unit="Month",
    in_outcome_units=("mean_outcome", "equity_gap"),
    ranges=metrics.RANGES,
    description="networked improvement community (docs/ODD.md)",
)
MARCH = ModelSpec(
    name="march",
    params=MarchParams,
    factory=_march,
    timeseries=march_metrics.timeseries,
    summary=march_metrics.run_summary,
    run_metrics=march_metrics.RUN_METRICS,
    report_metrics=march_metrics.REPORT_METRICS,
    panels=(
        ("code_knowledge", "Code knowledge", "code"),
        ("mean_knowledge", "Mean individual knowledge", "individuals"),
    ),
    time_unit="Period",
    ranges=march_metrics.RANGES,
    description="March (1991) mutual learning between a code and individuals",
)
REGISTRY: dict[str, ModelSpec] = {spec.name: spec for spec in (NIC, MARCH)}
assert DEFAULT_MODEL in REGISTRY


def get_model(name: Any) -> ModelSpec:
    """The registered model called ``name``; a ConfigError naming the choices otherwise."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise ConfigError(f"model = {name!r} is not allowed: expected one of {', '.join(REGISTRY)}")
    return REGISTRY[name]


def for_params(params: ModelParams) -> ModelSpec:
    """The model that runs ``params``."""
    return REGISTRY[type(params).MODEL]
