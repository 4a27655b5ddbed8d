"""Judgment: how a district's leaders choose what to test (docs/ODD.md, "Judgment").

Under ``judgment = "belief"`` a month's candidates are the district's promising untested
ideas from its inbox, this month's research offers and LOCAL_TRIES random one-component
flips per free test slot: never the whole neighbourhood, so that a good belief makes a
leader a better chooser among a few ideas, not a steepest-ascent climber. Each leader
scores every candidate by

    predicted gain + Normal(0, (judgment_noise (1 - skill))^2),

the predicted gain being the leader's belief (``nicsim.nic.beliefs``), combined with
what others say of the idea as an independent estimate (inverse variance weights,
:func:`outside_estimates`): an inbox idea's evidence, or a research offer's university
estimate. The leader holding the first free slot picks its best-scored
candidate, which takes ``min_tests`` slots; the leader of the next free slot picks next.
Research offers not picked are dropped: a university offers again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .ideas import ChangeIdea, Evidence
from .knowledge import changes_for

if TYPE_CHECKING:
    import mesa

    from .beliefs import Changes
    from .testplan import TestPlan

Candidate = tuple[ChangeIdea, Evidence | None]


def candidates(plan: TestPlan, flips: list[list[int]]) -> list[Candidate]:
    """This month's candidates for ``plan``'s free slots, each once, in a fixed order:
    inbox (best evidenced first), research offers, local variations. An idea tried and
    closed before may be tried again (a rejection may have been noise); one under test
    is planned by :func:`~nicsim.nic.learning.finish_cycles` or waits for a decision."""
    district, practice = plan.district, plan.practice
    threshold = district.model.p.adoption_threshold
    testing, seen = district.testing, set(plan.planned)
    out: list[Candidate] = []
    pending = sorted(
        district.pending_at(practice).items(), key=lambda kv: (-kv[1][1].mean_gain, kv[0])
    )
    for key, (idea, evidence) in pending:
        if evidence.mean_gain > threshold and key not in seen:
            out.append((idea, evidence))
            seen.add(key)
    for idea in district.research:
        if idea.key not in testing and idea.key not in seen and idea.apply(practice) != practice:
            out.append((idea, None))
            seen.add(idea.key)
    district.research.clear()
    for tries in flips[: plan.left]:
        for component in tries:
            idea = district.variation(component, practice)
            if idea.key not in testing and idea.key not in seen:
                out.append((idea, None))
                seen.add(idea.key)
    return out


def scores(model: mesa.Model, plans: list[TestPlan], lists: list[list[Candidate]]) -> np.ndarray:
    """Every leader's score of every candidate of its district: (candidates, leaders per
    district), the candidates of all districts stacked in plan order."""
    p = model.p
    sizes = [len(c) for c in lists]
    count = sum(sizes)
    if not count:
        return np.empty((0, p.leaders_per_district))
    nodes = np.repeat([plan.district.node for plan in plans], sizes)
    flat = [c for cs in lists for c in cs]
    base = model.practice[nodes]
    masks = np.fromiter((idea.mask for idea, _ in flat), dtype=np.int64, count=count)
    values = np.fromiter((idea.values for idea, _ in flat), dtype=np.int64, count=count)
    new = (base & ~masks) | values
    changes = changes_for(model, nodes, base, new)
    posts = nodes[:, None] * p.leaders_per_district + np.arange(p.leaders_per_district)
    mean, var = model.beliefs.predict(posts, changes.entries, changes.coeffs)
    gain, spread, given = outside_estimates(model, nodes, flat, changes)
    if given.any():  # ideas that came with an estimate: two independent estimates combined
        with np.errstate(invalid="ignore", divide="ignore"):
            combined = (mean * spread[:, None] + gain[:, None] * var) / (var + spread[:, None])
        usable = given[:, None] & np.isfinite(combined)
        mean = np.where(usable, combined, mean)
    error = model.keyed["judgment"].normal(model.month, posts, masks[:, None], values[:, None])
    error *= p.judgment_noise * (1 - model.skill[posts])
    return mean + error


def outside_estimates(
    model: mesa.Model, nodes: np.ndarray, flat: list[Candidate], changes: Changes
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What others say a candidate will gain, and the variance of that estimate, for the
    candidates that come with one (``given``): an inbox idea its evidence, n tests read as
    n novice tests; a research offer its university's predicted gain on S, with the
    variance of that prediction. Either way the district's own context is unknown to the
    source, so the spread of the local part is added."""
    p, count = model.p, len(flat)
    tests = np.fromiter((ev.tests if ev else 0 for _, ev in flat), dtype=np.float64, count=count)
    gain = np.fromiter((ev.mean_gain if ev else 0.0 for _, ev in flat), float, count=count)
    local = changes.local_variance
    spread = p.measurement_noise**2 / np.maximum(tests, 1) + local
    given = tests > 0
    offered = np.fromiter(
        (ev is None and idea.origin == "university" for idea, ev in flat), bool, count=count
    )
    if offered.any():
        rows = model.partner_of[nodes[offered]]
        entries, coeffs = changes.shared()
        said, doubt = model.research_beliefs.predict(rows, entries[offered], coeffs[offered])
        gain[offered] = said
        spread[offered] = doubt + local[offered]
        given |= offered
    return gain, spread, given


def fill(plan: TestPlan, options: list[Candidate], score: Sequence[Sequence[float]]) -> None:
    """Each free slot's leader picks its best-scored candidate left, the first of equal
    scores (``score`` holds the district's rows of :func:`scores`).

    A district has a handful of candidates and two or three picks: plain Python over the
    rows costs less than the numpy calls a pick would take on arrays this small.
    """
    per = plan.district.model.p.leaders_per_district
    left = list(range(len(options)))  # in order, so ``max`` keeps the first of equals
    while plan.left and left:
        column = plan.posts[plan.size] % per  # the leader holding the first free slot
        pick = max(left, key=lambda i: score[i][column])
        left.remove(pick)
        plan.add(options[pick][0])
