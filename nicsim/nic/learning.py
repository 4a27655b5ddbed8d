"""Learning rules: how districts improve their practice in one step (DESIGN.md section 3.3).

Each rule reads the practices at the start of the step and writes the new ones only after
every district has decided (synchronous update), so the order in which districts act does
not matter. Candidate practices are scored in one batched landscape call per step.
"""

from __future__ import annotations

from collections import Counter

import mesa
import numpy as np

from .agents import District, learn_by_doing, noise_sd
from .ideas import ChangeIdea, Evidence
from .landscape import bits_to_codes

BIT = np.int64(1) << np.arange(62, dtype=np.int64)  # BIT[i]: the code of component i alone


# -- PDSA --------------------------------------------------------------------------------------
LOCAL_TRIES = 4  # draws for a local variation not tried yet before re-testing a tried one


def uniform_integers(rng: np.random.Generator, n: int, shape: tuple[int, ...]) -> np.ndarray:
    """Integers 0 to n - 1, each equally likely (to 2**-53), drawn as scaled uniforms:
    for the small arrays of a month this is several times cheaper than ``rng.integers``."""
    return (rng.random(shape) * n).astype(np.int64)


def research(model: mesa.Model) -> None:
    """Universities offer partners the best of a few 2-3 component changes, judged on S.

    Research knows the general problem (the shared landscape) and the district's current
    practice, not its local context, so what it offers can fail locally when h is high.
    Every partnership's offers are drawn and judged together, in one batch.
    """
    p, rng = model.p, model.rng
    nodes, sources = model.research_pairs
    offering = (rng.random(nodes.size) < p.research_rate).nonzero()[0]
    if not offering.size:
        return
    n, m, c = p.n_components, offering.size, p.research_candidates
    width = min(3, n)
    # one draw per candidate and component orders the components at random (the first
    # ``size`` of them change); one more picks 2 or 3 components, each half the time
    u = rng.random((m, c, n + 1))
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
    best = model.landscape.shared_fitness(x[:, None] ^ masks).argmax(axis=1).tolist()
    masks, practices = masks.tolist(), x.tolist()  # read out as lists: a few offers a month
    takers, offerers = takers.tolist(), sources[offering].tolist()
    for i, j in enumerate(best):
        if j:  # an offer that beats the practice
            mask = masks[i][j]
            idea = ChangeIdea(mask, ~practices[i] & mask, "university", offerers[i])
            model.agent_at[takers[i]].research.append(idea)


def plan_tests(
    district: District, practice: int, slots: int, flips: list[list[int]], need: int
) -> list[tuple[ChangeIdea, int]]:
    """What this month's ``slots`` PDSA tests try, as runs of (idea, tests), in order of
    preference.

    1. ideas under test (from earlier months) that still need tests to reach
       ``min_tests``, the most advanced first: finish the cycle first;
    2. the best-evidenced untested ideas in the inbox;
    3. research ideas from a partner university;
    4. local variations: flip one component, preferring one not tried yet (``flips``
       holds LOCAL_TRIES pre-drawn components for each variation).
    An idea, once picked, takes the next tests until it has ``need`` (``min_tests``) of
    them, so the leaders of a district share one cycle rather than each starting their own.
    """
    threshold = district.model.p.adoption_threshold
    plan: list[tuple[ChangeIdea, int]] = []
    left = slots
    if not left:
        return plan
    planned: set[tuple[int, int]] = set()
    if district.testing:
        under_test = []  # a plain loop: cheaper than a comprehension for one or two
        for key, t in district.testing.items():
            done, idea = len(t.gains), t.idea
            if done < need and (practice & ~idea.mask) | idea.values != practice:
                under_test.append((done, key, idea))
        if len(under_test) > 1:
            under_test.sort(reverse=True)
        for done, _, idea in under_test:  # in ``trials``: the checks below skip them
            tests = need - done if need - done < left else left
            plan.append((idea, tests))
            left -= tests
            if not left:
                return plan
    pending = district.pending_at(practice)
    if pending:
        ranked = []
        for item in pending.values():
            if item[1].mean_gain > threshold:
                ranked.append(item)
        if len(ranked) > 1:
            ranked.sort(key=_pending_rank, reverse=True)
        for idea, _ in ranked:
            tests = need if need < left else left
            plan.append((idea, tests))
            planned.add(idea.key)
            left -= tests
            if not left:
                return plan
    trials = district.trials
    research = district.research
    while research and left:
        idea = research.pop(0)
        key = idea.key
        if key not in trials and key not in planned and idea.apply(practice) != practice:
            tests = need if need < left else left
            plan.append((idea, tests))
            planned.add(key)
            left -= tests
    if flips and left:
        variations = district.variations_at(practice)  # one per component
        for tries in flips:
            if not left:
                break
            for component in tries:  # prefer a variation not tried yet
                idea = variations[component]
                key = idea.key
                if key not in trials and key not in planned:
                    break
            tests = need if need < left else left
            plan.append((idea, tests))
            planned.add(key)
            left -= tests
    return plan


def _pending_rank(item: tuple[ChangeIdea, Evidence]):
    """Best evidenced last (sorted in reverse): mean gain, then tests, then fewer and
    lower components."""
    idea, ev = item
    return (ev.mean_gain, ev.tests, -idea.mask, -idea.values)


def pdsa(model: mesa.Model) -> None:
    """Leaders test ideas with noisy measurement; districts adopt what passes, then share."""
    p, rng = model.p, model.rng
    per_leader, need, threshold = p.tests_per_leader, p.min_tests, p.adoption_threshold
    shape = (len(model.districts), per_leader * p.leaders_per_district, LOCAL_TRIES)
    flips = uniform_integers(rng, p.n_components, shape).tolist()
    plans, codes, runs, posts = [], [], [], []
    practices = model.practice.tolist()
    end = 0
    for district, row in zip(model.districts, flips, strict=True):
        ids, slot_posts = district.slots(per_leader)
        practice = practices[district.node]
        plan = plan_tests(district, practice, len(ids), row, need)
        start = end
        for idea, tests in plan:  # the practice each run of tests tries
            codes.append((practice & ~idea.mask) | idea.values)
            runs.append(tests)
            end += tests
        plans.append((district, plan, ids, start, end))
        posts += slot_posts
    tested = np.repeat(np.array(codes, dtype=np.int64), runs)
    observed, true, before = [], [], []
    if tested.size:
        posts_a = np.array(posts)
        nodes = posts_a // p.leaders_per_district  # each post is held in one district
        true_a, before_a = model.score(tested, nodes), model.outcome[nodes]
        noise = rng.standard_normal(tested.size) * noise_sd(p, model.skill[posts_a])
        observed = (true_a - before_a + noise).tolist()
        true, before = true_a.tolist(), before_a.tolist()
        learn_by_doing(p, model.skill, per_leader)
    model.counts["tests_run"] += tested.size

    adopted = []
    for district, plan, ids, start, end in plans:  # study and act: each on its own records
        if end > start:
            district.record(plan, ids, observed[start:end])
        idea = decide(district, need, threshold)
        if idea is None:
            continue
        # only this month's tests make a trial ready, so the adopted idea is in the plan:
        # its practice and true outcome are those its tests tried
        k = start
        for tried, tests in plan:
            if tried.key == idea.key:
                break
            k += tests
        else:  # pragma: no cover - would be a broken invariant, never a user's input
            raise RuntimeError(f"district {district.node} adopted {idea} untested this month")
        adopted.append((district, idea.apply(practices[district.node]), k))
    if adopted:  # every district has decided: the new practices take effect together
        model.counts["ideas_adopted"] += len(adopted)
        for district, practice, k in adopted:
            model.practice[district.node] = practice
            model.outcome[district.node] = true[k]
            model.counts["false_adoptions"] += true[k] < before[k]
        for district, _, _ in adopted:
            district.refresh_outbox()
    share_adopted(model)


def decide(district: District, need: int, threshold: float) -> ChangeIdea | None:
    """Study and act: adopt the best idea whose own evidence passes; reject the failures.

    At most one idea is adopted a month. Every other idea under test was measured against
    the old practice, so its tests are cleared and it will be tested again in the new one.
    ``need`` and ``threshold`` are ``min_tests`` and ``adoption_threshold``.
    """
    best, best_rank = None, None
    for t in list(district.testing.values()):
        n = len(t.gains)
        if n < need:
            continue
        mean = t.total / n
        if mean <= threshold:
            district.reject(t)
        elif best is None or (mean, t.idea.key) > best_rank:
            best, best_rank = t, (mean, t.idea.key)
    if best is None:
        return None
    district.adopt(best)
    for t in district.testing.values():
        if t.gains:
            district.revise(t, [], [])
    return best.idea


def share_adopted(model: mesa.Model) -> None:
    """Each adopted idea crosses each non-hub tie with probability ``share_prob``.

    A tie to a university passes the idea on to that university's other partners: the
    relay of DESIGN.md section 3.2. Messages are delivered after every district has
    decided, so nothing sent this step is read this step. Only ties an idea has not yet
    crossed are drawn for (``model.outbox``): crossing again would change nothing.
    """
    p, rng = model.p, model.rng
    practices = model.practice.tolist()
    outbox = model.outbox
    active = []
    ties = 0
    for trial, district in list(outbox.items()):
        idea = trial.idea
        practice = practices[district.node]
        if (
            trial.unsent
            and district.adopted.get(idea.key) is trial
            and (practice & ~idea.mask) | idea.values == practice  # still practised
        ):
            active.append((trial, district.node))
            ties += len(trial.unsent)
        else:  # crossed every tie, replaced by a re-test, or no longer practised (until
            del outbox[trial]  # ``District.refresh_outbox`` finds it practised again)
    if not active or p.share_prob <= 0:
        return
    # one draw per tie, in order. Receiving touches no idea's ties, so each crossing is
    # delivered as it is drawn: the same as delivering after every draw
    draws = iter(rng.random(ties).tolist())
    share = p.share_prob
    agent_at, kind = model.agent_at, model.kind
    for trial, sender in active:
        left = []
        for v in trial.unsent:
            if next(draws) >= share:
                left.append(v)
            elif kind[v] == "district":
                agent_at[v].receive(trial.idea, trial.shared, sender)
            else:
                agent_at[v].relay(trial.idea, trial.shared, sender)
        trial.unsent = left


# -- copy_best (Lazer & Friedman 2007) and conformity -----------------------------------------
def _local_flip(model: mesa.Model, rng) -> np.ndarray:
    """Each district's practice with one random component flipped."""
    bits = rng.integers(0, model.p.n_components, len(model.districts))
    return model.practice ^ BIT[bits]  # a look-up: cheaper than shifting, for 100 districts


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

    Outcomes of neighbours are seen without noise. Copying can fail bit by bit
    (``copy_error``); a copy that leaves the district worse off is reverted.
    """
    p, rng = model.p, model.rng
    n = len(model.districts)
    practice, outcome = model.practice[:n], model.outcome[:n]
    candidate = _local_flip(model, rng)
    look = rng.random(n)  # drawn even when everyone looks (velocity 1): the same stream
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
