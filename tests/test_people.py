"""Model 2's people and universities (M2, M3) on tiny cases with known answers."""

from types import SimpleNamespace

import networkx as nx
import numpy as np
import pytest

from nicsim.core.params import ConfigError
from nicsim.nic import judgment, testplan
from nicsim.nic.beliefs import PRIOR_MEAN, PRIOR_VAR
from nicsim.nic.ideas import ChangeIdea, Evidence
from nicsim.nic.knowledge import changes_for, learn_at_convening
from nicsim.nic.learning import finish_cycles, month_capacity, plan_month, research
from nicsim.nic.model import NICModel
from nicsim.nic.params import Params


def small(**kw) -> Params:
    """One partnership of two districts and its university (siloed), N = 8, K = 2."""
    base = dict(
        design="siloed",
        partnerships=1,
        districts_per_partnership=2,
        leaders_per_district=2,
        n_components=8,
        k=2,
        steps=12,
    )
    return Params(**{**base, **kw})


# -- capacity --------------------------------------------------------------------------------
def test_a_novice_runs_novice_capacity_of_the_tests_and_an_expert_all():
    m = NICModel(small(tests_per_leader=4, novice_capacity=0.5), seed=1)
    m.skill[:] = [0.0, 1.0, 0.0, 1.0]
    m.month = 1
    assert month_capacity(m) == [2, 4, 2, 4]  # 4 (0.5 + 0.5 skill): whole numbers, no draw


def test_capacity_is_rounded_at_random_with_the_exact_mean():
    m = NICModel(small(tests_per_leader=1, novice_capacity=0.5), seed=1)
    m.skill[:] = 0.5  # 0.75 tests expected
    counts = []
    for month in range(1, 2001):
        m.month = month
        counts += month_capacity(m)
    # 8000 Bernoulli(0.75) draws: sd of the mean 0.0048, tolerance 4 sd
    assert np.mean(counts) == pytest.approx(0.75, abs=0.02)
    assert set(counts) == {0, 1}


def test_full_novice_capacity_is_model_1s_fixed_slots():
    m = NICModel(small(tests_per_leader=2, novice_capacity=1.0), seed=1)
    assert month_capacity(m) is None
    plans = plan_month(m)
    assert [len(p.posts) for p in plans] == [4, 4]


# -- judgment --------------------------------------------------------------------------------
def true_gains(m: NICModel, plan: testplan.TestPlan, ideas) -> np.ndarray:
    node = plan.district.node
    new = np.array([idea.apply(plan.practice) for idea in ideas])
    return m.score(new, np.full(new.size, node)) - m.outcome[node]


def omniscient(m: NICModel) -> None:
    """Every leader's belief set to the true tables, known exactly."""
    land = m.landscape
    posts = m.posts
    contexts = m.context[posts // m.p.leaders_per_district]
    s = land.shared.table.size
    m.beliefs.mean[:, :s] = land.shared.table.ravel()
    m.beliefs.mean[:, s:] = land.local_tables(contexts)
    m.beliefs.var[:] = 0.0


def judged(m: NICModel):
    """This month's plans, their candidates and each picking leader's scores of them:
    ``rows[d][j][i]`` is plan d's j-th picker's score of its i-th candidate."""
    m.month += 1
    plans = [testplan.TestPlan(d, int(m.practice[d.node]), 1, m.p.min_tests) for d in m.districts]
    draws = m.keyed["flips"].integers(
        m.p.n_components,
        m.month,
        m.all_districts[:, None, None],
        np.arange(2)[:, None],
        np.arange(4),
    )
    for plan in plans:
        finish_cycles(plan)
    options = judgment.candidates(m, plans, draws)
    who = judgment.pickers(plans, options)
    return plans, options, who, judgment.scores(m, options, who)


def by_picker(score, options, who):
    """The month's flat scores split plan by plan, then picker by picker: ``[d][j][i]`` is
    plan d's j-th picker's score of its i-th candidate."""
    rows, first = [], 0
    for mine, posts in zip(options.of, who, strict=True):
        n = len(mine)
        rows.append([score[first + j * n : first + (j + 1) * n] for j in range(len(posts))])
        first += n * len(posts)
    return rows


def test_a_leader_who_knows_the_landscape_picks_the_best_candidate():
    m = NICModel(small(judgment_noise=30.0, novice_capacity=1.0, min_tests=1), seed=2)
    omniscient(m)
    m.skill[:] = 1.0  # no judgment noise at full skill
    plans, options, who, score = judged(m)
    rows = by_picker(score, options, who)
    assert all(rows)  # every district has pickers (two slots, one test a pick)
    chosen = judgment.picks(score, options, who)
    for d, plan in enumerate(plans):
        ideas = [options.idea(i) for i in options.of[d]]
        gains = true_gains(m, plan, ideas)
        for row in rows[d]:
            assert np.allclose(row, gains)  # a prediction is the true gain
        judgment.fill(plan, options, chosen[d])
        picked = [idea.key for idea, _ in plan.runs]
        order = [ideas[i].key for i in np.argsort(-gains, kind="stable")]
        assert picked == order[: len(picked)]  # each leader took the best left


def test_each_picker_takes_its_best_candidate_left_the_first_of_equal_scores():
    """Hand-made scores: plan 0 has candidates 0-2 and two pickers, plan 1 none, plan 2
    candidates 3-4 and one picker. Plan 0's second picker ranks first what the first one
    took, so takes its next best; of equal scores the first candidate is taken."""
    options = SimpleNamespace(of=[[0, 1, 2], [], [3, 4]])
    who = [[10, 11], [], [12]]
    score = np.array(
        [1.0, 5.0, 5.0]  # picker 10: candidates 1 and 2 tie, 1 comes first
        + [0.0, 9.0, 3.0]  # picker 11: would take 1, taken, so 2
        + [2.0, 2.0]  # picker 12: a tie, the first
    )
    assert judgment.picks(score, options, who) == [[1, 2], [], [3]]


def test_a_novice_ranks_by_judgment_noise_alone():
    """A novice's belief is the prior: every prediction 0, so its ranking is its noise
    Normal(0, (judgment_noise (1 - skill))^2), whatever the candidates' true gains."""
    m = NICModel(small(judgment_noise=10.0), seed=2)
    m.skill[:] = 0.2
    *_, noise = judged(m)  # every picker's scores of its candidates
    assert noise.size >= 8
    assert noise.std() == pytest.approx(8.0, rel=0.6)  # 10 (1 - 0.2), few candidates
    m2 = NICModel(small(judgment_noise=0.0), seed=2)
    *_, flat = judged(m2)
    assert flat.size and (flat == 0).all()


def test_the_leaders_who_pick_are_those_of_the_free_slots_where_a_pick_begins():
    """Two leaders with two slots each (posts 4, 4, 5, 5): with min_tests = 2 the leaders
    of slots 0 and 2 pick; with one slot planned before, those of slots 1 and 3; never
    more pickers than candidates."""
    m = NICModel(small(tests_per_leader=2, novice_capacity=1.0), seed=1)
    district = m.districts[1]
    assert district.test_slots(2)[1] == [2, 2, 3, 3]
    plan = testplan.TestPlan(district, int(m.practice[1]), 2, 2)
    options = judgment.Candidates([plan], [], [], np.array([0, 0, 0]), np.array([1, 2, 3]))
    assert judgment.pickers([plan], options) == [[2, 3]]
    plan.add(district.variation(7, plan.practice), 1)
    assert judgment.pickers([plan], options) == [[2, 3]]  # slots 1 and 3
    plan = testplan.TestPlan(district, int(m.practice[1]), 2, 1)
    assert judgment.pickers([plan], options) == [[2, 2, 3]]  # three candidates, four slots


def test_local_variations_are_each_free_slots_draws_once_in_order_less_those_blocked():
    """Draws (plans, slots, tries) by hand: a plan's first ``left`` slots count, each
    component once at its first draw, a blocked one never."""
    m = NICModel(small(tests_per_leader=2, novice_capacity=1.0), seed=1)
    plans = [testplan.TestPlan(d, int(m.practice[d.node]), 2, 2) for d in m.districts]
    plans[0].add(m.districts[0].variation(0, plans[0].practice), 2)  # 2 of 4 slots left
    plans[1].add(m.districts[1].variation(0, plans[1].practice), 4)  # none left
    flips = np.array(
        [
            [[3, 3, 5, 1], [5, 2, 3, 6], [7, 7, 7, 7], [4, 4, 4, 4]],
            [[1, 2, 3, 4], [5, 6, 7, 0], [1, 1, 1, 1], [2, 2, 2, 2]],
        ]
    )
    blocked = np.zeros((2, 8), dtype=bool)
    blocked[0, 1] = blocked[0, 6] = True
    plan, component = judgment.variations(plans, flips, blocked)
    assert plan.tolist() == [0, 0, 0]
    assert component.tolist() == [3, 5, 2]


def test_a_skill_above_one_is_an_error_not_a_read_past_the_draws():
    """Skill above 1 (set by hand) gives a post more tests than tests_per_leader, so a plan
    more free slots than draws were made for: refused, where the compiled loop would read
    past the array (the process crashed)."""
    m = NICModel(small(tests_per_leader=2, novice_capacity=0.5), seed=1)
    m.skill[:] = 3.0  # 2 (0.5 + 0.5 x 3) = 4 tests a post, 8 a district; 4 slots drawn
    with pytest.raises(ValueError, match="plans 8 tests this month but only 4 fit"):
        m.step()


def test_a_variation_under_test_or_already_a_candidate_is_not_one_again():
    """A district testing the flip of component c, or holding it in its inbox as a
    promising idea, does not get it again as a local variation this month."""
    m = NICModel(small(novice_capacity=1.0, tests_per_leader=4, min_tests=2), seed=3)
    m.month = 1
    district = m.districts[0]
    x = int(m.practice[0])
    district.start_trial(district.variation(2, x))  # under test, no tests yet
    district.receive(m.districts[1].variation(5, x), Evidence(4, 50.0), 1)
    plans = [testplan.TestPlan(d, int(m.practice[d.node]), 4, 2) for d in m.districts]
    for plan in plans:
        finish_cycles(plan)
    flips = np.tile(np.arange(8), (2, 8, 1))[:, :, :4] % 8  # slot s draws 0, 1, 2, 3
    flips[:, 1] = [4, 5, 6, 7]
    options = judgment.candidates(m, plans, flips)
    mine = [options.idea(i).key for i in options.of[0]]
    assert mine[0] == (1 << 5, ~x & (1 << 5))  # the inbox idea first
    flipped = [k[0].bit_length() - 1 for k in mine[1:]]
    assert flipped == [0, 1, 3, 4, 6, 7]  # 2 is under test, 5 came from the inbox


def test_judgment_model1_keeps_model_1s_fixed_order():
    m = NICModel(small(judgment="model1", novice_capacity=1.0), seed=2)
    assert m.beliefs is None
    m.step()
    assert np.isnan(m.datacollector.model_vars["leader_belief_error"][-1])


def test_a_leaders_belief_error_shrinks_with_its_own_tests():
    p = small(turnover_rate=0.0, tests_per_leader=4, research_rate=0.0, steps=36, h=0.5)
    m = NICModel(p, seed=4).run()
    err = m.datacollector.model_vars["leader_belief_error"]
    assert err[0] == pytest.approx(np.sqrt(PRIOR_VAR), rel=0.2)  # the prior's
    # most entries are of practices the district never comes near, so the whole-table
    # error falls slowly: by more than 0.01 in 36 months (0.013-0.015 on seeds 4-6)
    assert err[-1] < err[6] < err[0] - 0.005
    assert err[-1] < err[0] - 0.01


# -- turnover ----------------------------------------------------------------------------------
def hub_with_ties(**kw) -> NICModel:
    """A hub of 3 partnerships whose first convening ties every cross-partnership pair."""
    p = small(
        design="hub",
        partnerships=3,
        tie_formation=1.0,
        convening_interval=1,
        turnover_rate=0.0,
        **kw,
    )
    m = NICModel(p, seed=1)
    m.step()
    return m


def test_a_leavers_personal_ties_end_and_institutional_ties_stay():
    m = hub_with_ties()
    assert len(m.personal) == 12  # 6 districts, pairs across 3 partnerships: 15 - 3
    (a, b), (holder, _) = next(iter(m.personal.items()))
    leader = next(x for x in m.agent_at[a].leaders if x.unique_id == holder)
    gone = [pair for pair, who in m.personal.items() if holder in who]
    institutional = [e for e in m.graph.edges if m.graph.edges[e].get("kind") != "cross"]
    leader.leave()
    for x, y in gone:
        assert not m.graph.has_edge(x, y) and (x, y) not in m.personal
    assert len(m.personal) == 12 - len(gone)
    assert all(m.graph.has_edge(*e) for e in institutional)
    assert m.datacollector.model_vars["personal_ties"][-1] == 12
    m.datacollector.collect(m)
    assert m.datacollector.model_vars["personal_ties"][-1] == 12 - len(gone)


def test_a_turnover_draw_belongs_to_a_place_in_the_districts_list_not_to_a_post():
    """ODD 7.8: draw i decides whether the (i mod L)-th leader of district i // L in its
    ``leaders`` list leaves; a novice joins the end of the list, so after a departure the
    place and the post differ. Draws set by hand: only place 0 leaves."""
    m = NICModel(small(turnover_rate=0.5), seed=1)
    district = m.districts[0]
    first, second = district.leaders
    novice = first.leave()  # takes post 0 at the end of the list
    assert [x.post for x in district.leaders] == [1, 0]
    m.keyed["turnover"] = SimpleNamespace(uniform=lambda month, places: np.array([0.0, 1, 1, 1]))
    m.turnover()
    assert m.counts["leader_departures"] == 1
    assert second not in district.leaders and district.leaders[0] is novice
    assert [x.post for x in district.leaders] == [0, 1]


def test_a_personal_tie_is_held_by_a_leader_of_each_district_and_seen_while_it_lasts():
    """ODD 7.14: a tie formed at a convening records one leader of each of its two
    districts; while it lives each district sees the other in an ordinary month
    (``neighbour_arrays``), and not once it has ended with a leaver, and an adopted idea
    waiting to cross it no longer does."""
    m = hub_with_ties()
    for (a, b), (at_a, at_b) in m.personal.items():
        assert at_a in {x.unique_id for x in m.agent_at[a].leaders}
        assert at_b in {x.unique_id for x in m.agent_at[b].leaders}
    (a, b), (holder, _) = next(iter(m.personal.items()))
    row = lambda t, i: t.nbrs[t.indptr[i] : t.indptr[i + 1]].tolist()  # noqa: E731
    assert b in row(m.neighbour_arrays(), a)  # worked out, so kept
    waiting = []
    for x, y in ((a, b), (b, a)):
        district = m.agent_at[x]
        idea = flip(7, district.practice)
        district.record([(idea, 1)], [district.leaders[1].unique_id], [1.0])
        district.adopt(district.testing[idea.key])
        assert y in district.adopted[idea.key].unsent
        waiting.append((district.adopted[idea.key], y))
    next(x for x in m.agent_at[a].leaders if x.unique_id == holder).leave()
    assert b not in row(m.neighbour_arrays(), a) and a not in row(m.neighbour_arrays(), b)
    assert all(y not in trial.unsent for trial, y in waiting)
    m.add_tie(a, b, "cross")  # a new tie is seen at once
    assert b in row(m.neighbour_arrays(), a) and a in row(m.neighbour_arrays(), b)


def test_a_tie_formed_again_by_other_leaders_outlasts_the_first_ties_holders():
    """ODD 7.14: a tie ends when either *of its* leaders leaves. When a tie ends with
    one holder, the other still lists it; if the pair ties again later, held by other
    leaders, that first holder's departure must leave the new tie alone."""
    m = hub_with_ties()
    (a, b), (first_a, first_b) = next(iter(m.personal.items()))
    next(x for x in m.agent_at[a].leaders if x.unique_id == first_a).leave()
    assert (a, b) not in m.personal and not m.graph.has_edge(a, b)
    # a later month whose keyed draw gives b's other leader the new tie
    posts = [x.unique_id for x in m.agent_at[b].leaders]
    pick = lambda month: m.keyed["tie_leaders"].integers(  # noqa: E731
        2, month, np.array([a, b]), np.array([b, a])
    )[1]
    m.month = next(t for t in range(m.month, m.month + 50) if posts[pick(t)] != first_b)
    m.add_tie(a, b, "cross")
    m.make_personal(a, b)
    holders = m.personal[(a, b)]
    assert first_b not in holders
    next(x for x in m.agent_at[b].leaders if x.unique_id == first_b).leave()
    assert m.personal[(a, b)] == holders and m.graph.has_edge(a, b)
    holder_b = next(x for x in m.agent_at[b].leaders if x.unique_id == holders[1])
    holder_b.leave()
    assert (a, b) not in m.personal and not m.graph.has_edge(a, b)


def test_institutional_convening_ties_outlast_their_leaders():
    m = hub_with_ties(convening_ties="institutional")
    assert m.personal == {}
    edges = m.graph.number_of_edges()
    for leader in m.leaders:
        leader.leave()
    assert m.graph.number_of_edges() == edges


def test_a_leaver_takes_its_belief_and_the_knowledge_is_counted():
    m = NICModel(small(turnover_rate=0.0, tests_per_leader=3, preparation=0.0), seed=3)
    m.run(6)
    leader = m.districts[0].leaders[0]
    post = leader.post
    known = m.beliefs.knowledge(post)
    assert known > 0
    m.counts.clear()
    newcomer = leader.leave()
    assert m.counts["knowledge_lost"] == pytest.approx(known)
    assert (m.beliefs.mean[post] == PRIOR_MEAN).all() and (m.beliefs.var[post] == PRIOR_VAR).all()
    assert newcomer.post == post and newcomer.skill == m.p.novice_skill


def test_a_graduate_brings_preparation_of_skill_and_of_its_universitys_belief():
    p = small(preparation=0.4, research_quality=0.6, turnover_rate=0.0)
    m = NICModel(p, seed=3)
    m.month = 5
    post = m.districts[1].leaders[0].post
    newcomer = m.districts[1].leaders[0].leave()
    assert newcomer.skill == pytest.approx(0.2 + 0.4 * 0.8)
    s = m.research_beliefs.mean.shape[1]
    same = m.beliefs.mean[post, :s] == m.research_beliefs.mean[0]
    # 384 S entries, each copied with chance 0.4: sd of the share 0.025, tolerance 4 sd
    assert same.mean() == pytest.approx(0.4, abs=0.1)
    assert (m.beliefs.var[post, :s][same] == m.research_beliefs.var[0][same]).all()
    assert (m.beliefs.mean[post, s:] == PRIOR_MEAN).all()  # the local part: nothing


def test_without_a_university_preparation_is_a_documented_no_op():
    p = Params(design="line", n_districts=2, n_components=8, k=2, preparation=0.9)
    m = NICModel(p, seed=1)
    newcomer = m.districts[0].leaders[0].leave()
    assert newcomer.skill == p.novice_skill
    assert m.research_beliefs is None


# -- universities ------------------------------------------------------------------------------
def test_research_quality_one_is_the_oracle_and_zero_the_prior():
    oracle = NICModel(small(research_quality=1.0), seed=2)
    assert np.array_equal(oracle.research_beliefs.mean[0], oracle.landscape.shared.table.ravel())
    assert (oracle.research_beliefs.var == 0).all() and not oracle.research_learns
    blind = NICModel(small(research_quality=0.0), seed=2)
    assert (blind.research_beliefs.mean == 0.5).all()
    assert (blind.research_beliefs.var == PRIOR_VAR).all()


def test_research_prior_error_shrinks_with_quality_as_documented():
    """Prior mean 0.5 + q^2 (T + e - 0.5): error variance (1 - q^2) / 12 on average."""
    for q in (0.3, 0.7, 0.9):
        m = NICModel(small(research_quality=q, n_components=12, k=4), seed=1)
        err = m.research_beliefs.mean[0] - m.landscape.shared.table.ravel()
        # 384 entries: the mean square error within 20% of (1 - q^2) / 12
        assert np.mean(err**2) == pytest.approx((1 - q * q) / 12, rel=0.2)


def test_research_quality_one_chooses_what_model_1_chose():
    """The oracle's research offers equal those ranked on the landscape's own S, and a
    belief that holds S exactly ranks every candidate the same, bit for bit."""
    m = NICModel(small(research_quality=1.0, research_rate=1.0), seed=6)
    codes = np.arange(256)[None, :]
    exact = m.landscape.shared_fitness(codes)
    believed = m.landscape.shared_belief_fitness(
        m.research_beliefs.mean, codes, np.zeros((1, 1), int)
    )
    assert np.array_equal(exact, believed)
    m.month = 1
    research(m)
    offered = [idea.key for d in m.districts for idea in d.research]
    assert offered  # research_rate 1: every partner gets an offer that beats its practice
    for d in m.districts:
        for idea in d.research:
            x = int(m.practice[d.node])
            assert m.landscape.shared_fitness(idea.apply(x)) > m.landscape.shared_fitness(x)


def offers_and_scores(**kw):
    """A month of research offers to prior-belief leaders, without judgment noise: each
    district's research candidates, their scores and the changes they make."""
    m = NICModel(small(research_rate=1.0, judgment_noise=0.0, **kw), seed=6)
    m.month = 1
    research(m)
    plans, options, who, score = judged(m)
    scores, rows = by_picker(score, options, who), []
    for d, plan in enumerate(plans):
        for i, c in enumerate(options.of[d]):
            idea, evidence = options.given[c] if c < len(options.given) else (None, 0)
            if idea is not None and idea.origin == "university" and evidence is None:
                rows.append((plan, idea, np.array([row[i] for row in scores[d]])))
    assert rows  # research_rate 1: every district has an offer among its candidates
    return m, rows


def test_an_oracles_offer_carries_the_true_gain_where_contexts_do_not_matter():
    """h = 0 and research_quality = 1: the university's estimate is exact and nothing is
    local, so a leader who knows nothing scores an offer at its true gain, and every
    local variation at 0."""
    m, rows = offers_and_scores(h=0.0, research_quality=1.0)
    for plan, idea, score in rows:
        gain = true_gains(m, plan, [idea])[0]
        assert score == pytest.approx(np.full(score.shape, gain))
        assert gain > 0  # the oracle offers only what beats the practice


def test_an_offer_is_weighed_against_the_leaders_belief_by_inverse_variance():
    """(m_l s^2 + m_u v_l) / (v_l + s^2), s^2 the university's predictive variance plus
    the local part's prior spread: computed by hand from the beliefs."""
    m, rows = offers_and_scores(h=0.3, research_quality=0.5)
    for plan, idea, score in rows:
        node = plan.district.node
        base = np.array([plan.practice])
        ch = changes_for(m, np.array([node]), base, np.array([idea.apply(plan.practice)]))
        a = ch.coeffs[0]
        v_l = (a * a).sum() * PRIOR_VAR  # the leaders' prior: mean 0 for any change
        s_entries, s_coeffs = ch.shared()
        row = m.partner_of[node]
        m_u = (m.research_beliefs.mean[row, s_entries[0]] * s_coeffs[0]).sum()
        v_u = (m.research_beliefs.var[row, s_entries[0]] * s_coeffs[0] ** 2).sum()
        spread = v_u + ch.local_variance[0]
        assert ch.local_variance[0] > 0
        assert score == pytest.approx(np.full(score.shape, m_u * v_l / (v_l + spread)))


def test_a_university_that_knows_nothing_offers_nothing():
    """At research_quality 0 its belief is the prior everywhere: no change beats the
    practice, so research is silent rather than a source of random ideas."""
    m = NICModel(small(research_rate=1.0, research_quality=0.0), seed=6)
    m.month = 1
    research(m)
    assert not any(d.research for d in m.districts)


def test_a_university_learns_its_partners_results():
    """At quality 0.3 a university's estimate of S moves toward the truth as its partners
    test (h = 0: their results are S's own)."""
    p = small(research_quality=0.3, h=0.0, tests_per_leader=4, turnover_rate=0.0, steps=24)
    m = NICModel(p, seed=5).run()
    err = m.datacollector.model_vars["university_belief_error"]
    assert err[-1] < err[0] - 0.005
    assert m.research_beliefs.var.min() < (1 - 0.09) * PRIOR_VAR


def test_a_university_learns_from_a_hubs_pooled_evidence():
    """Two hubs' worth of evidence: universities of a hub design learn at convenings what
    siloed ones cannot (same seed, same partners' tests in the first month)."""
    kw = dict(partnerships=3, research_quality=0.3, turnover_rate=0.0, convening_interval=1)
    hub = NICModel(small(design="hub", **kw), seed=7)
    siloed = NICModel(small(**kw), seed=7)
    assert np.array_equal(hub.research_beliefs.mean, siloed.research_beliefs.mean)
    hub.run(6)
    siloed.run(6)
    seen = lambda m: float(np.log(PRIOR_VAR / m.research_beliefs.var).sum())  # noqa: E731
    assert seen(hub) > seen(siloed)


# -- a district of several universities (file designs) ----------------------------------------
def shared_partners(universities=("U1", "U2"), hub: bool = False) -> nx.Graph:
    """Districts D1 and D2, tied, each a partner of every university named (one
    partnership); with ``hub``, D3 of another partnership with its university U3, and a
    hub of the three districts. Nodes: districts first, then universities, then the hub."""
    g = nx.Graph([("D1", "D2")])
    g.add_nodes_from(["D1", "D2"], kind="district", partnership="p")
    for u in universities:
        g.add_node(u, kind="university", partnership="p")
        g.add_edges_from([(u, "D1"), (u, "D2")])
    if hub:
        g.add_node("D3", kind="district", partnership="q")
        g.add_node("U3", kind="university", partnership="q")
        g.add_node("H", kind="hub")
        g.add_edges_from([("U3", "D3"), ("H", "D1"), ("H", "D2"), ("H", "D3")])
    return g


def on_file(graph: nx.Graph, seed: int, **kw) -> NICModel:
    return NICModel(small(design="file", graph_file="g.csv", **kw), seed=seed, graph=graph)


def knowing_and_wrong(m: NICModel) -> None:
    """U1 (row 0) knows S exactly, U2 (row 1) believes its reverse, 1 - S: an offer
    ranked on U1's belief beats the practice on S, one ranked on U2's falls short."""
    truth = m.landscape.shared.table.ravel()
    m.research_beliefs.mean[0] = truth
    m.research_beliefs.mean[1] = 1 - truth
    m.research_beliefs.var[0] = PRIOR_VAR / 4
    m.research_beliefs.var[1] = PRIOR_VAR / 2


def test_each_university_of_a_district_learns_from_each_of_its_tests():
    """U1 and U2 share both districts: a test there is one observation for each. Month 1
    without offers runs the same tests whoever the universities are, so each belief moves
    exactly as it does where that university is the districts' only one."""
    kw = dict(research_rate=0.0, research_quality=0.3, turnover_rate=0.0, tests_per_leader=3)
    both = on_file(shared_partners(), 4, **kw)
    alone = [on_file(shared_partners((u,)), 4, **kw) for u in ("U1", "U2")]
    # one partnership, one research: U2's belief made to differ from U1's
    other = np.random.default_rng(0).uniform(size=both.research_beliefs.mean.shape[1])
    both.research_beliefs.mean[1] = alone[1].research_beliefs.mean[0] = other
    start = both.research_beliefs.mean.copy()
    for m in (both, *alone):
        m.step()
    assert both.datacollector.model_vars["tests_run"][-1] > 0
    for row, m in enumerate(alone):
        assert np.array_equal(both.research_beliefs.mean[row], m.research_beliefs.mean[0])
        assert np.array_equal(both.research_beliefs.var[row], m.research_beliefs.var[0])
        assert not np.array_equal(both.research_beliefs.mean[row], start[row])
    var = both.research_beliefs.var.sum(axis=1)
    both.run(11)
    assert (both.research_beliefs.var.sum(axis=1) < var).all()  # both keep learning


def test_each_university_ranks_its_offers_on_its_own_belief():
    """U1's offers are what U1 offers where it is alone (the draws are keyed by its node),
    and beat the practice on S; U2's, ranked on its reversed belief, fall short of it."""
    kw = dict(research_rate=1.0, research_quality=0.5)
    m = on_file(shared_partners(), 6, **kw)
    alone = on_file(shared_partners(("U1",)), 6, **kw)
    knowing_and_wrong(m)
    alone.research_beliefs.mean[0] = m.research_beliefs.mean[0]
    u1, u2 = (u.node for u in m.universities)
    for x in (m, alone):
        x.month = 1
        research(x)
    offers = {
        u: [(d.node, i.key) for d in m.districts for i in d.research if i.source == u]
        for u in (u1, u2)
    }
    assert offers[u1] and offers[u2]
    assert offers[u1] == [(d.node, i.key) for d in alone.districts for i in d.research]
    s = m.landscape.shared_fitness
    for d in m.districts:
        for idea in d.research:
            better = s(idea.apply(d.practice)) > s(d.practice)
            assert better == (idea.source == u1)


def test_an_offers_estimate_is_the_belief_of_the_university_that_made_it():
    """As ``test_an_offer_is_weighed_against_the_leaders_belief_by_inverse_variance``,
    each offer's estimate read from the row of its own university (its source)."""
    m = on_file(shared_partners(), 6, research_rate=1.0, judgment_noise=0.0, h=0.3)
    knowing_and_wrong(m)
    m.month = 1
    research(m)
    plans, options, who, score = judged(m)
    scores, sources = by_picker(score, options, who), set()
    for d, plan in enumerate(plans):
        for i, c in enumerate(options.of[d]):
            idea, evidence = options.given[c] if c < len(options.given) else (None, 0)
            if idea is None or idea.origin != "university" or evidence is not None:
                continue
            sources.add(idea.source)
            row = m.university_row[idea.source]
            new = np.array([idea.apply(plan.practice)])
            node = np.array([plan.district.node])
            ch = changes_for(m, node, np.array([plan.practice]), new)
            v_l = (ch.coeffs[0] ** 2).sum() * PRIOR_VAR  # the leaders' prior: mean 0
            entries, coeffs = (x[0] for x in ch.shared())
            m_u = (m.research_beliefs.mean[row, entries] * coeffs).sum()
            v_u = (m.research_beliefs.var[row, entries] * coeffs**2).sum()
            spread = v_u + ch.local_variance[0]
            expected = np.full(len(scores[d]), m_u * v_l / (v_l + spread))
            assert np.array([r[i] for r in scores[d]]) == pytest.approx(expected)
    assert sources == {u.node for u in m.universities}  # offers of both were scored


def test_a_hire_in_a_district_of_several_universities_is_prepared_by_the_first():
    m = on_file(shared_partners(), 3, preparation=0.5, research_quality=0.6, turnover_rate=0.0)
    assert m.partner_of.tolist() == [0, 0]  # U1: the first university in node order
    m.research_beliefs.mean[:] = [[0.1], [0.9]]
    m.research_beliefs.var[:] = [[0.01], [0.02]]
    m.month = 5
    post = m.districts[1].leaders[0].post
    m.districts[1].leaders[0].leave()
    s = m.research_beliefs.mean.shape[1]
    copied = m.beliefs.mean[post, :s] != PRIOR_MEAN
    assert copied.any()
    assert (m.beliefs.mean[post, :s][copied] == 0.1).all()
    assert (m.beliefs.var[post, :s][copied] == 0.01).all()


def test_at_a_convening_no_university_relearns_its_own_partners_records():
    """U1 and U2 partner D1 and D2, U3 partners D3: learning from the records of all three
    moves U1 and U2 as D3's records alone do, and U3 as if D3's were not there."""
    kw = dict(research_quality=0.3, turnover_rate=0.0, tests_per_leader=3, convening_interval=50)
    every, only_d3 = (on_file(shared_partners(hub=True), 5, **kw).run(3) for _ in range(2))
    start = every.research_beliefs.mean.copy()
    assert np.array_equal(start, only_d3.research_beliefs.mean)
    records = lambda m, d: [x for x in m.agent_at[d].trials.values() if x.tests]  # noqa: E731
    assert all(records(every, d) for d in (0, 1, 2))
    for m, members in ((every, [0, 1, 2]), (only_d3, [2])):
        hub = m.hubs[0]
        learn_at_convening(m, hub.pool().evidence(), [m.agent_at[d] for d in members])
    after, d3 = every.research_beliefs.mean, only_d3.research_beliefs.mean
    assert np.array_equal(after[:2], d3[:2])  # U1 and U2: D3's records only
    assert not np.array_equal(after[0], start[0]) and not np.array_equal(after[1], start[1])
    assert np.array_equal(d3[2], start[2])  # U3 skips D3, its own partner
    assert not np.array_equal(after[2], start[2])  # and learns from D1's and D2's


# -- common random numbers ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "change",
    [
        {"judgment_noise": 5.0},
        {"preparation": 0.9},
        {"research_quality": 0.9},
        {"novice_capacity": 0.9},
        {"judgment": "model1"},
        {"convening_ties": "institutional"},
    ],
)
def test_people_parameters_leave_the_problem_start_and_departures_alone(change):
    base = small(design="hub", partnerships=3, steps=12)
    a = NICModel(base, seed=9)
    b = NICModel(base.replace(**change), seed=9)
    assert np.array_equal(a.practice, b.practice) and np.array_equal(a.skill, b.skill)
    assert np.array_equal(a.landscape.shared.table, b.landscape.shared.table)
    a.run()
    b.run()
    # turnover draws are keyed by (month, place): who leaves when is the same
    assert (
        a.datacollector.model_vars["leader_departures"]
        == b.datacollector.model_vars["leader_departures"]
    )


def test_beliefs_need_percent_units():
    with pytest.raises(ConfigError, match="judgment = 'belief' is not allowed with outcome_units"):
        Params(outcome_units="power", target=0.9)
    with pytest.raises(ConfigError, match="research_quality = 0.5 is not allowed"):
        Params(outcome_units="power", target=0.9, judgment="model1")
    Params(outcome_units="power", target=0.9, judgment="model1", research_quality=1.0)
    # without universities research_quality is a documented no-op, in any units
    ring = Params(outcome_units="power", target=0.9, judgment="model1", design="ring")
    assert ring.research_quality == 0.5
    NICModel(ring.replace(steps=2), seed=1).run()


def test_changes_for_uses_each_districts_own_context():
    m = NICModel(small(h=0.5), seed=1)
    ch = changes_for(m, np.array([0, 1]), np.array([0, 0]), np.array([1, 1]))
    assert ch.coeffs[0, 0] == pytest.approx(m.scale[0] * 0.5 / 8)
    assert ch.coeffs[1, 0] == pytest.approx(m.scale[1] * 0.5 / 8)


def test_dynamics_seed_is_another_realisation_of_the_same_run():
    """The same problem, start, people and research, other monthly draws; 0 is the seed's."""
    base = small(design="hub", partnerships=3, research_quality=0.5)
    a = NICModel(base, seed=4)
    b = NICModel(base.replace(dynamics_seed=7), seed=4)
    assert np.array_equal(a.practice, b.practice) and np.array_equal(a.skill, b.skill)
    assert np.array_equal(a.research_beliefs.mean, b.research_beliefs.mean)
    a.run()
    b.run()
    assert a.datacollector.model_vars["tests_run"] != b.datacollector.model_vars["tests_run"]
    again = NICModel(base.replace(dynamics_seed=0), seed=4).run()
    assert again.datacollector.model_vars == a.datacollector.model_vars


# -- a district's records (ODD 7.4, 7.8) -------------------------------------------------------
def flip(component: int, practice: int) -> ChangeIdea:
    """The idea that flips one component of ``practice``."""
    bit = 1 << component
    return ChangeIdea(bit, ~practice & bit)


def test_a_senders_new_evidence_replaces_its_old_and_the_largest_body_counts():
    """ODD 7.4: ``District.receive`` replaces a sender's earlier evidence (repeated
    sharing does not inflate it), and a pending idea is judged by the single body with the
    most tests, ties by the higher mean (``ideas.strongest``), never by pooling."""
    m = NICModel(small(), seed=1)
    district = m.districts[0]
    idea = flip(3, district.practice)
    district.receive(idea, Evidence(1, 9.0), sender=7)
    district.receive(idea, Evidence(3, 1.0), sender=7)  # 7's new evidence
    assert district.inbox[idea.key][1] == {7: Evidence(3, 1.0)}
    assert district.pending[idea.key][1] == Evidence(3, 1.0)
    district.receive(idea, Evidence(2, 50.0), sender=8)  # fewer tests: not the strongest
    assert district.pending[idea.key][1] == Evidence(3, 1.0)
    district.receive(idea, Evidence(3, 2.0), sender=9)  # as many tests, higher mean
    assert district.pending[idea.key][1] == Evidence(3, 2.0)
    district.receive(idea, Evidence(3, 0.5), sender=10)  # as many, lower: no change
    assert district.pending[idea.key][1] == Evidence(3, 2.0)


def test_pending_is_what_was_received_untested_and_would_change_the_practice():
    """ODD 7.4 (option 2): a received idea is pending until a trial of it starts, unless
    the district already practises it; it returns when a leaver's departure deletes its
    record (ODD 7.8)."""
    m = NICModel(small(), seed=1)
    district = m.districts[0]
    x = district.practice
    practised = ChangeIdea(1 << 2, x & (1 << 2))  # sets component 2 as it already is
    new, tested = flip(4, x), flip(5, x)
    leader = district.leaders[0]
    district.record([(tested, 1)], [leader.unique_id], [1.5])  # a trial of `tested` opens
    for idea in (practised, new, tested):
        district.receive(idea, Evidence(2, 1.0), sender=1)
    assert set(district.pending_at(x ^ 1)) == {new.key}  # worked out for another practice
    assert set(district.pending) == {new.key}
    district.start_trial(new)
    assert district.pending == {}
    leader.leave()  # its tests were the only ones of `tested`: untested again
    assert tested.key not in district.trials and tested.key not in district.testing
    assert set(district.pending) == {tested.key}


def test_a_leaver_takes_its_tests_of_ideas_not_adopted_and_leaves_the_rest():
    """ODD 7.8: a leaver's results leave every trial it contributed to unless the trial is
    adopted, the model's pool with them; the others' results stay, in order; a trial left
    with no result is deleted."""
    m = NICModel(small(), seed=1)
    district = m.districts[0]
    a, b = (x.unique_id for x in district.leaders)
    x = district.practice
    shared, alone, adopted = flip(1, x), flip(2, x), flip(3, x)
    district.record([(shared, 3), (alone, 1), (adopted, 2)], [a, b, a, a, a, b], [1, 2, 3, 4, 5, 6])
    district.adopt(district.testing[adopted.key])
    district.leaders[0].leave()
    assert district.trials[shared.key].results == [(b, 2)]
    assert district.trials[shared.key].status == "testing"
    assert alone.key not in district.trials and alone.key not in district.testing
    assert district.trials[adopted.key].results == [(a, 5), (b, 6)]
    pooled = {idea.key: ev for idea, ev in m.pool.evidence()}
    assert pooled == {shared.key: Evidence(1, 2.0), adopted.key: Evidence(2, 5.5)}


def test_a_retest_of_an_adopted_idea_opens_a_fresh_record():
    """ODD 7.4: re-testing an adopted idea no longer practised replaces its trial with a
    fresh one under test: the old results leave the pool and it is no longer adopted."""
    m = NICModel(small(), seed=1)
    district = m.districts[0]
    x = district.practice
    idea = flip(6, x)
    ids = [leader.unique_id for leader in district.leaders]
    district.record([(idea, 2)], ids, [2.0, 4.0])
    district.adopt(district.testing[idea.key])
    assert district.adopted and m.pool.evidence()[0][1] == Evidence(2, 3.0)
    trial = district.start_trial(idea)
    assert district.trials[idea.key] is trial is district.testing[idea.key]
    assert trial.status == "testing" and not trial.results
    assert district.adopted == {} and m.pool.evidence() == []


def test_an_adoption_overwritten_by_a_later_one_is_no_longer_practised():
    """ODD 7.4 and 7.10: an adopted idea counts as practised (``adopters``,
    ``adoption_counts``) only while the practice still embodies it."""
    from nicsim.nic import metrics

    m = NICModel(small(), seed=1)
    district = m.districts[0]
    ids = [leader.unique_id for leader in district.leaders]
    first = flip(4, district.practice)
    back = ChangeIdea(first.mask, first.mask ^ first.values)  # undoes it
    for idea in (first, back):
        district.record([(idea, 2)], ids, [1.0, 1.0])
        district.adopt(district.testing[idea.key])
        m.practice[0] = idea.apply(district.practice)
        assert metrics.adopters(m, idea.key) == [0]
    assert metrics.adopters(m, first.key) == []
    assert metrics.adoption_counts(m) == {back.key: 1}


# -- hub, sharing and ties (ODD 7.4, 7.7) ------------------------------------------------------
@pytest.mark.parametrize("broadcast", [2, 4])
def test_the_hub_broadcasts_ideas_of_enough_tests_above_the_threshold_best_first(broadcast):
    """ODD 7.7: the hub keeps ideas with at least ``min_tests`` pooled tests and a pooled
    mean gain above (not at) ``adoption_threshold``, and sends the best ``hub_broadcast``
    of them (highest mean, then most tests), with the pooled evidence, to every member,
    itself the sender."""
    p = small(design="hub", partnerships=2, min_tests=2, adoption_threshold=1.0)
    m = NICModel(p.replace(tie_formation=0.0, hub_broadcast=broadcast), seed=1)
    d0, d1 = m.districts[0], m.districts[2]  # one of each partnership
    a, b = d0.leaders[0].unique_id, d1.leaders[0].unique_id
    ideas = [ChangeIdea(1 << c, 0) for c in range(5)]  # one idea of each component
    d0.record([(ideas[0], 1), (ideas[1], 1), (ideas[2], 2)], [a] * 4, [3.0, 10.0, 1.0, 1.0])
    d1.record([(ideas[0], 1), (ideas[3], 3), (ideas[4], 2)], [b] * 6, [5.0, 2, 2, 2, 1.5, 2.5])
    # pooled: 0 (2 tests, mean 4), 1 (1 test: too few), 2 (mean 1: at the threshold),
    # 3 (3 tests, mean 2), 4 (2 tests, mean 2): 3 and 4 tie on mean, 3 has more tests
    hub = m.hubs[0]
    hub.convene()
    for district in m.districts:
        got = {k: by[hub.node] for k, (_, by) in district.inbox.items()}
        ranked = {ideas[0].key: Evidence(2, 4.0), ideas[3].key: Evidence(3, 2.0)}
        if broadcast > 2:  # all that pass
            ranked[ideas[4].key] = Evidence(2, 2.0)
        assert got == ranked
        assert {idea.origin for idea, _ in district.inbox.values()} == {"hub"}


def test_a_hub_of_some_districts_pools_its_members_records_only():
    """ODD 7.7: a hub whose members are not all the districts reads its members' records,
    not the model's running pool of every district's."""
    g = nx.Graph([("D1", "D2"), ("H", "D1"), ("H", "D3")])
    g.add_nodes_from(["D1", "D2"], kind="district", partnership="p")
    g.add_node("D3", kind="district", partnership="q")
    g.add_node("H", kind="hub")
    m = on_file(g, 1, min_tests=1, hub_broadcast=5, tie_formation=0.0)
    d1, d2, d3 = m.districts
    hub = m.hubs[0]
    assert hub.members == [d1, d3]
    mine, other = ChangeIdea(1, 0), ChangeIdea(2, 0)
    d1.record([(mine, 1)], [d1.leaders[0].unique_id], [2.0])
    d2.record([(mine, 1), (other, 1)], [d2.leaders[0].unique_id] * 2, [4.0, 5.0])
    assert [(i.key, e) for i, e in hub.pooled_evidence()] == [(mine.key, Evidence(1, 2.0))]
    hub.convene()
    assert {k: by for k, (_, by) in d3.inbox.items()} == {mine.key: {hub.node: Evidence(1, 2.0)}}
    assert d2.inbox == {}


def test_a_pool_forgets_an_idea_with_no_tests_left():
    """The running pool (ODD 7.7) holds only ideas with tests: a change of no tests to an
    idea it does not hold adds nothing, and removing an idea's last tests forgets it."""
    from nicsim.nic.records import Pool

    pool, idea = Pool(), ChangeIdea(1, 1)
    pool.change(idea, 0, 0.0)  # a record cleared before it had tests
    assert pool.entries == {} and pool.evidence() == [] and pool.passing(1, 0.0) == []
    pool.change(idea, 2, 3.0)
    pool.change(idea, -2, -3.0)
    pool.change(idea, 0, 0.0)
    assert pool.entries == {}


def relay_graph() -> nx.Graph:
    """D1 and D2, partners of U and not tied to each other; D3 of another partnership,
    tied to U (as in a ``complete`` design) and to D1."""
    g = nx.Graph([("D1", "U"), ("D2", "U"), ("D3", "U"), ("D1", "D3")])
    g.add_nodes_from(["D1", "D2", "U"], partnership="p")
    g.add_nodes_from(["D1", "D2", "D3"], kind="district")
    g.add_node("U", kind="university")
    g.add_node("D3", partnership="q")
    return g


def test_an_adopted_idea_reaches_the_universitys_other_partners_only_from_a_partner():
    """ODD 7.4 (Sharing): an adopted idea crosses every non-hub tie, a university's too;
    the university relays a partner's idea to its other partners, the original district
    the sender, and drops a non-partner's."""
    from nicsim.nic.learning import share_adopted

    m = on_file(relay_graph(), 1, share_prob=1.0)
    d1, d2, d3 = m.districts
    u = m.universities[0].node
    assert [x.node for x in m.universities[0].partners] == [d1.node, d2.node]
    sent = {}
    for district in (d1, d3):
        idea = sent[district.node] = flip(district.node, district.practice)
        ids = [x.unique_id for x in district.leaders]
        district.record([(idea, 2)], ids, [1.0, 3.0])
        district.adopt(district.testing[idea.key])
        m.practice[district.node] = idea.apply(district.practice)  # as pdsa does
        assert district.trials[idea.key].unsent == sorted(m.graph[district.node])
        assert u in district.trials[idea.key].unsent
    share_adopted(m)
    inbox = lambda d: {k: dict(by) for k, (_, by) in d.inbox.items()}  # noqa: E731
    ev = Evidence(2, 2.0)
    assert inbox(d2) == {sent[d1.node].key: {d1.node: ev}}  # relayed, D1 the sender
    assert inbox(d1) == {sent[d3.node].key: {d3.node: ev}}  # D3's by their own tie only
    assert inbox(d3) == {sent[d1.node].key: {d1.node: ev}}
    assert all(not t.unsent for d in (d1, d3) for t in d.adopted.values())


def test_a_district_sees_through_its_own_university_only():
    """ODD 7.4 and ``NICModel.district_neighbours``: a district sees the districts it is
    tied to and, through a university it is a partner of, that university's partners; a
    tie to another partnership's university shows nothing."""
    m = on_file(relay_graph(), 1)
    d1, d2, d3 = (d.node for d in m.districts)
    assert m.district_neighbours(d1) == [d2, d3]
    assert m.district_neighbours(d2) == [d1]
    assert m.district_neighbours(d3) == [d1]


def test_an_adopted_idea_practised_again_is_offered_again():
    """ODD 7.4 (Sharing): an adopted idea no longer practised leaves the outbox, and
    re-enters it when ``set_practices`` makes the district practise it again."""
    from nicsim.nic.learning import share_adopted

    p = small(design="hub", partnerships=2, share_prob=1.0, tie_formation=0.0)
    m = NICModel(p, seed=1)
    d0, d1 = m.districts[:2]  # one partnership: tied
    x = d0.practice
    idea = flip(0, x)
    d0.record([(idea, 2)], [leader.unique_id for leader in d0.leaders], [1.0, 2.0])
    d0.adopt(d0.testing[idea.key])  # the practice stays x: not practised
    share_adopted(m)
    assert m.outbox == {} and idea.key not in d1.inbox
    m.set_practices([idea.apply(x), *m.practice[1:]])
    assert list(m.outbox.values()) == [d0]
    share_adopted(m)
    assert d1.inbox[idea.key][1] == {d0.node: Evidence(2, 1.5)}


def test_a_tie_formed_after_an_adoption_carries_what_was_adopted():
    """ODD 7.4: a district that gains a tie adds it to ``unsent`` of every idea it has
    adopted, and one it practises crosses it."""
    from nicsim.nic.learning import share_adopted

    p = small(design="hub", partnerships=2, share_prob=1.0, tie_formation=0.0)
    m = NICModel(p, seed=1)
    d0, d2 = m.districts[0], m.districts[2]  # different partnerships: not tied
    idea = flip(0, d0.practice)
    d0.record([(idea, 2)], [x.unique_id for x in d0.leaders], [1.0, 2.0])
    d0.adopt(d0.testing[idea.key])
    m.practice[d0.node] = idea.apply(d0.practice)
    share_adopted(m)
    assert idea.key not in d2.inbox and d0.adopted[idea.key].unsent == []
    m.add_tie(d0.node, d2.node, "cross")
    assert d0.adopted[idea.key].unsent == [d2.node]
    share_adopted(m)
    assert d2.inbox[idea.key][1] == {d0.node: Evidence(2, 1.5)}


def test_a_convening_ties_only_pairs_not_yet_tied():
    """ODD 7.7: a pair of members already tied is skipped, so an institutional tie of the
    design never becomes a personal one that a leaver could end (ODD 7.14)."""
    p = small(
        design="networked",
        partnerships=3,
        cross_ties=1.0,
        tie_formation=1.0,
        convening_interval=1,
        turnover_rate=0.0,
    )
    m = NICModel(p, seed=1)
    edges = set(m.graph.edges)
    m.step()
    assert m.personal == {} and m.counts["personal_ties_formed"] == 0
    for leader in m.leaders:
        leader.leave()
    assert set(m.graph.edges) == edges


# -- what universities know (ODD 7.15) ----------------------------------------------------------
def test_research_prior_variance_is_one_minus_q_squared_of_the_prior():
    """ODD 7.15: a university's prior variance is (1 - q^2) / 12 on every entry, q =
    ``research_quality`` (the posterior of a study of noise (1 - q^2) / (12 q^2))."""
    for q in (0.3, 0.6):
        m = NICModel(small(research_quality=q), seed=2)
        var = m.research_beliefs.var
        assert var == pytest.approx(np.full_like(var, (1 - q * q) / 12))


def test_universities_of_one_partnership_start_knowing_the_same():
    """ODD 7.15: the prior's error is keyed by the university's partnership and the entry
    (not by its place among the universities): two universities of one partnership, as in
    a file design, start with the same belief."""
    m = on_file(shared_partners(), 3)
    assert np.array_equal(m.research_beliefs.mean[0], m.research_beliefs.mean[1])
    assert not np.array_equal(m.research_beliefs.mean[0], m.landscape.shared.table.ravel())


def test_a_university_learns_from_a_test_through_the_partners_unknown_context():
    """ODD 7.12, 7.15: a partner's test of gain y updates its university's S entries by
    the Kalman step with observation variance s^2 plus the local part's prior spread
    (sum of a_j^2 / 12 over the L entries the change moves). From a flat prior (q = 0,
    every mean 1/2, so the predicted gain is 0): v' = v - v^2 a^2 / S and
    m' = 1/2 + v a y / S, S = sum over S entries of a^2 v + s^2 + local spread."""
    from nicsim.nic.knowledge import learn_from_tests

    m = NICModel(small(h=0.5, research_quality=0.0, judgment="model1"), seed=2)
    assert m.research_learns and m.beliefs is None
    x = int(m.practice[0])
    new = x ^ 0b101  # flips components 0 and 2
    ch = changes_for(m, np.array([0]), np.array([x]), np.array([new]))
    n2 = 2 * m.p.n_components
    a_s, a_l = ch.coeffs[0, :n2], ch.coeffs[0, n2:]
    moved = ch.entries[0, :n2][a_s != 0]
    v = PRIOR_VAR
    spread = (a_l**2).sum() * v
    assert spread > 0
    s_total = (a_s**2).sum() * v + 2.0**2 + spread
    one = lambda value: np.array([value])  # noqa: E731
    learn_from_tests(m, one(0), one(0), one(new), one(3.0), one(2.0))  # post 0, y 3, s 2
    a = a_s[a_s != 0]
    assert m.research_beliefs.var[0, moved] == pytest.approx(v - v * v * a * a / s_total)
    assert m.research_beliefs.mean[0, moved] == pytest.approx(0.5 + v * a * 3.0 / s_total)
    untouched = np.setdiff1d(np.arange(m.research_beliefs.var.shape[1]), moved)
    assert (m.research_beliefs.var[0, untouched] == v).all()


def test_at_a_convening_a_university_learns_a_record_as_one_observation_of_its_mean():
    """ODD 7.15: a broadcast idea's record of n tests and mean gain g, run in practice x,
    is one observation of the change from x (not the district's practice now) of variance
    ``measurement_noise``^2 / n plus the local spread, for every university but the
    district's own. From a flat prior (q = 0) the step is the one of
    ``test_a_university_learns_from_a_test_through_the_partners_unknown_context``."""
    m = NICModel(small(partnerships=2, h=0.5, research_quality=0.0), seed=2)
    district = m.districts[0]  # U0's partner (row 0); U1 (row 1) learns
    x = district.practice
    idea = flip(1, x)
    ids = [leader.unique_id for leader in district.leaders]
    district.record([(idea, 3)], [ids[0], ids[0], ids[1]], [1.0, 2.0, 6.0])  # mean 3
    m.practice[0] = x ^ 0b11110000  # the practice has moved on since
    start = m.research_beliefs.mean.copy(), m.research_beliefs.var.copy()
    learn_at_convening(m, [(idea, Evidence(3, 3.0))], [district])
    ch = changes_for(m, np.array([0]), np.array([x]), np.array([idea.apply(x)]))
    n2 = 2 * m.p.n_components
    a_s, a_l = ch.coeffs[0, :n2], ch.coeffs[0, n2:]
    moved, a = ch.entries[0, :n2][a_s != 0], a_s[a_s != 0]
    v = PRIOR_VAR
    s_total = (a_s**2).sum() * v + m.p.measurement_noise**2 / 3 + (a_l**2).sum() * v
    assert m.research_beliefs.var[1, moved] == pytest.approx(v - v * v * a * a / s_total)
    assert m.research_beliefs.mean[1, moved] == pytest.approx(0.5 + v * a * 3.0 / s_total)
    assert np.array_equal(m.research_beliefs.mean[0], start[0][0])  # its own partner's
    assert np.array_equal(m.research_beliefs.var[0], start[1][0])


# -- skill (ODD 7.3, 7.4) ----------------------------------------------------------------------
def test_measurement_noise_shrinks_with_skill_to_the_experts_ratio():
    """ODD 7.4 (Measurement): sd = measurement_noise (1 - (1 - expert_noise_ratio) skill)."""
    from nicsim.nic.agents import noise_sd

    p = small(measurement_noise=10.0, expert_noise_ratio=0.2)
    assert noise_sd(p, np.array([0.0, 0.5, 1.0])) == pytest.approx([10.0, 6.0, 2.0])


def test_coaching_closes_training_rate_of_the_gap_once_per_university():
    """ODD 7.3: each month a university moves its partners' leaders' skill to
    skill + training_rate (1 - skill); a district of two universities is coached by each."""
    r = 0.25
    m = NICModel(small(training_rate=r), seed=1)
    m.skill[:] = [0.2, 0.6, 0.0, 1.0]
    m.train()
    assert m.skill == pytest.approx([0.4, 0.7, 0.25, 1.0])
    two = on_file(shared_partners(), 1, training_rate=r)
    two.skill[:] = 0.2
    two.train()
    assert two.skill == pytest.approx(np.full(4, 1 - 0.8 * (1 - r) ** 2))


def test_learning_by_doing_closes_the_gap_once_per_test():
    """ODD 7.3: a post's skill after n tests is 1 - (1 - skill)(1 - learning_by_doing)^n;
    no test, no change."""
    from nicsim.nic.agents import learn_by_doing

    p = small(learning_by_doing=0.1)
    skill = np.array([0.5, 0.5, 0.2, 1.0])
    learn_by_doing(p, skill, np.array([0, 1, 3, 2]))
    assert skill == pytest.approx([0.5, 0.55, 1 - 0.8 * 0.9**3, 1.0])
