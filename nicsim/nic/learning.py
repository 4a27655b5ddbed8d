"""Learning rules: how districts improve their practice in one step (docs/ODD.md, sections 7.2-7.6).

Each rule reads the practices at the start of the step and writes the new ones only after
every district has decided (synchronous update), so the order in which districts act does
not matter. Candidate practices are scored in one batched landscape call per step.
"""

from __future__ import annotations

from collections import Counter

import mesa
import numpy as np

from . import judgment
from .agents import District, learn_by_doing, noise_sd
from .ideas import ChangeIdea, Evidence
from .knowledge import learn_from_tests, research_fitness
from .landscape import bits_to_codes
from .testplan import TestPlan

BIT = np.int64(1) << np.arange(62, dtype=np.int64)  # BIT[i]: the code of component i alone


# -- PDSA --------------------------------------------------------------------------------------
LOCAL_TRIES = 4  # draws for a local variation not tried yet before re-testing a tried one


def research(model: mesa.Model) -> None:
    """Universities offer partners the best of a few 2-3 component changes, judged on
    their belief about S (the shared landscape itself when ``research_quality`` is 1).

    Research knows the general problem and the district's current practice, not its local
    context, so what it offers can fail locally when h is high. Every partnership's offers
    are drawn and judged together, in one batch.
    """
    p, month = model.p, model.month
    nodes, sources = model.research_pairs
    draws = model.keyed["research_offers"].uniform(month, nodes, sources)
    offering = (draws < p.research_rate).nonzero()[0]
    if not offering.size:
        return
    n, m, c = p.n_components, offering.size, p.research_candidates
    width = min(3, n)
    # one draw per candidate and component orders the components at random (the first
    # ``size`` of them change); one more picks 2 or 3 components, each half the time
    u = model.keyed["research_ideas"].uniform(
        month,
        nodes[offering, None, None],
        sources[offering, None, None],
        np.arange(c)[:, None],
        np.arange(n + 1),
    )
    # the first ``width`` of a random order: distinct components. The stable sort is the
    # faster one for rows of a few components, and draws that differ sort the same either way
    bits = BIT.take(u[..., :n].argsort(axis=-1, kind="stable")[..., :width])
    if width == 3:  # the third component half the time
        bits[..., 2] *= u[..., n] < 0.5
    # column 0 is no change (the practice itself): argmax stays there unless a candidate
    # is strictly better
    masks = np.zeros((m, c + 1), dtype=np.int64)
    np.add.reduce(bits, axis=-1, out=masks[:, 1:])
    takers = nodes[offering]
    x = model.practice[takers]
    rows = model.partner_of[takers][:, None]  # the offering university's belief
    best = research_fitness(model, x[:, None] ^ masks, rows).argmax(axis=1).tolist()
    masks, practices = masks.tolist(), x.tolist()  # read out as lists: a few offers a month
    takers, offerers = takers.tolist(), sources[offering].tolist()
    for i, j in enumerate(best):
        if j:  # an offer that beats the practice
            mask = masks[i][j]
            idea = ChangeIdea(mask, ~practices[i] & mask, "university", offerers[i])
            model.agent_at[takers[i]].research.append(idea)


def plan_tests(plan: TestPlan, flips: list[list[int]]) -> TestPlan:
    """Plan: fill ``plan`` with what this month's PDSA tests try, in order of preference.

    1. ideas under test (from earlier months) that still need tests to reach
       ``min_tests``, the most advanced first: finish the cycle first;
    2. the best-evidenced untested ideas in the inbox;
    3. research ideas from a partner university, oldest first;
    4. local variations: flip one component, preferring one not tried yet (``flips``
       holds LOCAL_TRIES pre-drawn components for each variation).
    """
    district, practice = plan.district, plan.practice
    if not finish_cycles(plan):
        return plan
    threshold = district.model.p.adoption_threshold
    promising = [
        item for item in district.pending_at(practice).values() if item[1].mean_gain > threshold
    ]
    for idea, _ in sorted(promising, key=_pending_rank, reverse=True):
        if not plan.left:
            return plan
        plan.add(idea)

    research = district.research
    while research and plan.left:
        idea = research.pop(0)
        if plan.is_new(idea) and idea.apply(practice) != practice:
            plan.add(idea)

    for tries in flips:
        if not plan.left:
            break
        for component in tries:
            idea = district.variation(component, practice)
            if plan.is_new(idea):
                break
        plan.add(idea)  # if every try was tried before, the last one is tried again
    return plan


def finish_cycles(plan: TestPlan) -> bool:
    """Ideas under test (from earlier months) that still need tests to reach
    ``min_tests``, the most advanced first; whether slots are left."""
    district, practice, need = plan.district, plan.practice, plan.need
    unfinished = [
        (trial.tests, key, trial.idea)
        for key, trial in district.testing.items()
        if trial.tests < need and trial.idea.apply(practice) != practice
    ]
    for done, _, idea in sorted(unfinished, reverse=True):
        if not plan.left:
            return False
        plan.add(idea, need - done)
    return plan.left > 0


def _pending_rank(item: tuple[ChangeIdea, Evidence]) -> tuple:
    """Best evidenced last (sorted in reverse): mean gain, then tests, then fewer and
    lower components."""
    idea, ev = item
    return (ev.mean_gain, ev.tests, -idea.mask, -idea.values)


def pdsa(model: mesa.Model) -> None:
    """One PDSA month: every district plans its tests, the leaders run them (all
    districts' tests scored in one batch), each district studies its results and acts on
    them, the adoptions take effect together, and what was adopted is shared."""
    plans = plan_month(model)
    true, before, observed = run_tests(model, plans)
    adoptions = []
    for plan in plans:
        idea = study_and_act(plan, observed)
        if idea is not None:
            # only this month's tests make a trial ready, so the adopted idea was tested
            # this month: its new practice and true outcome are those its tests tried
            adoptions.append((plan.district, idea.apply(plan.practice), plan.first_test_of(idea)))
    if adoptions:  # every district has decided: the new practices take effect together
        model.counts["ideas_adopted"] += len(adoptions)
        for district, practice, k in adoptions:
            model.practice[district.node] = practice
            model.outcome[district.node] = true[k]
            model.counts["false_adoptions"] += true[k] < before[k]
        for district, _, _ in adoptions:
            district.refresh_outbox()
    share_adopted(model)


def month_capacity(model: mesa.Model) -> list[int] | None:
    """Tests each post runs this month: tests_per_leader (c0 + (1 - c0) skill), c0 =
    ``novice_capacity``, rounded down or up at random with the chance of its fraction
    (keyed by month and post), so the mean is exact. None: everyone at full capacity."""
    p = model.p
    if p.novice_capacity >= 1:
        return None
    expected = p.tests_per_leader * (p.novice_capacity + (1 - p.novice_capacity) * model.skill)
    whole = np.floor(expected)
    up = model.keyed["capacity"].uniform(model.month, model.posts) < expected - whole
    return (whole + up).astype(np.int64).tolist()


def plan_month(model: mesa.Model) -> list[TestPlan]:
    """Every district's plan, in node order, each placed in the month's batch of tests:
    model 1's fixed order of preference (:func:`plan_tests`) or the leaders' judgment
    (``nicsim.nic.judgment``)."""
    p = model.p
    capacity = month_capacity(model)
    # the components each possible local variation may flip, drawn up front for everyone
    slots = p.tests_per_leader * p.leaders_per_district
    flips = (
        model.keyed["flips"]
        .integers(
            p.n_components,
            model.month,
            model.all_districts[:, None, None],
            np.arange(slots)[:, None],
            np.arange(LOCAL_TRIES),
        )
        .tolist()
    )
    practices = model.practice.tolist()
    plans = [
        TestPlan(d, practices[d.node], p.tests_per_leader, p.min_tests, capacity)
        for d in model.districts
    ]
    if model.beliefs is None:
        for plan, tries in zip(plans, flips, strict=True):
            plan_tests(plan, tries)
    else:
        options = [
            judgment.candidates(plan, tries) if finish_cycles(plan) else []
            for plan, tries in zip(plans, flips, strict=True)
        ]
        score = judgment.scores(model, plans, options).tolist()
        first = 0
        for plan, choices in zip(plans, options, strict=True):
            judgment.fill(plan, choices, score[first : first + len(choices)])
            first += len(choices)
    first = 0
    for plan in plans:
        plan.close()
        plan.first = first
        first += plan.size
    return plans


def run_tests(model: mesa.Model, plans: list[TestPlan]) -> tuple[list, list, list]:
    """Do: every test of the month, scored in one batch against the district's practice.
    Returns, per test, the true outcome, the outcome before and the observed (noisy) gain."""
    p = model.p
    codes, runs, posts = [], [], []
    for plan in plans:
        for idea, tests in plan.runs:
            codes.append(idea.apply(plan.practice))  # the practice this run of tests tries
            runs.append(tests)
        posts += plan.posts
    tested = np.repeat(np.array(codes, dtype=np.int64), runs)
    model.counts["tests_run"] += tested.size
    if not tested.size:
        return [], [], []
    posts = np.array(posts)
    nodes = posts // p.leaders_per_district  # each post is held in one district
    true, before = model.score(tested, nodes), model.outcome[nodes]
    # a leader's tests of a month are consecutive (``District.test_slots``): a test's slot
    # of its post is its place in that run, so the noise of (month, post, slot) is the
    # same whatever else happens
    starts = np.flatnonzero(np.r_[True, posts[1:] != posts[:-1]])
    slot = np.arange(posts.size) - np.repeat(starts, np.diff(np.r_[starts, posts.size]))
    sd = noise_sd(p, model.skill[posts])
    observed = true - before + model.keyed["noise"].normal(model.month, posts, slot) * sd
    learn_from_tests(model, nodes, posts, tested, observed, sd)
    learn_by_doing(p, model.skill, np.bincount(posts, minlength=model.skill.size))
    return true.tolist(), before.tolist(), observed.tolist()


def study_and_act(plan: TestPlan, observed: list[float]) -> ChangeIdea | None:
    """Study this month's results, then act on them: the idea adopted, if any."""
    district = plan.district
    if plan.runs:
        results = observed[plan.first : plan.first + plan.size]
        district.record(plan.runs, plan.leader_ids, results)
    return decide(district, plan.need, district.model.p.adoption_threshold)


def decide(district: District, need: int, threshold: float) -> ChangeIdea | None:
    """Act: adopt the best idea whose own evidence passes; reject the failures.

    At most one idea is adopted a month. Every other idea under test was measured against
    the old practice, so its tests are cleared and it will be tested again in the new one.
    ``need`` and ``threshold`` are ``min_tests`` and ``adoption_threshold``.
    """
    ready = [(trial.mean_gain, trial) for trial in district.testing.values() if trial.tests >= need]
    if not ready:
        return None
    for mean, trial in ready:
        if mean <= threshold:
            district.reject(trial)
    passing = [(mean, trial.idea.key, trial) for mean, trial in ready if mean > threshold]
    if not passing:
        return None
    *_, best = max(passing)  # highest mean gain, then larger key (keys are unique)
    district.adopt(best)
    for trial in district.testing.values():
        if trial.gains:
            district.revise(trial, [], [])
    return best.idea


def share_adopted(model: mesa.Model) -> None:
    """Share: each adopted idea crosses each non-hub tie with probability ``share_prob``.

    A tie to a university passes the idea on to that university's other partners: the
    relay of docs/ODD.md, section 7.4. Messages are delivered after every district has
    decided, so nothing sent this step is read this step. Only ties an idea has not yet
    crossed are drawn for (``model.outbox``): crossing again would change nothing.
    """
    practices = model.practice.tolist()
    sending = []
    for trial, district in list(model.outbox.items()):
        practice = practices[district.node]
        if (
            trial.unsent
            and district.adopted.get(trial.idea.key) is trial
            and trial.idea.apply(practice) == practice
        ):
            sending.append((trial, district.node))
        else:  # crossed every tie, replaced by a re-test, or no longer practised (until
            del model.outbox[trial]  # ``District.refresh_outbox`` finds it practised again)
    if not sending or model.p.share_prob <= 0:
        return
    # one draw per idea, sender, tie and month; receiving touches no idea's ties, so each
    # crossing can be delivered as it is drawn
    keys = np.array(
        [(sender, v, *t.idea.key) for t, sender in sending for v in t.unsent], dtype=np.int64
    )
    draws = iter(
        model.keyed["share"]
        .uniform(model.month, keys[:, 0], keys[:, 1], keys[:, 2], keys[:, 3])
        .tolist()
    )
    share, agent_at = model.p.share_prob, model.agent_at
    for trial, sender in sending:
        crossing = [(v, next(draws) < share) for v in trial.unsent]
        for v, crosses in crossing:
            if crosses:
                agent_at[v].receive(trial.idea, trial.shared, sender)
        trial.unsent = [v for v, crosses in crossing if not crosses]


# -- copy_best (Lazer & Friedman 2007) and conformity -----------------------------------------
def _local_flip(model: mesa.Model, rng) -> np.ndarray:
    """Each district's practice with one random component flipped."""
    bits = rng.integers(0, model.p.n_components, len(model.districts))
    return model.practice ^ BIT[bits]  # a look-up: cheaper than shifting, for 100 districts


def _fallback(model: mesa.Model, rng) -> np.ndarray:
    """What a district tries when its neighbours offer nothing: a one-component flip, or,
    without ``individual_learning``, its own practice (no move). The flip is drawn either
    way, so the rest of the step draws the same numbers."""
    candidate = _local_flip(model, rng)
    if model.p.individual_learning:
        return candidate
    return model.practice[: len(model.districts)].copy()


def sampled_neighbours(model: mesa.Model, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A fresh sample of ``size`` neighbours per district (all if it has fewer), drawn
    without replacement, in a random order: district i looks at
    ``picked[indptr[i]:indptr[i + 1]]``. Barkoczi & Galesic (2016) let each agent look at
    3 or 9 of its contacts a round, not all of them; the random order also breaks ties
    between equally good neighbours at random, as their code does."""
    ties = model.neighbour_arrays()
    n = len(model.districts)
    lengths = np.diff(ties.indptr)
    keys = model.rng.random(ties.nbrs.size)
    keys += np.repeat(np.arange(n), lengths)  # row i's keys in [i, i + 1): rows kept in order
    order = keys.argsort()  # and shuffled within
    rank = np.arange(order.size) - np.repeat(ties.indptr[:-1], lengths)
    picked = ties.nbrs[order[rank < size]]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.minimum(lengths, size), out=indptr[1:])
    return picked, indptr


def first_best(outcome: np.ndarray, picked: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Each district's best among ``picked`` (the first of equals in its row); -1 if none."""
    n = indptr.size - 1
    counts = np.diff(indptr)
    has = np.flatnonzero(counts)
    best = np.full(n, -1)
    if not has.size:
        return best
    starts = indptr[:-1][has]
    values = outcome[picked]
    top = np.maximum.reduceat(values, starts)
    place = np.where(values == np.repeat(top, counts[has]), np.arange(picked.size), picked.size)
    best[has] = picked[np.minimum.reduceat(place, starts)]
    return best


def _move(
    model: mesa.Model,
    candidate: np.ndarray,
    keep_equal: np.ndarray | None = None,
    always: np.ndarray | None = None,
) -> None:
    """Move each district to its candidate if that is strictly better; where ``keep_equal``,
    also if it is as good (a copy is reverted only if worse); where ``always``, whatever
    it scores (conformity). Moves that are not tests of the outcome are not counted as
    tests."""
    n = len(candidate)
    practice, old = model.practice, model.outcome[:n]
    new = model.score(candidate, model.all_districts)
    accept = new > old
    if keep_equal is not None:  # there, >= rather than >
        np.greater_equal(new, old, out=accept, where=keep_equal)
    tests = n
    if always is not None:
        accept |= always
        tests -= int(np.count_nonzero(always))
    accept &= candidate != practice
    model.counts["tests_run"] += tests
    model.counts["ideas_adopted"] += int(np.count_nonzero(accept))
    if always is not None:  # otherwise no accepted move scores below the practice it left
        model.counts["false_adoptions"] += int(np.count_nonzero(accept & (new < old)))
    np.copyto(practice, candidate, where=accept)
    np.copyto(old, new, where=accept)


def best_neighbours(model: mesa.Model) -> np.ndarray:
    """Each district's best neighbour (highest outcome, lowest index on ties); -1 if none.

    Vectorised over districts: one segmented maximum over the neighbour lists, so a
    round costs a few numpy calls, not a Python loop over every tie.
    """
    ties = model.neighbour_arrays()
    n = len(model.districts)
    outcome = model.outcome[:n]
    if ties.complete:  # O(n): everyone's best is the top district; the top's, the runner-up
        top = int(outcome.argmax())  # argmax: the lowest index among equals
        others = outcome.copy()
        others[top] = -np.inf
        best = np.full(n, top)
        best[top] = others.argmax()
    elif ties.has.size:
        values = outcome[ties.nbrs]
        top = np.maximum.reduceat(values, ties.starts)
        first = np.where(values == top[ties.segment], ties.nbrs, n)
        best = np.minimum.reduceat(first, ties.starts)
        if ties.has.size < n:  # some district has no neighbour
            best, found = np.full(n, -1), best
            best[ties.has] = found
    else:
        best = np.full(n, -1)
    if model.convening():  # fellow hub members are visible too
        for members in model.hub_members():
            order = members[np.lexsort((members, -outcome[members]))]
            top = np.where(members == order[0], order[1] if order.size > 1 else -1, order[0])
            mine = best[members]
            take = (mine < 0) | (top >= 0) & (
                (outcome[top] > outcome[mine]) | (outcome[top] == outcome[mine]) & (top < mine)
            )
            best[members] = np.where(take, top, mine)
    return best


def copy_best(model: mesa.Model) -> None:
    """Copy the best neighbour if it is strictly better, else try a one-component flip.

    Outcomes of neighbours are seen without noise. With ``sample_size``, the best of that
    many neighbours drawn this step (Barkoczi & Galesic's best member); without
    ``individual_learning``, no flip. Copying can fail bit by bit
    (``copy_error``); a copy that leaves the district worse off is reverted.
    """
    p, rng = model.p, model.rng
    n = len(model.districts)
    practice, outcome = model.practice[:n], model.outcome[:n]
    candidate = _fallback(model, rng)
    look = rng.random(n)  # drawn even when everyone looks (velocity 1): the same stream
    if p.sample_size:  # the best of a few neighbours drawn this step, ties at random
        best = first_best(outcome, *sampled_neighbours(model, p.sample_size))
    else:
        best = best_neighbours(model)
    better = outcome[best] > outcome  # best[-1]: read, then masked
    better &= best >= 0
    if p.velocity < 1:  # those who do not look do the local search
        better &= look < p.velocity
    theirs = practice[best]
    if p.copy_error > 0 and better.any():
        copying = better.nonzero()[0]
        fails = rng.random((copying.size, p.n_components)) < p.copy_error
        # a bit that fails to copy keeps the district's own value
        theirs[copying] ^= (practice[copying] ^ theirs[copying]) & bits_to_codes(fails)
    np.copyto(candidate, theirs, where=better)
    _move(model, candidate, keep_equal=better)  # a copy is reverted only if worse


def conformity(model: mesa.Model) -> None:
    """Adopt the most common practice among neighbours (ties at random); else try a flip.

    Barkoczi & Galesic's (2016) conformist looks at ``sample_size`` neighbours, follows a
    practice only if at least ``conformity_min_count`` of them share it (2: not when all
    differ) and only if it scores strictly better (``conformity_if_better``); otherwise it
    searches alone. The defaults follow the most common practice of all neighbours whatever
    it scores.
    """
    p, rng = model.p, model.rng
    n = len(model.districts)
    practice = model.practice
    candidate = _fallback(model, rng)
    looking = np.flatnonzero(rng.random(n) < p.velocity).tolist()
    seen = model.district_neighbours
    if p.sample_size:
        picked, indptr = (a.tolist() for a in sampled_neighbours(model, p.sample_size))

        def seen(i: int) -> list[int]:
            return picked[indptr[i] : indptr[i + 1]]

    chosen: dict[int, int] = {}
    for i in looking:
        nbrs = seen(i)
        if nbrs:
            counts = Counter(int(practice[j]) for j in nbrs)
            top = max(counts.values())
            if top < p.conformity_min_count:
                continue
            modes = sorted(c for c, k in counts.items() if k == top)
            chosen[i] = modes[int(rng.integers(len(modes)))]
    conforming = np.zeros(n, dtype=bool)
    if chosen:
        who = np.fromiter(chosen, dtype=np.int64, count=len(chosen))
        modes = np.fromiter(chosen.values(), dtype=np.int64, count=len(chosen))
        if p.conformity_if_better:  # the rest keep their flip (or stay)
            better = model.score(modes, who) > model.outcome[who]
            who, modes = who[better], modes[better]
        else:
            conforming[who] = True
        candidate[who] = modes
    _move(model, candidate, always=conforming)


RULES = {"pdsa": pdsa, "copy_best": copy_best, "conformity": conformity}
