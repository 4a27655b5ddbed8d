"""Learning rules: how districts improve their practice in one step (DESIGN.md section 3.3).

Each rule reads the practices at the start of the step and writes the new ones only after
every district has decided (synchronous update), so the order in which districts act does
not matter. Candidate practices are scored in one batched landscape call per step.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from .agents import District, learn_by_doing, noise_sd
from .ideas import ChangeIdea
from .landscape import bits_to_codes

if TYPE_CHECKING:
    from .model import NICModel


# -- PDSA --------------------------------------------------------------------------------------
LOCAL_TRIES = 4  # draws for a local variation not tried yet before re-testing a tried one


def research(model: NICModel) -> None:
    """Universities offer partners the best of a few 2-3 component changes, judged on S.

    Research knows the general problem (the shared landscape) and the district's current
    practice, not its local context, so what it offers can fail locally when h is high.
    Every partnership's offers are drawn and judged together, in one batch.
    """
    p, rng = model.p, model.rng
    nodes, sources = model.research_pairs
    offering = np.flatnonzero(rng.random(nodes.size) < p.research_rate)
    if not offering.size:
        return
    n, m, c = p.n_components, offering.size, p.research_candidates
    width = min(3, n)
    sizes = np.minimum(rng.integers(2, 4, (m, c)), n)
    parts = np.argsort(rng.random((m, c, n)), axis=-1)[..., :width]  # distinct components
    used = np.arange(width) < sizes[..., None]
    masks = ((np.int64(1) << parts) * used).sum(axis=-1)
    x = model.practice[nodes[offering]]
    gains = model.landscape.shared_fitness(x[:, None] ^ masks)
    best = gains.argmax(axis=1)
    rows = np.arange(m)
    better = gains[rows, best] > model.landscape.shared_fitness(x)
    for r in np.flatnonzero(better):
        mask, practice = int(masks[r, best[r]]), int(x[r])
        district = model.agent_at[int(nodes[offering[r]])]
        district.research.append(
            ChangeIdea(mask, ~practice & mask, "university", int(sources[offering[r]]))
        )


def plan_tests(
    district: District, practice: int, slots: int, flips: list[list[int]]
) -> list[ChangeIdea]:
    """What this month's ``slots`` PDSA tests try, in order, in order of preference.

    1. ideas under test (from earlier months) that still need tests to reach
       ``min_tests``, the most advanced first: finish the cycle first;
    2. the best-evidenced untested ideas in the inbox;
    3. research ideas from a partner university;
    4. local variations: flip one component, preferring one not tried yet (``flips``
       holds LOCAL_TRIES pre-drawn components for each variation).
    An idea, once picked, takes the next tests until it has ``min_tests`` of them, so the
    leaders of a district share one cycle rather than each starting their own.
    """
    need = district.model.p.min_tests
    threshold = district.model.p.adoption_threshold
    chosen: list[ChangeIdea] = []
    planned: set[tuple[int, int]] = set()

    def take(idea: ChangeIdea, tests: int) -> bool:
        chosen.extend([idea] * min(tests, slots - len(chosen)))
        planned.add(idea.key)
        return len(chosen) >= slots

    under_test = sorted(
        (
            (len(t.results), key, t.idea)
            for key, t in district.testing.items()
            if len(t.results) < need and t.idea.apply(practice) != practice
        ),
        reverse=True,
    )
    for done, _, idea in under_test:
        if take(idea, need - done):
            return chosen
    ranked = sorted(
        (item for item in district.pending_at(practice).values() if item[1].mean_gain > threshold),
        key=lambda item: (item[1].mean_gain, item[1].tests, -item[0].mask, -item[0].values),
        reverse=True,
    )
    for idea, _ in ranked:
        if take(idea, need):
            return chosen
    trials = district.trials
    while district.research and len(chosen) < slots:
        idea = district.research.pop(0)
        fresh = idea.key not in trials and idea.key not in planned
        if fresh and idea.apply(practice) != practice and take(idea, need):
            return chosen
    for tries in flips:
        if len(chosen) >= slots:
            break
        for component in tries:  # prefer a variation not tried yet
            mask = 1 << component
            key = (mask, ~practice & mask)
            if key not in trials and key not in planned:
                break
        take(ChangeIdea(mask, key[1], "district", district.node), need)
    return chosen


def pdsa(model: NICModel) -> None:
    """Leaders test ideas with noisy measurement; districts adopt what passes, then share."""
    p, rng = model.p, model.rng
    per_district = p.tests_per_leader * p.leaders_per_district
    flips = rng.integers(
        0, p.n_components, (len(model.districts), per_district, LOCAL_TRIES)
    ).tolist()
    nodes, tested, posts, plans = [], [], [], []
    practices = model.practice.tolist()
    for district, row in zip(model.districts, flips, strict=True):
        slots = p.tests_per_leader * len(district.leaders)
        practice = practices[district.node]
        plan = plan_tests(district, practice, slots, row)
        ids = [x.unique_id for x in district.leaders for _ in range(p.tests_per_leader)]
        posts += [x.post for x in district.leaders for _ in range(p.tests_per_leader)]
        plans.append((district, plan, ids))
        tested += [(practice & ~idea.mask) | idea.values for idea in plan]
        nodes += [district.node] * len(plan)
    if tested:
        nodes_a = np.array(nodes)
        true_gain = model.score(np.array(tested, dtype=np.int64), nodes_a) - model.outcome[nodes_a]
        noise = rng.normal(0.0, 1.0, len(tested)) * noise_sd(p, model.skill[posts])
        observed = (true_gain + noise).tolist()
        start = 0
        for district, plan, ids in plans:  # record each idea's run of tests at once
            i = 0
            while i < len(plan):
                idea, j = plan[i], i + 1
                while j < len(plan) and plan[j] is idea:
                    j += 1
                record = district.testing.get(idea.key) or district.start_trial(idea)
                district.record(record, ids[i:j], observed[start + i : start + j])
                i = j
            start += len(plan)
        learn_by_doing(p, model.skill, p.tests_per_leader)
    model.counts["tests_run"] += len(tested)

    adopted = [(d, idea) for d in model.districts if (idea := decide(d)) is not None]
    if adopted:
        nodes_a = np.array([d.node for d, _ in adopted])
        after = np.array([idea.apply(d.practice) for d, idea in adopted], dtype=np.int64)
        scores = model.score(after, nodes_a)
        model.counts["ideas_adopted"] += len(adopted)
        model.counts["false_adoptions"] += int(np.count_nonzero(scores < model.outcome[nodes_a]))
        model.practice[nodes_a] = after
        model.outcome[nodes_a] = scores
        for district, _ in adopted:
            district.refresh_outbox()
    share_adopted(model)


def decide(district: District) -> ChangeIdea | None:
    """Study and act: adopt the best idea whose own evidence passes; reject the failures.

    At most one idea is adopted a month. Every other idea under test was measured against
    the old practice, so its tests are cleared and it will be tested again in the new one.
    """
    p = district.model.p
    passed = []
    for t in [t for t in district.testing.values() if len(t.results) >= p.min_tests]:
        if t.total / len(t.results) > p.adoption_threshold:
            passed.append(t)
        else:
            district.close_trial(t, "rejected")
    if not passed:
        return None
    best = max(passed, key=lambda t: (t.total / len(t.results), t.idea.key))
    district.close_trial(best, "adopted")
    for t in district.testing.values():
        if t.results:
            district.revise(t, [])
    return best.idea


def share_adopted(model: NICModel) -> None:
    """Each adopted idea crosses each non-hub tie with probability ``share_prob``.

    A tie to a university passes the idea on to that university's other partners: the
    relay of DESIGN.md section 3.2. Messages are delivered after every district has
    decided, so nothing sent this step is read this step. Only ties an idea has not yet
    crossed are drawn for (``model.outbox``): crossing again would change nothing.
    """
    p, rng = model.p, model.rng
    active = []
    for trial, district in list(model.outbox.items()):
        practice = district.practice
        if (
            trial.unsent
            and district.adopted.get(trial.idea.key) is trial
            and trial.idea.apply(practice) == practice
        ):
            active.append((trial, district))
        else:  # crossed every tie, replaced by a re-test, or no longer practised (until
            del model.outbox[trial]  # ``District.refresh_outbox`` finds it practised again)
    if not active or p.share_prob <= 0:
        return
    draws = iter(rng.random(sum(len(t.unsent) for t, _ in active)).tolist())
    messages = []
    for trial, district in active:
        evidence, left = trial.evidence, []
        for v in trial.unsent:
            if next(draws) < p.share_prob:
                messages.append((v, trial.idea, evidence, district.node))
            else:
                left.append(v)
        trial.unsent = left
    for v, idea, evidence, sender in messages:
        target = model.agent_at[v]
        if model.kind[v] == "district":
            target.receive(idea, evidence, sender)
        else:
            target.relay(idea, evidence, sender)


# -- copy_best (Lazer & Friedman 2007) and conformity -----------------------------------------
def _local_flip(model: NICModel, rng) -> np.ndarray:
    """Each district's practice with one random component flipped."""
    bits = rng.integers(0, model.p.n_components, len(model.districts))
    return model.practice ^ (np.int64(1) << bits)


def _move(
    model: NICModel,
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
    if keep_equal is not None:
        accept |= keep_equal & (new == old)
    tests = n
    if always is not None:
        accept |= always
        tests -= int(np.count_nonzero(always))
    accept &= candidate != practice
    model.counts["tests_run"] += tests
    model.counts["ideas_adopted"] += int(np.count_nonzero(accept))
    model.counts["false_adoptions"] += int(np.count_nonzero(accept & (new < old)))
    np.copyto(practice, candidate, where=accept)
    np.copyto(old, new, where=accept)


def best_neighbours(model: NICModel) -> np.ndarray:
    """Each district's best neighbour (highest outcome, lowest index on ties); -1 if none.

    Vectorised over districts: one segmented maximum over the neighbour lists, so a
    round costs a few numpy calls, not a Python loop over every tie.
    """
    ties = model.neighbour_arrays()
    n = len(model.districts)
    outcome = model.outcome[:n]
    best = np.full(n, -1, dtype=np.int64)
    if ties.starts.size:
        values = outcome[ties.nbrs]
        top = np.maximum.reduceat(values, ties.starts)
        first = np.where(values == top[ties.segment], ties.nbrs, n)
        best[ties.has] = np.minimum.reduceat(first, ties.starts)
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


def copy_best(model: NICModel) -> None:
    """Copy the best neighbour if it is strictly better, else try a one-component flip.

    Outcomes of neighbours are seen without noise. Copying can fail bit by bit
    (``copy_error``); a copy that leaves the district worse off is reverted.
    """
    p, rng = model.p, model.rng
    n = len(model.districts)
    practice, outcome = model.practice[:n], model.outcome[:n]
    candidate = _local_flip(model, rng)
    look = rng.random(n) < p.velocity  # those who do not look do the local search
    best = best_neighbours(model)
    better = look & (best >= 0) & (outcome[best] > outcome)  # best[-1]: read, then masked
    copying = np.flatnonzero(better)
    if copying.size:
        mine, theirs = practice[copying], practice[best[copying]]
        copied = mine ^ theirs
        if p.copy_error > 0:
            fails = rng.random((copying.size, p.n_components)) < p.copy_error
            copied &= ~bits_to_codes(fails)
        candidate[copying] = (mine & ~copied) | (theirs & copied)
    _move(model, candidate, keep_equal=better)  # a copy is reverted only if worse


def conformity(model: NICModel) -> None:
    """Adopt the most common practice among neighbours (ties at random); else try a flip."""
    rng = model.rng
    n = len(model.districts)
    practice = model.practice
    candidate = _local_flip(model, rng)
    conforming = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(rng.random(n) < model.p.velocity).tolist():
        nbrs = model.district_neighbours(i)
        if nbrs:
            counts = Counter(int(practice[j]) for j in nbrs)
            top = max(counts.values())
            modes = sorted(c for c, k in counts.items() if k == top)
            candidate[i] = modes[int(rng.integers(len(modes)))]
            conforming[i] = True
    _move(model, candidate, always=conforming)


RULES = {"pdsa": pdsa, "copy_best": copy_best, "conformity": conformity}
