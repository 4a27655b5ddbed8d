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
candidate, which takes ``min_tests`` slots; the leader of the next free slot picks next
(only those leaders' scores are worked out: :func:`pickers`). Research offers not picked
are dropped: a university offers again.

A month's candidates are held for every district at once (:class:`Candidates`): the few
that come from elsewhere made in Python, the local variations found as arrays from the
month's draws and made into ideas only when picked, so that scoring reads every number
without a pass over Python objects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from .ideas import ChangeIdea, Evidence
from .knowledge import changes_for

if TYPE_CHECKING:
    import mesa

    from .beliefs import Changes
    from .testplan import TestPlan

Candidate = tuple[ChangeIdea, Evidence | None]


class Candidates:
    """A month's candidates of every district, numbered: first the ideas that come from
    elsewhere (``given``: promising inbox ideas and research offers, district by
    district, a few a month), then the local variations (flips of one component), found
    for every district at once as arrays and made into ideas only when picked.

    ``of[d]`` lists plan d's candidates in its order: given ones first (inbox best
    evidenced first, then research offers oldest first), then its variations in the order
    they were drawn. ``nodes``, ``masks`` and ``values`` hold every candidate's district
    and change.
    """

    def __init__(
        self,
        plans: list[TestPlan],
        given: list[Candidate],
        given_plans: list[int],
        variation_plans: np.ndarray,
        components: np.ndarray,
    ) -> None:
        self.plans = plans
        self.given = given
        self.components = components.tolist()  # the component each variation flips
        self.plan_of = given_plans + variation_plans.tolist()
        practice = np.array([plan.practice for plan in plans], dtype=np.int64)
        node = np.array([plan.district.node for plan in plans], dtype=np.int64)
        bits = np.left_shift(1, components)
        self.nodes = node[np.concatenate([np.array(given_plans, np.int64), variation_plans])]
        given_masks = np.array([idea.mask for idea, _ in given], dtype=np.int64)
        given_values = np.array([idea.values for idea, _ in given], dtype=np.int64)
        self.masks = np.concatenate([given_masks, bits])
        self.values = np.concatenate([given_values, ~practice[variation_plans] & bits])
        # plan d's given candidates are given[a[d]:a[d + 1]], its variations the v[d]-th
        # to the v[d + 1]-th candidates: both kinds come in plan order
        bounds = np.arange(len(plans) + 1)
        a = np.searchsorted(given_plans, bounds).tolist()
        v = (len(given) + np.searchsorted(variation_plans, bounds)).tolist()
        self.of: list[list[int]] = [
            [*range(a[d], a[d + 1]), *range(v[d], v[d + 1])] for d in range(len(plans))
        ]

    def __len__(self) -> int:
        return len(self.plan_of)

    def idea(self, i: int) -> ChangeIdea:
        """Candidate ``i`` as an idea: a variation is the district's own."""
        if i < len(self.given):
            return self.given[i][0]
        plan = self.plans[self.plan_of[i]]
        return plan.district.variation(self.components[i - len(self.given)], plan.practice)


def candidates(model: mesa.Model, plans: list[TestPlan], flips: np.ndarray) -> Candidates:
    """This month's candidates for every plan's free slots, each idea once per district,
    in a fixed order: inbox (best evidenced first), research offers, local variations
    (``flips``: (plans, slots, LOCAL_TRIES) drawn components; a free slot's draws count).
    A research offer or a local variation tried and closed before may be tried again (a
    rejection may have been noise); the inbox offers only ideas the district has no trial
    of (``District.pending``); one under test is planned by
    :func:`~nicsim.nic.learning.finish_cycles` or waits for a decision. A plan with no slot
    left has none and keeps its offers."""
    threshold = model.p.adoption_threshold
    given: list[Candidate] = []
    given_plans: list[int] = []
    blocked = np.zeros((len(plans), model.p.n_components), dtype=bool)
    for d, plan in enumerate(plans):
        if not plan.left:
            continue
        district, practice = plan.district, plan.practice
        testing, seen = district.testing, set(plan.planned)
        pending = sorted(
            district.pending_at(practice).items(), key=lambda kv: (-kv[1][1].mean_gain, kv[0])
        )
        for key, (idea, evidence) in pending:
            if evidence.mean_gain > threshold and key not in seen:
                given.append((idea, evidence))
                seen.add(key)
        for idea in district.research:
            key = idea.key
            if key not in testing and key not in seen and idea.apply(practice) != practice:
                given.append((idea, None))
                seen.add(key)
        district.research.clear()
        given_plans += [d] * (len(given) - len(given_plans))
        # a variation under test or already a candidate is not one again
        for mask, values in (*testing, *seen):
            if mask and not mask & (mask - 1) and values == ~practice & mask:
                blocked[d, mask.bit_length() - 1] = True
    owners, components = variations(plans, flips, blocked)
    return Candidates(plans, given, given_plans, owners, components)


def variations(
    plans: list[TestPlan], flips: np.ndarray, blocked: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every plan's local variations: the components drawn for its free slots (``flips``,
    the first ``left`` slots' rows), each at its first draw, less those ``blocked``
    ((plans, components)), as (plan, component) pairs in plan order, then draw order."""
    left = np.array([plan.left for plan in plans], dtype=np.int64)
    if left.size and left.max() > flips.shape[1]:  # the compiled loop would read past flips
        raise ValueError(
            f"a district plans {left.max()} tests this month but only {flips.shape[1]} fit "
            "(tests_per_leader x leaders_per_district): is a leader's skill outside [0, 1]?"
        )
    return _variations(np.ascontiguousarray(flips, dtype=np.int64), left, blocked)


@njit(cache=True)
def _variations(flips, left, blocked):
    """:func:`variations`: each plan's free slots' draws in order, a component once."""
    count, _, tries = flips.shape
    plan = np.empty(flips.size, dtype=np.int64)
    component = np.empty(flips.size, dtype=np.int64)
    k = 0
    for d in range(count):
        seen = blocked[d].copy()
        for s in range(left[d]):
            for t in range(tries):
                c = flips[d, s, t]
                if not seen[c]:
                    seen[c] = True
                    plan[k], component[k] = d, c
                    k += 1
    return plan[:k], component[:k]


def pickers(plans: list[TestPlan], candidates: Candidates) -> list[list[int]]:
    """The posts of the leaders who pick, plan by plan, in the order they pick: the
    holder of each free slot where a pick begins (a pick takes ``min_tests`` slots), as
    many as the district has candidates. Known before anything is scored."""
    return [
        plan.posts[plan.size :: plan.need][: len(options)]
        for plan, options in zip(plans, candidates.of, strict=True)
    ]


def scores(model: mesa.Model, candidates: Candidates, who: list[list[int]]) -> np.ndarray:
    """Each picking leader's score of every candidate of its district (``who``: the
    posts of :func:`pickers`), flat: district by district, picker by picker, candidate by
    candidate (:func:`picks` reads it). Only the leaders who pick score: the others'
    scores would never be read, and a score depends on nothing but its leader and idea."""
    p = model.p
    rows: list[int] = []  # the candidate each score is of, and the post scoring it
    posts: list[int] = []
    for options, posts_ in zip(candidates.of, who, strict=True):
        for post in posts_:
            rows += options
            posts += [post] * len(options)
    if not rows:
        return np.empty(0)
    nodes, masks, values = candidates.nodes, candidates.masks, candidates.values
    base = model.practice[nodes]
    changes = changes_for(model, nodes, base, (base & ~masks) | values)
    rows, posts = np.array(rows), np.array(posts)
    mean, var = model.beliefs.predict(posts, changes.entries[rows], changes.coeffs[rows])
    gain, spread, given = (x[rows] for x in outside_estimates(model, candidates, changes))
    if given.any():  # ideas that came with an estimate: two independent estimates combined
        with np.errstate(invalid="ignore", divide="ignore"):
            combined = (mean * spread + gain * var) / (var + spread)
        usable = given & np.isfinite(combined)
        mean = np.where(usable, combined, mean)
    error = model.keyed["judgment"].normal(model.month, posts, masks[rows], values[rows])
    error *= p.judgment_noise * (1 - model.skill[posts])
    return mean + error


def picks(score: np.ndarray, candidates: Candidates, who: list[list[int]]) -> list[list[int]]:
    """Each plan's picks, in order, as candidates' numbers: each picker in turn takes its
    best-scored candidate left, the first of equal scores (``score``: :func:`scores`)."""
    sizes = np.array([len(options) for options in candidates.of], dtype=np.int64)
    counts = [len(posts) for posts in who]
    places = _first_best(score, sizes, np.array(counts, dtype=np.int64)).tolist()
    out, first = [], 0
    for options, count in zip(candidates.of, counts, strict=True):
        out.append([options[i] for i in places[first : first + count]])
        first += count
    return out


@njit(cache=True)
def _first_best(score, sizes, pickers):
    """:func:`picks` over the flat scores: plan d's ``pickers[d]`` rows of ``sizes[d]``
    scores come one after another; returns each pick's place among its plan's candidates.
    Compiled: the month's picks are one call, not a Python ``max`` over a list per pick."""
    out = np.empty(pickers.sum(), dtype=np.int64)
    taken = np.zeros(sizes.max() if sizes.size else 0, dtype=np.bool_)
    row, k = 0, 0
    for d in range(sizes.size):
        n = sizes[d]
        taken[:n] = False
        for _ in range(pickers[d]):
            best = -1
            for i in range(n):  # strictly greater: the first of equal scores stays
                if not taken[i] and (best < 0 or score[row + i] > score[row + best]):
                    best = i
            taken[best] = True
            out[k] = best
            k += 1
            row += n
    return out


def outside_estimates(
    model: mesa.Model, candidates: Candidates, changes: Changes
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What others say a candidate will gain, and the variance of that estimate, for the
    candidates that come with one (``given``): an inbox idea its evidence, n tests read as
    n novice tests; a research offer the predicted gain on S of the university that made
    it, with the variance of that prediction. Either way the district's own context is
    unknown to the source, so the spread of the local part is added. A variation comes
    with none."""
    p, count, known = model.p, len(candidates), candidates.given
    tests, gain = np.zeros(count), np.zeros(count)
    offered = np.zeros(count, dtype=bool)
    if known:
        tests[: len(known)] = [ev.tests if ev else 0 for _, ev in known]
        gain[: len(known)] = [ev.mean_gain if ev else 0.0 for _, ev in known]
        offered[: len(known)] = [ev is None and idea.origin == "university" for idea, ev in known]
    local = changes.local_variance
    spread = p.measurement_noise**2 / np.maximum(tests, 1) + local
    given = tests > 0
    if offered.any():
        # each offer's estimate is the belief of the university that made it (its source)
        sources = np.array([idea.source for idea, _ in known], dtype=np.int64)
        rows = model.university_row[sources[offered[: len(known)]]]
        entries, coeffs = changes.shared()
        said, doubt = model.research_beliefs.predict(rows, entries[offered], coeffs[offered])
        gain[offered] = said
        spread[offered] = doubt + local[offered]
        given |= offered
    return gain, spread, given


def fill(plan: TestPlan, candidates: Candidates, picked: list[int]) -> None:
    """The plan's picks (:func:`picks`) take its free slots in turn, each ``min_tests`` of
    them or what is left."""
    for i in picked:
        plan.add(candidates.idea(i))
