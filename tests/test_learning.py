"""Learning rules on tiny graphs where the right move is known."""

import numpy as np
import pytest

from nicsim.nic import judgment, testplan
from nicsim.nic.agents import noise_sd
from nicsim.nic.beliefs import PRIOR_VAR
from nicsim.nic.ideas import ChangeIdea, Evidence, pool
from nicsim.nic.imitation import looked_at, row_modes
from nicsim.nic.knowledge import changes_for
from nicsim.nic.learning import (
    decide,
    finish_cycles,
    plan_month,
    plan_tests,
    research,
    run_tests,
    share_adopted,
)
from nicsim.nic.model import NICModel
from nicsim.nic.params import MODEL1_PEOPLE, Params


def tiny(**kw) -> Params:
    """A small NIC on an 8-component landscape, for hand-checkable behaviour of model 1's
    rules (model 2's people switched off: tests/test_people.py tests them)."""
    return Params(**{"n_components": 8, "k": 2, **MODEL1_PEOPLE, **kw})


def pair(learning: str, **kw) -> NICModel:
    """Two districts on a line, one context (h = 0), so both face the same problem."""
    p = Params(
        design="line",
        n_districts=2,
        n_components=8,
        k=2,
        h=0.0,
        learning=learning,
        leaders_per_district=1 if learning == "pdsa" else 0,
        **{**MODEL1_PEOPLE, **kw},
    )
    return NICModel(p, seed=3)


def best_code(model: NICModel) -> int:
    return int(model.landscape._table[0].argmax())


def worst_code(model: NICModel) -> int:
    return int(model.landscape._table[0].argmin())


def test_copy_best_copies_a_strictly_better_neighbour_exactly():
    """The worse district copies the best practice; the best one cannot improve on it."""
    m = pair("copy_best", velocity=1.0, copy_error=0.0)
    best, worst = best_code(m), worst_code(m)
    m.set_practices([best, worst])
    m.step()
    assert list(m.practice) == [best, best]
    assert m.counts["ideas_adopted"] == 1


def test_copy_best_with_total_copy_error_copies_nothing_and_flips_only_if_better():
    """copy_error = 1: the copy fails bit by bit, so the district stays where it was."""
    m = pair("copy_best", velocity=1.0, copy_error=1.0)
    best, worst = best_code(m), worst_code(m)
    m.set_practices([best, worst])
    m.step()
    assert list(m.practice) == [best, worst]


def test_copy_best_without_looking_keeps_only_improving_flips():
    """velocity = 0: pure local search; outcomes never fall and the optimum is kept."""
    m = pair("copy_best", velocity=0.0)
    best = best_code(m)
    m.set_practices([best, worst_code(m)])
    before = m.outcome.copy()
    for _ in range(5):
        m.step()
        assert np.all(m.outcome >= before)
        before = m.outcome.copy()
    assert m.practice[0] == best


def test_copy_best_is_synchronous():
    """Both districts decide on the start-of-step state: a chain does not copy twice."""
    p = tiny(
        design="line",
        n_districts=3,
        h=0.0,
        learning="copy_best",
        leaders_per_district=0,
    )
    m = NICModel(p, seed=3)
    table = m.landscape._table[0]
    order = np.argsort(table)
    best, mid, worst = int(order[-1]), int(order[len(order) // 2]), int(order[0])
    m.set_practices([best, mid, worst])
    m.step()
    # district 2 copies district 1's *old* practice, never district 0's, in one step
    assert m.practice[1] == best
    assert m.practice[2] in (mid,)


def test_conformity_adopts_the_majority_practice():
    """With two neighbours on the same practice, the middle district takes it."""
    p = tiny(
        design="line",
        n_districts=3,
        h=0.0,
        learning="conformity",
        leaders_per_district=0,
    )
    m = NICModel(p, seed=1)
    m.set_practices([5, 9, 5])
    m.step()
    assert m.practice[1] == 5


def test_row_modes_counts_every_row_at_once():
    """Rows [5, 3, 5], [7], [], [9, 2, 9, 2]: top counts 2, 1, 0, 2; modes ascending."""
    values = np.array([5, 3, 5, 7, 9, 2, 9, 2])
    top, modes, first = row_modes(values, np.array([0, 3, 4, 4, 8]))
    assert top.tolist() == [2, 1, 0, 2]
    assert [modes[first[i] : first[i + 1]].tolist() for i in range(4)] == [[5], [7], [], [2, 9]]


def test_conformity_at_a_convening_counts_the_fellow_hub_members():
    """Without a sample a conformist counts all its neighbours: its partnership's other
    district in an ordinary month, every fellow hub member at a convening."""
    p = tiny(design="hub", partnerships=2, districts_per_partnership=2)
    m = NICModel(p.replace(learning="conformity", leaders_per_district=0), seed=1)

    def rows() -> list[list[int]]:
        picked, indptr = looked_at(m)
        return [picked[indptr[i] : indptr[i + 1]].tolist() for i in range(4)]

    m.steps = 1  # convening_interval = 3
    assert rows() == [[1], [0], [3], [2]]
    m.steps = 3
    assert rows() == [[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]]


def pdsa_model(**kw) -> NICModel:
    """A noise-free PDSA pair: decisions after one test, no turnover, no research."""
    base = dict(
        measurement_noise=0.0, min_tests=1, turnover_rate=0.0, research_rate=0.0, share_prob=0.0
    )
    base.update(kw)
    return pair("pdsa", **base)


def test_pdsa_at_the_optimum_never_moves():
    """Every variation of the best practice loses, so noise-free PDSA rejects them all."""
    m = pdsa_model()
    best = best_code(m)
    m.set_practices([best, best])
    for _ in range(6):
        m.step()
    assert list(m.practice) == [best, best]
    assert m.datacollector.model_vars["tests_run"][1:] == [2] * 6


def test_pdsa_adopts_a_good_idea_from_the_inbox_and_rejects_a_bad_one():
    """An inbox idea is tested before a local variation and adopted only if it gains."""
    m = pdsa_model()
    best, worst = best_code(m), worst_code(m)
    m.set_practices([worst, best])
    full = (1 << 8) - 1
    good = ChangeIdea(full, best)  # moves district 0 to the optimum
    bad = ChangeIdea(full, worst)  # would move district 1 to the worst practice
    m.districts[0].receive(good, Evidence(3, 0.5), sender=1)
    m.districts[1].receive(bad, Evidence(3, 0.5), sender=0)  # misleading evidence
    m.step()
    assert list(m.practice) == [best, best]
    assert m.districts[0].trials[good.key].status == "adopted"
    assert m.districts[1].trials[bad.key].status == "rejected"
    assert m.counts["false_adoptions"] == 0


def test_pdsa_noise_can_cause_false_adoptions_and_they_are_counted():
    """With huge noise and a single test, some adoptions lower the outcome."""
    p = tiny(
        partnerships=3,
        districts_per_partnership=3,
        leaders_per_district=3,
        k=3,
        measurement_noise=5.0,
        min_tests=1,
        steps=12,
    )
    m = NICModel(p, seed=2).run()
    assert sum(m.datacollector.model_vars["false_adoptions"]) > 0


def test_adopted_ideas_are_shared_along_ties():
    """share_prob = 1: an adopted idea reaches the neighbour's inbox in the same step."""
    m = pdsa_model(share_prob=1.0)
    best, worst = best_code(m), worst_code(m)
    m.set_practices([worst, worst])
    idea = ChangeIdea((1 << 8) - 1, best)
    m.districts[0].receive(idea, Evidence(1, 0.1), sender=-1)
    m.step()
    assert m.practice[0] == best
    assert idea.key in m.districts[1].inbox
    ev = m.districts[1].inbox[idea.key][1][0]
    assert ev.tests == 1 and ev.mean_gain == pytest.approx(
        m.landscape.best_outcome - m.score([worst], [0])[0]
    )


def test_turnover_replaces_leaders_and_loses_untested_knowledge():
    """turnover_rate = 1: every leader leaves each month and a novice takes the post."""
    p = tiny(
        partnerships=1,
        districts_per_partnership=2,
        leaders_per_district=2,
        turnover_rate=1.0,
        min_tests=5,
        novice_skill=0.1,
        initial_skill=0.9,
    )
    m = NICModel(p, seed=1)
    m.step()
    assert m.counts["leader_departures"] == 4
    # turnover comes last in the month, so every post is held by a fresh novice
    assert sorted(leader.skill for leader in m.leaders) == [0.1] * 4
    assert all(not d.trials for d in m.districts)  # 1-2 tests each, none adopted: all lost


def test_hub_broadcasts_the_best_pooled_idea():
    """At a convening the hub sends the top pooled idea, and only it, to every member."""
    p = tiny(
        partnerships=2,
        districts_per_partnership=2,
        leaders_per_district=1,
        hub_broadcast=1,
        convening_interval=1,
        min_tests=1,
        research_rate=0.0,
        share_prob=0.0,
        turnover_rate=0.0,
        tie_formation=0.0,
    )
    m = NICModel(p, seed=1)
    m.step()
    hub = m.hubs[0]
    ranked = sorted(hub.pooled_evidence(), key=lambda x: (-x[1].mean_gain, x[0].key))
    assert ranked and ranked[0][1].mean_gain > 0
    top = ranked[0][0].key
    for d in m.districts:
        assert {key for key, (_, by) in d.inbox.items() if hub.node in by} == {top}


def test_tie_formation_at_convenings_adds_cross_ties():
    """tie_formation = 1: after a convening every cross-partnership pair is tied."""
    p = tiny(
        partnerships=3,
        districts_per_partnership=2,
        leaders_per_district=1,
        convening_interval=1,
        tie_formation=1.0,
    )
    m = NICModel(p, seed=1)
    m.step()
    for a in m.districts:
        for b in m.districts:
            if a.partnership != b.partnership:
                assert m.graph.edges[a.node, b.node]["kind"] == "cross"
                assert m.space[b.node] in m.space[a.node].connections.values()


@pytest.mark.parametrize("design", ["random", "small_world", "siloed", "networked", "complete"])
@pytest.mark.parametrize("convening", [False, True])
def test_best_neighbours_matches_the_definition_on_every_district(design, convening):
    """The vectorised best neighbour is the neighbour with the highest outcome, the lowest
    index among equals (ties forced by shared practices), including hub members at a
    convening; -1 for a district with no neighbour."""
    from nicsim.nic.imitation import best_neighbours

    p = tiny(design=design, n_districts=30, density=0.08, learning="copy_best", n_contexts=1)
    m = NICModel(p.replace(leaders_per_district=0), seed=5)
    n = len(m.districts)
    # one context and few practices: districts sharing a practice share its outcome
    m.set_practices(np.random.default_rng(1).integers(0, 6, n))
    m.steps = 3 if convening else 1  # convening_interval = 3
    got = best_neighbours(m)
    tied = 0
    for i in range(n):
        nbrs = m.district_neighbours(i)
        best = max((m.outcome[j] for j in nbrs), default=None)
        tied += sum(m.outcome[j] == best for j in nbrs) > 1
        want = max(nbrs, key=lambda j: (m.outcome[j], -j)) if nbrs else -1
        assert got[i] == want, (design, i)
    assert tied >= 3, tied  # the lowest index among equals is really tested


def test_running_pool_equals_pooling_every_record_afresh():
    """The hub's running pool (kept up to date as tests are run, cleared, lost with a
    leaver and replaced by re-tests) equals pooling every district's records afresh."""
    from nicsim.nic.records import Pool

    p = tiny(partnerships=4, districts_per_partnership=3, turnover_rate=0.6, steps=18)
    m = NICModel(p, seed=8).run()
    fresh = Pool()
    for d in m.districts:
        for trial in d.trials.values():
            if trial.results:
                fresh.change(trial.idea, len(trial.results), trial.total)
    running = m.pool.evidence()
    assert [(i.key, e.tests) for i, e in running] == [(i.key, e.tests) for i, e in fresh.evidence()]
    np.testing.assert_allclose(
        [e.mean_gain for _, e in running], [e.mean_gain for _, e in fresh.evidence()], atol=1e-12
    )
    assert len(running) > 20


def test_a_change_idea_is_a_value_equal_by_its_fields():
    """Ideas are compared, hashed, copied and pickled by (mask, values, origin, source);
    ``key`` is the change alone, the same whoever proposed it."""
    import pickle

    a = ChangeIdea(0b101, 0b001, "university", 7)
    assert a == ChangeIdea(5, 1, "university", 7) and hash(a) == hash(
        ChangeIdea(5, 1, "university", 7)
    )
    hub = a._replace(origin="hub", source=40)
    assert hub != a and hub.key == a.key == (5, 1)
    assert (hub.mask, hub.values, hub.origin, hub.source) == (5, 1, "hub", 40)
    assert pickle.loads(pickle.dumps(hub)) == hub
    assert a.apply(0b110) == 0b011 and a.components() == [0, 2]
    assert len({a, ChangeIdea(5, 1, "university", 7), hub}) == 2


# -- the PDSA month's decision points, on hand-made records (docs/ODD.md, 7.2, 7.4, 7.13) ------
def test_a_research_offer_is_its_documented_draw_made_only_if_it_beats_the_practice():
    """ODD 7.2 with one candidate per offer: the candidate flips the first 2 components of
    the order its first N ``research_ideas`` uniforms sort into, or 3 when the last uniform
    is below 0.5, each to the value the practice lacks; the oracle university (quality 1)
    offers it, from itself, only if it beats the practice on S (else nothing: candidate 0,
    the practice, wins). Over a year both sizes and silent months occur."""
    p = tiny(
        design="siloed",
        partnerships=2,
        districts_per_partnership=3,
        research_rate=1.0,
        research_candidates=1,
    )
    m = NICModel(p, seed=4)
    nodes, sources = m.research_pairs
    seen = {2: 0, 3: 0, "none": 0}
    for month in range(1, 13):
        m.month = month
        for d in m.districts:
            d.research.clear()
        research(m)
        for node, source in zip(nodes.tolist(), sources.tolist(), strict=True):
            u = m.keyed["research_ideas"].uniform(month, node, source, 0, np.arange(9))
            size = 3 if u[8] < 0.5 else 2
            mask = sum(1 << int(c) for c in np.argsort(u[:8], kind="stable")[:size])
            x = int(m.practice[node])
            offers = [(i.mask, i.values, i.origin, i.source) for i in m.agent_at[node].research]
            if m.landscape.shared_fitness(x ^ mask) > m.landscape.shared_fitness(x):
                assert offers == [(mask, ~x & mask, "university", source)]
                seen[size] += 1
            else:
                assert offers == []
                seen["none"] += 1
    assert all(seen.values()), seen


def test_plan_tests_fills_the_slots_in_the_documented_order():
    """ODD 7.4, test selection, every rule at once on 22 slots with min_tests = 2:
    1. unfinished ideas, most results first, ties larger key, each only the tests it
       lacks (not one already practised, not one that has its min_tests);
    2. inbox ideas above the threshold (not at it) by mean gain, then tests, then smaller
       key;
    3. research offers oldest first, skipping (and dropping) one already planned, one with a
       closed trial and one that changes nothing;
    4. local variations: the first of the four tries not tried, else the last try anyway,
       the last idea getting only the slot left."""
    m = pdsa_model(tests_per_leader=22, min_tests=2)
    x = 0b10110010
    m.set_practices([x, x])
    d = m.districts[0]

    def idea(mask, origin="district"):
        return ChangeIdea(mask, ~x & mask, origin, 1)

    a, b, c = (d.variation(i, x) for i in (0, 1, 2))
    d.record([(a, 1)], [d.leaders[0].unique_id], [0.1])  # 1 result of 2
    d.start_trial(b)  # no result yet
    d.start_trial(c)  # no result yet, a larger key than b's
    d.start_trial(ChangeIdea(1 << 3, x & (1 << 3)))  # under test, but already practised
    d.record([(d.variation(4, x), 2)], [7, 7], [0.1, 0.2])  # ready: waits for a decision
    p0, p1, p2, p3 = (idea(mask) for mask in (0b00110000, 0b01000100, 0b00100010, 0b01010000))
    evidence = {p0: (1, 0.7), p1: (2, 0.5), p2: (3, 0.5), p3: (3, 0.5), idea(0b10100000): (9, 0.0)}
    for sent, (tests, gain) in evidence.items():
        d.receive(sent, Evidence(tests, gain), sender=1)
    r1, r2, r3, closed = (idea(mask, "university") for mask in (0b10000101, 0b1010, 0b1100, 0xC0))
    d.start_trial(closed)
    d.reject(d.trials[closed.key])
    no_change = ChangeIdea(0b110, x & 0b110, "university", 1)
    d.research[:] = [r1, r2, p0._replace(origin="university"), closed, no_change, r3]
    flips = [[0, 7, 7, 7], [7, 1, 1, 1], [2, 2, 2, 2]]
    plan = plan_tests(testplan.TestPlan(d, x, 22, 2), flips)
    assert [(i.key, tests) for i, tests in plan.runs] == [
        (a.key, 1),
        (c.key, 2),
        (b.key, 2),
        (p0.key, 2),
        (p2.key, 2),
        (p3.key, 2),
        (p1.key, 2),
        (r1.key, 2),
        (r2.key, 2),
        (r3.key, 2),
        (d.variation(7, x).key, 2),  # 0 is under test: the next try
        (b.key, 1),  # every try planned or on record: the last, with the one slot left
    ]
    assert plan.left == 0 and d.research == []


def test_decide_rejects_at_the_threshold_and_adopts_the_best_larger_key_on_ties():
    """ODD 7.4, decision, min_tests = 2, threshold 0: ready trials at or below the threshold
    are rejected (mean 0.0 included); of two passing at the highest mean the larger key is
    adopted; every other trial under test, passing, or not ready, is cleared."""
    m = pdsa_model(min_tests=2)
    d = m.districts[0]
    v = [d.variation(i, int(m.practice[0])) for i in range(6)]
    runs = [[0.1, -0.1], [0.25, 0.25], [0.25, 0.25], [0.1, 0.1], [-0.5, -0.5], [0.9]]
    for idea, gains in zip(v, runs, strict=True):
        d.record([(idea, len(gains))], [1] * len(gains), gains)
    assert d.trials[v[0].key].mean_gain == 0.0 and v[1].key < v[2].key
    assert decide(d, 2, 0.0) is v[2]
    assert [(d.trials[i.key].status, d.trials[i.key].tests) for i in v] == [
        ("rejected", 2),
        ("testing", 0),
        ("adopted", 2),
        ("testing", 0),
        ("rejected", 2),
        ("testing", 0),
    ]


def test_decide_adopts_nothing_whose_mean_only_equals_the_threshold():
    """ODD 7.4: adoption needs a mean gain above ``adoption_threshold``; at it, rejected."""
    m = pdsa_model()
    d = m.districts[0]
    idea = d.variation(3, int(m.practice[0]))
    d.record([(idea, 1)], [1], [0.4])
    assert decide(d, 1, 0.4) is None
    assert d.trials[idea.key].status == "rejected" and not d.adopted


def test_an_adopted_idea_practised_again_after_a_later_adoption_is_shared_again():
    """ODD 7.4, sharing: an adopted idea no longer practised leaves the outbox unsent; when
    a later adoption makes it part of the practice again it re-enters
    (``District.refresh_outbox`` after each adoption) and, at share_prob 1, crosses the tie
    that month."""
    m = pdsa_model(share_prob=1.0)
    best, worst = best_code(m), worst_code(m)
    m.set_practices([worst, worst])
    d0, d1 = m.districts
    c = ((best ^ worst) & -(best ^ worst)).bit_length() - 1  # a component where they differ
    early = d0.variation(c, worst)  # sets component c as the optimum has it
    d0.record([(early, 1)], [d0.leaders[0].unique_id], [0.1])
    assert decide(d0, 1, 0.0) is early  # adopted; the practice is still ``worst``
    share_adopted(m)  # not practised: leaves the outbox, its tie not crossed
    assert early.key not in d1.inbox and d0.trials[early.key].unsent == [1]
    d0.receive(ChangeIdea((1 << 8) - 1, best), Evidence(1, 0.5), sender=-1)
    m.step()  # d0 adopts the optimum, which holds ``early`` again
    assert m.practice[0] == best
    assert early.key in d1.inbox and d0.trials[early.key].unsent == []


def test_a_tests_noise_is_keyed_by_month_post_and_its_slot_in_the_posts_run():
    """ODD 3 (keyed streams: ``noise`` (month, post, test slot of the post)) and 7.4,
    measurement: observed = true gain + z sd(skill before the month's learning), z the
    keyed normal of the test's place among its own leader's tests, not in the batch."""
    p = tiny(
        design="siloed",
        partnerships=1,
        districts_per_partnership=2,
        leaders_per_district=2,
        tests_per_leader=3,
        min_tests=2,
        measurement_noise=20.0,
    )
    m = NICModel(p, seed=5)
    m.skill[:] = [0.0, 0.25, 0.5, 1.0]
    skill = m.skill.copy()
    m.month = 1
    plans = plan_month(m)
    posts = [post for plan in plans for post in plan.posts]
    assert posts == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    true, before, observed = run_tests(m, plans)
    for k, post in enumerate(posts):
        z = m.keyed["noise"].normal(1, post, k % 3)
        want = true[k] - before[k] + z * noise_sd(p, skill[post])
        assert observed[k] == pytest.approx(want, rel=1e-12, abs=1e-12)


def belief_pair(**kw) -> NICModel:
    """Two districts on a line under the leaders' judgment, one leader each."""
    p = tiny(
        design="line",
        n_districts=2,
        learning="pdsa",
        leaders_per_district=1,
        min_tests=1,
        judgment="belief",
        research_rate=0.0,
        share_prob=0.0,
        turnover_rate=0.0,
        **kw,
    )
    return NICModel(p, seed=3)


def test_judgment_candidates_are_promising_inbox_ideas_new_offers_and_unblocked_flips():
    """ODD 7.13: candidates are inbox ideas above the threshold (best evidenced first),
    research offers not under test, not already candidates and changing the practice, then
    the first draws of the free slots' flips, each component once, none already under test
    as a change (one under test that changes nothing blocks nothing). Offers are dropped
    once considered; a district with no free slot has no candidates and keeps its offers."""
    m = belief_pair(tests_per_leader=4)
    x = 0b10110010
    m.set_practices([x, x])
    d, full = m.districts

    def idea(mask, origin="district"):
        return ChangeIdea(mask, ~x & mask, origin, 1)

    d.start_trial(d.variation(2, x))  # under test, no result: takes one slot
    d.start_trial(ChangeIdea(1 << 3, x & (1 << 3)))  # under test, already practised
    pa, pb, pc = idea(0b110000), idea(0b1100000), idea(0b1010000)
    for sent, ev in ((pa, Evidence(2, 0.5)), (pb, Evidence(5, 0.0)), (pc, Evidence(1, 0.8))):
        d.receive(sent, ev, sender=1)
    r1, r2 = idea(0b101, "university"), idea(0b1001, "university")
    d.record([(r2, 1)], [1], [0.3])  # an offer under test, waiting for a decision
    no_change = ChangeIdea(0b11, x & 0b11, "university", 1)
    d.research[:] = [r1, r2, pa._replace(origin="university"), no_change]
    kept = [idea(0b11000000, "university")]
    full.research[:] = kept
    plans = [testplan.TestPlan(z, x, 4, 1) for z in (d, full)]
    finish_cycles(plans[0])
    assert plans[0].left == 3
    plans[1].add(full.variation(0, x), 4)  # no slot left this month
    flips = np.array([[[2, 3, 0, 0], [0, 0, 1, 1], [3, 4, 4, 4], [6, 6, 6, 6]], [[5] * 4] * 4])
    options = judgment.candidates(m, plans, flips)
    given = len(options.given)
    mine = [
        (options.idea(i).key, options.given[i][1] if i < given else None) for i in options.of[0]
    ]
    assert mine == [
        (pc.key, Evidence(1, 0.8)),
        (pa.key, Evidence(2, 0.5)),
        (r1.key, None),
        *((d.variation(c, x).key, None) for c in (3, 0, 1, 4)),  # slot 3's draw unused
    ]
    assert options.of[1] == []
    assert d.research == [] and full.research == kept


def test_judgment_weighs_inbox_evidence_by_inverse_variance_and_variations_by_belief():
    """ODD 7.13, h = 0.3, no judgment noise, leaders whose belief means are the true tables
    but with the prior's variance v: a local variation is scored at the leader's prediction
    (the true gain) alone; an inbox idea with n = 4 tests of mean g at
    (m_l s^2 + g v_l) / (v_l + s^2), s^2 = measurement_noise^2 / n + the local spread,
    v_l = sum a^2 v. Worked out from the changes' coefficients."""
    m = belief_pair(tests_per_leader=3, h=0.3, judgment_noise=0.0)
    land, s = m.landscape, m.landscape.shared.table.size
    m.beliefs.mean[:, :s] = land.shared.table.ravel()
    m.beliefs.mean[:, s:] = land.local_tables(m.context[m.posts])
    assert (m.beliefs.var == PRIOR_VAR).all()
    d, x = m.districts[0], int(m.practice[0])
    sent = ChangeIdea(0b101, ~x & 0b101, "district", 1)
    d.receive(sent, Evidence(4, 5.0), sender=1)
    m.month = 1
    plans = [testplan.TestPlan(z, int(m.practice[z.node]), 3, 1) for z in m.districts]
    draws = np.array([[[0, 1, 2, 3], [4, 5, 6, 7], [1, 3, 5, 7]]] * 2)
    options = judgment.candidates(m, plans, draws)
    who = judgment.pickers(plans, options)
    score = judgment.scores(m, options, who)
    mine = [options.idea(i) for i in options.of[0]]
    assert mine[0] is sent and len(mine) == 9 and len(who[0]) == 3
    for i, idea in enumerate(mine):
        new = idea.apply(x)
        truth = m.score([new], [0])[0] - m.outcome[0]
        ch = changes_for(m, np.array([0]), np.array([x]), np.array([new]))
        v_l = (ch.coeffs[0] ** 2).sum() * PRIOR_VAR
        want = truth
        if i == 0:
            assert ch.local_variance[0] > 0
            spread = m.p.measurement_noise**2 / 4 + ch.local_variance[0]
            want = (truth * spread + 5.0 * v_l) / (v_l + spread)
        for j in range(3):  # each picker's scores, candidate by candidate
            assert score[j * len(mine) + i] == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_an_adoption_leaves_the_outcome_the_true_outcome_of_the_new_practice():
    """ODD 7.4: an adoption's outcome is the true outcome its own tests tried (the idea's
    first test this month, ``TestPlan.first_test_of``), so after every month each
    district's outcome is the landscape's outcome of its practice. Three leaders with two
    slots each and min_tests = 2 put adopted ideas after runs of several tests."""
    p = tiny(
        partnerships=3,
        districts_per_partnership=3,
        leaders_per_district=3,
        tests_per_leader=2,
        min_tests=2,
        measurement_noise=5.0,
    )
    m = NICModel(p, seed=2)
    adopted = 0
    for _ in range(12):
        m.step()
        adopted += m.counts["ideas_adopted"]
        truth = m.score(m.practice, m.all_districts)
        np.testing.assert_allclose(m.outcome, truth, rtol=0, atol=1e-12)
    assert adopted > 10


def test_slots_left_when_the_candidates_run_out_run_no_test():
    """ODD 7.13: leaders pick until the slots or the candidates run out, and unused slots
    run no test (nor teach by doing, 7.3). N = 3: at most three one-component flips for
    five slots, so three tests and three tests' learning by doing."""
    m = belief_pair(n_components=3, k=1, tests_per_leader=5, learning_by_doing=0.1)
    m.month = 1
    plans = plan_month(m)
    assert [(len(plan.posts), len(plan.leader_ids), plan.size) for plan in plans] == [(3, 3, 3)] * 2
    skill = m.skill.copy()
    run_tests(m, plans)
    assert m.counts["tests_run"] == 6
    np.testing.assert_allclose(m.skill, 1 - (1 - skill) * 0.9**3)


def test_the_hub_broadcasts_the_highest_mean_then_most_tested_then_smallest_key():
    """ODD 7.7 (``ideas.hub_rank``): pooled ideas passing min_tests and the threshold are
    ranked by mean gain, then tests, then smaller key. Three ideas at mean 0.5, one with
    fewer tests and one with a larger key, and one at the threshold: hub_broadcast = 1
    sends the most tested of smaller key, with its pooled evidence."""
    p = tiny(
        partnerships=2,
        districts_per_partnership=2,
        leaders_per_district=1,
        hub_broadcast=1,
        min_tests=1,
        tie_formation=0.0,
    )
    m = NICModel(p, seed=1)
    d = m.districts
    fewer, best, larger = ChangeIdea(1, 1), ChangeIdea(2, 2), ChangeIdea(4, 4)
    d[0].record([(fewer, 1)], [1], [0.5])
    d[1].record([(best, 2)], [1, 1], [0.5, 0.5])
    d[2].record([(larger, 2)], [1, 1], [0.5, 0.5])
    d[3].record([(ChangeIdea(8, 8), 2)], [1, 1], [0.0, 0.0])
    hub = m.hubs[0]
    hub.convene()
    for district in d:
        assert {key for key, (_, by) in district.inbox.items() if hub.node in by} == {best.key}
        assert district.inbox[best.key][1][hub.node] == Evidence(2, 0.5)


def test_evidence_pools_by_test_weighted_mean():
    """Evidence pools as a test-weighted mean (2 tests at 1 and 6 at 3: 8 at 2.5); no
    tests pool to no evidence."""
    assert pool([Evidence(2, 1.0), Evidence(6, 3.0)]) == Evidence(8, 2.5)
    assert pool([]) == Evidence()


def test_an_adopted_idea_whose_trial_a_re_test_replaced_is_not_shared():
    """ODD 7.4: a re-test opens a fresh trial and "a replaced adopted idea is no longer
    shared": the old trial leaves the outbox even when its idea is practised again (here by
    ``NICModel.set_practices``, which re-offers only adopted trials)."""
    m = pdsa_model(share_prob=1.0)
    d0, d1 = m.districts
    x = int(m.practice[0])
    idea = d0.variation(5, x)
    d0.record([(idea, 1)], [d0.leaders[0].unique_id], [0.1])
    assert decide(d0, 1, 0.0) is idea  # adopted, not yet shared: its tie is unsent
    d0.start_trial(idea)  # a re-test replaces the adopted trial
    m.set_practices([idea.apply(x), int(m.practice[1])])  # practised after all
    share_adopted(m)
    assert idea.key not in d1.inbox and not m.outbox
