"""Learning rules: how districts improve their practice in one step (DESIGN.md section 3.3).

Each rule reads the practices at the start of the step and writes the new ones only after
every district has decided (synchronous update), so the order in which districts act does
not matter. Candidate practices are scored in one batched landscape call per step.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from .agents import District, Leader, Trial, random_change
from .ideas import ChangeIdea
from .landscape import bits_to_codes

if TYPE_CHECKING:
    from .model import NICModel


# -- PDSA --------------------------------------------------------------------------------------
def choose_idea(
    district: District, planned: dict[tuple[int, int], tuple[ChangeIdea, int]], rng
) -> ChangeIdea:
    """What the next PDSA test tries, in order of preference.

    1. an idea under test (from earlier months or picked by another leader this month)
       that still needs tests to reach ``min_tests``: finish the cycle first;
    2. the best-evidenced untested idea in the inbox;
    3. a research idea from a partner university;
    4. a local variation: flip one component, preferring one not tried yet.
    ``planned`` maps idea key -> (idea, tests assigned this month), so leaders share the work.
    """
    p = district.model.p
    practice = district.practice
    trials = district.trials

    def done(key) -> int:
        t = trials.get(key)
        return len(t.results) if t is not None and t.status == "testing" else 0

    open_ideas = {
        k: t.idea
        for k, t in trials.items()
        if t.status == "testing" and t.idea.apply(practice) != practice  # not yet practised
    }
    open_ideas.update({k: idea for k, (idea, _) in planned.items()})
    unfinished = [
        idea
        for k, idea in open_ideas.items()
        if done(k) + planned.get(k, (None, 0))[1] < p.min_tests
    ]
    if unfinished:
        return max(
            unfinished, key=lambda i: (done(i.key) + planned.get(i.key, (None, 0))[1], i.key)
        )
    pending = [
        (idea, ev)
        for idea, ev in district.pending_ideas()
        if idea.key not in planned and ev.mean_gain > p.adoption_threshold
    ]
    if pending:
        return max(
            pending, key=lambda item: (item[1].mean_gain, item[1].tests, [-x for x in item[0].key])
        )[0]
    while district.research:
        idea = district.research.pop(0)
        fresh = idea.key not in trials and idea.key not in planned
        if fresh and idea.apply(practice) != practice:
            return idea
    for _ in range(4):  # prefer a variation not tried yet; else re-test a rejected one
        idea = random_change(rng, p.n_components, practice, 1, "district", district.node)
        if idea.key not in trials and idea.key not in planned:
            break
    return idea


def pdsa(model: NICModel) -> None:
    """Leaders test ideas with noisy measurement; districts adopt what passes, then share."""
    p, rng = model.p, model.rng
    tests: list[tuple[District, Leader, ChangeIdea]] = []
    for district in model.districts:
        planned: dict[tuple[int, int], tuple[ChangeIdea, int]] = {}
        for leader in district.leaders:
            for _ in range(p.tests_per_leader):
                idea = choose_idea(district, planned, rng)
                planned[idea.key] = (idea, planned.get(idea.key, (idea, 0))[1] + 1)
                tests.append((district, leader, idea))
    if tests:
        nodes = np.array([d.node for d, _, _ in tests])
        start = model.practice[nodes]
        trial = np.array(
            [idea.apply(int(x)) for (_, _, idea), x in zip(tests, start, strict=True)],
            dtype=np.int64,
        )
        true_gain = model.score(trial, nodes) - model.outcome[nodes]
        sd = np.array([leader.noise_sd() for _, leader, _ in tests])
        observed = true_gain + rng.normal(0.0, 1.0, len(tests)) * sd
        for (district, leader, idea), g in zip(tests, observed, strict=True):
            record = district.trials.get(idea.key)
            if record is None or record.status != "testing":  # new, or re-opened in a new practice
                record = district.trials[idea.key] = Trial(idea)
            record.add(leader.unique_id, float(g))
        for leader in model.leaders:
            leader.learn_by_doing(p.tests_per_leader)
    model.counts["tests_run"] += len(tests)

    adopted = [(d, idea) for d in model.districts if (idea := decide(d)) is not None]
    if adopted:
        nodes = np.array([d.node for d, _ in adopted])
        after = np.array([idea.apply(d.practice) for d, idea in adopted], dtype=np.int64)
        worse = model.score(after, nodes) < model.outcome[nodes]
        model.counts["ideas_adopted"] += len(adopted)
        model.counts["false_adoptions"] += int(worse.sum())
        model.practice[nodes] = after
    share_adopted(model)


def decide(district: District) -> ChangeIdea | None:
    """Study and act: adopt the best idea whose own evidence passes; reject the failures.

    At most one idea is adopted a month. Every other idea under test was measured against
    the old practice, so its tests are cleared and it will be tested again in the new one.
    """
    p = district.model.p
    ready = [
        t
        for t in district.trials.values()
        if t.status == "testing" and len(t.results) >= p.min_tests
    ]
    passed = []
    for t in ready:
        if t.evidence.mean_gain > p.adoption_threshold:
            passed.append(t)
        else:
            t.status = "rejected"
    if not passed:
        return None
    best = max(passed, key=lambda t: (t.evidence.mean_gain, t.idea.key))
    best.status = "adopted"
    for t in district.trials.values():
        if t.status == "testing":
            t.keep([])
    return best.idea


def share_adopted(model: NICModel) -> None:
    """Each adopted idea crosses each non-hub tie with probability ``share_prob``.

    A tie to a university passes the idea on to that university's other partners: the
    relay of DESIGN.md section 3.2. Messages are delivered after every district has
    decided, so nothing sent this step is read this step.
    """
    p, rng = model.p, model.rng
    messages = []
    for district in model.districts:
        adopted = district.embodied_adoptions()
        ties = [v for v in model.ties(district.node) if model.kind[v] != "hub"]
        if not adopted or not ties:
            continue
        draws = rng.random((len(adopted), len(ties)))
        for (idea, ev), row in zip(adopted, draws, strict=True):
            for v, u in zip(ties, row, strict=True):
                if u < p.share_prob:
                    messages.append((v, idea, ev, district.node))
    for v, idea, ev, sender in messages:
        model.agent_at[v].receive(idea, ev, sender) if model.kind[
            v
        ] == "district" else model.agent_at[v].relay(idea, ev, sender)


# -- copy_best (Lazer & Friedman 2007) and conformity -----------------------------------------
ALWAYS, NOT_WORSE, BETTER = 0, 1, 2  # when a district moves to its candidate practice


def _local_flip(model: NICModel, rng) -> np.ndarray:
    """Each district's practice with one random component flipped."""
    bits = rng.integers(0, model.p.n_components, len(model.districts))
    return model.practice ^ (np.int64(1) << bits.astype(np.int64))


def _move(model: NICModel, candidate: np.ndarray, rule: np.ndarray) -> None:
    """Move each district to its candidate where its acceptance ``rule`` allows."""
    n = len(candidate)
    new = model.score(candidate, np.arange(n))
    old = model.outcome[:n]
    accept = np.select([rule == BETTER, rule == NOT_WORSE], [new > old, new >= old], True)
    accept &= candidate != model.practice
    model.counts["tests_run"] += int((rule != ALWAYS).sum())
    model.counts["ideas_adopted"] += int(accept.sum())
    model.counts["false_adoptions"] += int((accept & (new < old)).sum())
    model.practice[:] = np.where(accept, candidate, model.practice)


def _neighbour_choices(model: NICModel, pick) -> tuple[np.ndarray, np.ndarray]:
    """Candidates and acceptance rules: a flip kept if better, or ``pick``'s neighbour-based
    candidate for districts that look (with probability ``velocity``) and find one."""
    rng = model.rng
    n = len(model.districts)
    candidate = _local_flip(model, rng)
    rule = np.full(n, BETTER)
    for i in np.flatnonzero(rng.random(n) < model.p.velocity):
        nbrs = model.district_neighbours(int(i))
        chosen = pick(int(i), nbrs) if nbrs else None
        if chosen is not None:
            candidate[i], rule[i] = chosen
    return candidate, rule


def best_neighbours(model: NICModel) -> np.ndarray:
    """Each district's best neighbour (highest outcome, lowest index on ties); -1 if none.

    Vectorised over districts: one segmented maximum over the neighbour lists, so a
    round costs a few numpy calls, not a Python loop over every tie.
    """
    indptr, nbrs = model.neighbour_arrays()
    n = len(model.districts)
    outcome = model.outcome[:n]
    best = np.full(n, -1, dtype=np.int64)
    has = np.flatnonzero(np.diff(indptr))
    if has.size:
        values = outcome[nbrs]
        starts = indptr[has]
        top = np.maximum.reduceat(values, starts)
        owner = np.repeat(np.arange(n), np.diff(indptr))
        at_top = np.full(n, np.inf)
        at_top[has] = top
        first = np.where(values == at_top[owner], nbrs, n)
        best[has] = np.minimum.reduceat(first, starts)
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
    rule = np.full(n, BETTER)
    look = rng.random(n) < p.velocity
    best = best_neighbours(model)
    copying = np.flatnonzero(look & (best >= 0) & (outcome[np.maximum(best, 0)] > outcome))
    if copying.size:
        mine, theirs = practice[copying], practice[best[copying]]
        copied = mine ^ theirs
        if p.copy_error > 0:
            fails = rng.random((copying.size, p.n_components)) < p.copy_error
            copied &= ~bits_to_codes(fails)
        candidate[copying] = (mine & ~copied) | (theirs & copied)
        rule[copying] = NOT_WORSE
    _move(model, candidate, rule)


def conformity(model: NICModel) -> None:
    """Adopt the most common practice among neighbours (ties at random); else try a flip."""
    rng = model.rng
    practice = model.practice

    def pick(i: int, nbrs: list[int]):
        counts = Counter(int(practice[j]) for j in nbrs)
        top = max(counts.values())
        modes = sorted(c for c, k in counts.items() if k == top)
        return modes[int(rng.integers(len(modes)))], ALWAYS

    _move(model, *_neighbour_choices(model, pick))


RULES = {"pdsa": pdsa, "copy_best": copy_best, "conformity": conformity}
