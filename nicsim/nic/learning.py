"""Learning rules: how districts improve their practice in one step (docs/ODD.md, sections 7.2-7.6).

Each rule reads the practices at the start of the step and writes the new ones only after
every district has decided (synchronous update), so the order in which districts act does
not matter. Candidate practices are scored in one batched landscape call per step.
"""

from __future__ import annotations

import mesa
import numpy as np

from . import judgment
from .agents import District, learn_by_doing, noise_sd
from .ideas import ChangeIdea, Evidence
from .imitation import conformity, copy_best
from .knowledge import learn_from_tests, research_fitness
from .nk import BIT
from .testplan import TestPlan

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
    # each offer ranked on its own university's belief (a district may have several)
    rows = model.university_row[sources[offering]][:, None]
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
    flips = model.keyed["flips"].integers(
        p.n_components,
        model.month,
        model.all_districts[:, None, None],
        np.arange(slots)[:, None],
        np.arange(LOCAL_TRIES),
    )
    practices = model.practice.tolist()
    plans = [
        TestPlan(d, practices[d.node], p.tests_per_leader, p.min_tests, capacity)
        for d in model.districts
    ]
    if model.beliefs is None:
        for plan, tries in zip(plans, flips.tolist(), strict=True):
            plan_tests(plan, tries)
    else:
        for plan in plans:
            finish_cycles(plan)
        options = judgment.candidates(model, plans, flips)
        who = judgment.pickers(plans, options)
        score = judgment.scores(model, options, who)
        for plan, picked in zip(plans, judgment.picks(score, options, who), strict=True):
            judgment.fill(plan, options, picked)
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


RULES = {"pdsa": pdsa, "copy_best": copy_best, "conformity": conformity}
