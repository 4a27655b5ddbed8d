"""Learning rules on tiny graphs where the right move is known."""

import numpy as np
import pytest

from nicsim.nic.ideas import ChangeIdea, Evidence
from nicsim.nic.imitation import looked_at, row_modes
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

    p = tiny(design=design, n_districts=30, density=0.08, learning="copy_best")
    m = NICModel(p.replace(leaders_per_district=0), seed=5)
    n = len(m.districts)
    m.set_practices(np.random.default_rng(1).integers(0, 6, n))  # few practices: many ties
    m.steps = 3 if convening else 1  # convening_interval = 3
    got = best_neighbours(m)
    for i in range(n):
        nbrs = m.district_neighbours(i)
        want = max(nbrs, key=lambda j: (m.outcome[j], -j)) if nbrs else -1
        assert got[i] == want, (design, i)


def test_running_pool_equals_pooling_every_record_afresh():
    """The hub's running pool (kept up to date as tests are run, cleared, lost with a
    leaver and replaced by re-tests) equals pooling every district's records afresh."""
    from nicsim.nic.agents import Pool

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
