"""What is measured (docs/ODD.md section 7.10): per-step reporters and the per-run summary.

Reporters are plain module functions of the model, as in Mesa's examples, so a new
outcome is one function and one line in ``STEP_REPORTERS``.
"""

from __future__ import annotations

import math
import weakref
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.reporters import count
from .ideas import ChangeIdea, Evidence, hub_rank, pool

if TYPE_CHECKING:  # Mesa loads with the model, not with its outcomes' names
    import mesa

    from .landscape import ContextLandscape


def _outcomes(model: mesa.Model) -> np.ndarray:
    return model.outcome[: len(model.districts)]


def _mean(x: np.ndarray) -> float:
    """``x.mean()`` to the last bit: numpy's sum, divided as a Python float (numpy's mean
    and its scalar arithmetic cost microseconds a call, and reporters run every step)."""
    return float(np.add.reduce(x)) / x.size


def mean_outcome(model: mesa.Model) -> float:
    return _mean(_outcomes(model))


def min_outcome(model: mesa.Model) -> float:
    return min(_outcomes(model).tolist())  # a few dozen numbers: cheaper than a numpy reduce


def outcome_sd(model: mesa.Model) -> float:
    x = _outcomes(model)
    deviation = x - _mean(x)  # numpy's std, without its per-call overhead
    deviation *= deviation
    return math.sqrt(_mean(deviation))


def equity_gap(model: mesa.Model) -> float:
    """Mean of the top quarter of districts minus the mean of the bottom quarter."""
    x = _outcomes(model).copy()
    x.sort()  # in place on a copy: what ``np.sort`` does, without its Python wrapper
    q = max(1, len(x) // 4)
    return _mean(x[-q:]) - _mean(x[:q])


def share_at_best(model: mesa.Model) -> float:
    """Share of districts whose fitness is within 1% of their context's maximum."""
    n = len(model.districts)
    f = model.landscape.fitness(model.practice[:n], model.context)
    return np.count_nonzero(f >= 0.99 * model.best_fitness) / n


def unique_practices(model: mesa.Model) -> int:
    return len(set(model.practice[: len(model.districts)].tolist()))


tests_run = count("tests_run")
ideas_adopted = count("ideas_adopted")
false_adoptions = count("false_adoptions")
leader_departures = count("leader_departures")
personal_ties_formed = count("personal_ties_formed")


def knowledge_lost(model: mesa.Model) -> float:
    """Information leavers took with them this step: sum of log(v0 / v) over their belief
    entries (docs/ODD.md, "Turnover")."""
    return float(model.counts["knowledge_lost"])


def personal_ties(model: mesa.Model) -> int:
    """Ties formed at convenings still alive (each ends when one of its leaders leaves)."""
    return len(model.personal)


def leader_belief_error(model: mesa.Model) -> float:
    """Mean over leaders of the root mean square error of their belief about the tables
    (S and their district's L); NaN when leaders hold no beliefs (``judgment = "model1"``).
    0.289 (= sqrt(1/12)) is the prior's."""
    beliefs = model.beliefs
    if beliefs is None:
        return float("nan")
    contexts = model.context[model.posts // model.p.leaders_per_district]
    return _mean(beliefs.error(_leader_truth(model.landscape), contexts))


# what a landscape's leaders' beliefs are about, made at its first report
_TRUTH: weakref.WeakKeyDictionary[ContextLandscape, np.ndarray] = weakref.WeakKeyDictionary()


def _leader_truth(land: ContextLandscape) -> np.ndarray:
    """The true tables of a leader's belief in each context, (contexts, entries): S's, then
    the context's L. Put together once per landscape rather than at every step."""
    made = _TRUTH.get(land)
    if made is None:
        contexts = np.arange(land.n_contexts)
        shared = np.broadcast_to(land.shared.table.ravel(), (contexts.size, land.shared.table.size))
        made = _TRUTH[land] = np.hstack([shared, land.local_tables(contexts)])
    return made


def university_belief_error(model: mesa.Model) -> float:
    """Mean over universities of the root mean square error of their belief about S: the
    "program design" a university brings (0 for an oracle); NaN without universities or
    without research (copy_best, conformity), where no university holds a belief."""
    beliefs = model.research_beliefs
    if beliefs is None:
        return float("nan")
    truth = model.landscape.shared.table.reshape(1, -1)
    return _mean(beliefs.error(truth, np.zeros(len(beliefs.mean), dtype=np.int64)))


def mean_skill(model: mesa.Model) -> float:
    """Mean leader skill; NaN when the run has no leaders (copy_best, conformity)."""
    skill = model.skill
    return _mean(skill) if skill.size else float("nan")


def ideas_in_circulation(model: mesa.Model) -> int:
    """Distinct ideas waiting in some district's inbox, not yet tested or practised there."""
    if model.p.learning != "pdsa":  # only PDSA tests ideas, shares them or gives a hub any
        return 0
    receivers = [d for d in model.districts if d.inbox]
    if not receivers:
        return 0
    practices = model.practice.tolist()
    return len(set().union(*[d.pending_at(practices[d.node]) for d in receivers]))


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
        leader_belief_error,
        university_belief_error,
        personal_ties,
        personal_ties_formed,
        knowledge_lost,
    )
}
STEP_METRICS = tuple(STEP_REPORTERS)
COUNT_METRICS = (
    "tests_run",
    "ideas_adopted",
    "false_adoptions",
    "leader_departures",
    "personal_ties_formed",
    "knowledge_lost",
)
# The values a metric can take, where narrower than any number: a mean lies there too, so a
# report cuts its interval to them (ModelSpec.ranges). Outcomes are open: percent units go
# below 0 for practices worse than the typical one.
SHARES = ("share_at_best", "mean_skill")
NON_NEGATIVE = (
    "outcome_sd",
    "equity_gap",
    "ideas_in_circulation",
    "leader_belief_error",
    "university_belief_error",
    "personal_ties",
    "steps_to_target",
    *COUNT_METRICS,
    *(f"total_{m}" for m in COUNT_METRICS),
)
RANGES = {
    **{m: (0.0, 1.0) for m in SHARES},
    **{m: (0.0, math.inf) for m in NON_NEGATIVE},
    "unique_practices": (1.0, math.inf),
}

RUN_METRICS = (
    *STEP_METRICS,
    *(f"total_{m}" for m in COUNT_METRICS),
    "average_outcome",
    "steps_to_target",
)


def steps_to_target(mean_outcomes: np.ndarray, target: float) -> int | None:
    """First step at which the mean outcome reaches ``target``; None if it never does."""
    hit = np.flatnonzero(np.asarray(mean_outcomes) >= target)
    return int(hit[0]) if hit.size else None


INTEGER_METRICS = (
    "unique_practices",
    *(m for m in COUNT_METRICS if m != "knowledge_lost"),
    "ideas_in_circulation",
    "personal_ties",
)


FIRST_ROWS = 1 << 16  # rows a Recorder holds before its run grows it (8.5 MiB of metrics)


class Recorder:
    """Model-level data collection into a preallocated array, one row per step.

    Mesa's ``DataCollector`` appends a deep copy of every value to a list per reporter;
    this fills a row of a numpy array instead, and offers the same ``model_vars`` and
    ``get_model_vars_dataframe`` views, so pages and notebooks read it the Mesa way.
    ``mesa.batch_run`` reads a data collector's private records too: the step of each
    row (Mesa 3.5 takes a run's last row by it) and the agents' records, of which
    there are none (every measure here is the model's).
    """

    def __init__(self, reporters: dict[str, Any], steps: int) -> None:
        self.names = tuple(reporters)
        self._reporters = tuple(reporters.values())
        # the planned horizon, or a first part of a very long one (it grows as it is run)
        self._data = np.empty((min(steps, FIRST_ROWS) + 1, len(self.names)))
        self._rows = 0
        self._collection_steps: list[int] = []
        self.agent_reporters: dict[str, Any] = {}
        self.agenttype_reporters: dict[type, dict[str, Any]] = {}
        self._agent_records: dict[int, list] = {}
        self._agenttype_records: dict[int, dict] = {}

    def collect(self, model: mesa.Model) -> None:
        if self._rows == len(self._data):  # run past its planned horizon: grow
            self._data = np.concatenate([self._data, np.empty_like(self._data)])
        self._data[self._rows] = [report(model) for report in self._reporters]
        self._rows += 1
        self._collection_steps.append(model.steps)

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


def timeseries(model: mesa.Model) -> dict[str, np.ndarray]:
    """Per-step metrics as columns, step 0 being the initial state."""
    data = model.datacollector.columns()
    return {"step": np.arange(len(data["mean_outcome"])), **data}


def run_summary(series: dict[str, np.ndarray], target: float) -> dict[str, Any]:
    """Final value of every metric, run totals of the counts, the mean outcome averaged
    over the run's months, and steps to target."""
    out: dict[str, Any] = {name: series[name][-1].item() for name in STEP_METRICS}
    for name in COUNT_METRICS:
        total = series[name].sum().item()
        out[f"total_{name}"] = int(total) if name in INTEGER_METRICS else total
    # the mean outcome averaged over months 1 to T: what the districts' students lived
    # through, not only where the run ended (Béteille et al. measure turnover's cost so)
    out["average_outcome"] = float(np.mean(series["mean_outcome"][1:]))
    out["steps_to_target"] = steps_to_target(series["mean_outcome"], target)
    return out


# -- per-idea measures for the classroom page and the animation -------------------------------
# Plain functions of a live model, deliberately not in STEP_REPORTERS: runs.csv columns are a
# contract, and these describe ideas (a varying set of keys), not one number per step.


def max_outcome(model: mesa.Model) -> float:
    """Best district outcome: the top of the page's min-max band."""
    return float(_outcomes(model).max())


def pooled_evidence(model: mesa.Model) -> dict[tuple[int, int], tuple[ChangeIdea, Evidence]]:
    """Every idea some district has tested, with all districts' own tests pooled.

    This is what the whole network knows about each idea, whether or not a hub exists to
    gather it, so "best evidenced" means the same thing in every design.
    """
    ideas: dict[tuple[int, int], ChangeIdea] = {}
    found: dict[tuple[int, int], list[Evidence]] = {}
    for district in model.districts:
        for key, trial in district.trials.items():
            if trial.results:
                ideas.setdefault(key, trial.idea)
                found.setdefault(key, []).append(trial.evidence)
    return {key: (ideas[key], pool(found[key])) for key in sorted(found)}


def best_evidenced_idea(model: mesa.Model) -> ChangeIdea | None:
    """The idea with the highest pooled mean gain over at least ``min_tests`` tests.

    Ranked as the hub ranks ideas at a convening (gain, then tests, then key) so the page
    highlights the idea a hub would broadcast first. None until some idea has enough tests.
    """
    need = model.p.min_tests
    ranked = [(idea, ev) for idea, ev in pooled_evidence(model).values() if ev.tests >= need]
    if not ranked:
        return None
    ranked.sort(key=hub_rank)
    return ranked[0][0]


def adopters(model: mesa.Model, key: tuple[int, int]) -> list[int]:
    """District nodes that adopted the idea ``key`` and still practise it."""
    return [
        d.node
        for d in model.districts
        if any(idea.key == key for idea, _ in d.embodied_adoptions())
    ]


def adoption_counts(model: mesa.Model) -> Counter[tuple[int, int]]:
    """How many districts practise each adopted idea (idea key -> districts)."""
    counts: Counter[tuple[int, int]] = Counter()
    for d in model.districts:
        counts.update({idea.key for idea, _ in d.embodied_adoptions()})
    return counts


def top_ideas(counts: Counter[tuple[int, int]], n: int = 3) -> list[tuple[int, int]]:
    """The ``n`` most widely adopted ideas (ties broken by key, so the order is stable)."""
    return [key for key, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def idea_label(key: tuple[int, int], n_components: int) -> str:
    """A short readable name for an idea: the components it sets, e.g. ``c3=1 c7=0``."""
    mask, values = key
    parts = [f"c{i}={values >> i & 1}" for i in range(n_components) if mask >> i & 1]
    return " ".join(parts) or "no change"
