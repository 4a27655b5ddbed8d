"""The model as a whole: Mesa parts, metrics, reproducibility and common random numbers."""

import dataclasses

import networkx as nx
import numpy as np
import pytest
from mesa.discrete_space import Network

from nicsim.lab.evaluators import simulate
from nicsim.lab.plans import RunSpec
from nicsim.nic import metrics
from nicsim.nic.agents import District, Hub, Leader, University
from nicsim.nic.model import NICModel
from nicsim.nic.params import Params


def test_real_mesa_agents_on_a_real_network(small):
    m = NICModel(small, seed=1)
    assert isinstance(m.space, Network) and isinstance(m.graph, nx.Graph)
    assert len(m.agents_by_type[District]) == 6
    assert len(m.agents_by_type[University]) == 3
    assert len(m.agents_by_type[Hub]) == 1
    assert len(m.agents_by_type[Leader]) == 12
    for leader in m.agents_by_type[Leader]:
        assert leader.cell is leader.district.cell  # placed on its district's node
    for d in m.districts:
        assert d.cell.coordinate == d.node and m.graph.nodes[d.node]["kind"] == "district"


@pytest.mark.parametrize("design", ["networked", "complete"])
def test_space_is_wired_as_mesas_own_network_wires_it(small, design):
    """nicsim sets each cell's ties in one update (model._Network); on the installed Mesa
    the result must be what Mesa's own ``Network`` builds, and a tie added later must reach
    a neighbourhood that was already computed."""
    import inspect
    from random import Random

    m = NICModel(dataclasses.replace(small, design=design), seed=1)
    no_layout = {"layout": None} if "layout" in inspect.signature(Network).parameters else {}
    mesa_space = Network(m.graph, random=Random(0), **no_layout)  # reads it only
    for node in m.graph:
        ours, theirs = m.space[node].connections, mesa_space[node].connections
        assert list(ours) == list(theirs)
        assert all(cell is m.space[key] for key, cell in ours.items())
    if design == "networked":
        first = m.districts[0].node
        other = next(d.node for d in m.districts[1:] if not m.graph.has_edge(first, d.node))
        list(m.space[first].neighborhood)  # computed, so cached
        m.add_tie(first, other, "cross")
        assert m.space[other] in list(m.space[first].neighborhood)


def test_step_zero_is_the_initial_state_and_every_metric_is_reported(small):
    m = NICModel(small, seed=1).run()
    series = metrics.timeseries(m)
    assert list(series) == ["step", *metrics.STEP_METRICS]
    assert series["step"].tolist() == list(range(small.steps + 1))
    # 12 slots (6 districts, 2 leaders, 1 test); a leader runs fewer below full skill
    assert series["tests_run"][0] == 0 and 0 < series["tests_run"][1] <= 12
    assert np.all(series["mean_outcome"] <= 100)  # percent units: the best practice is 100


def test_metrics_on_known_outcomes(small):
    """Equity gap and share at best from outcomes set by hand."""
    m = NICModel(small.replace(h=0.0, n_contexts=1), seed=1)
    table = m.landscape._table[0]
    best = int(table.argmax())
    order = np.argsort(table)
    m.set_practices([best, best, best, order[0], order[0], order[1]])
    o = m.outcome
    assert metrics.share_at_best(m) == pytest.approx(0.5)
    # 6 districts: a quarter is 1 district
    assert metrics.equity_gap(m) == pytest.approx(100.0 - o.min())
    assert metrics.unique_practices(m) == 3
    assert metrics.mean_outcome(m) == pytest.approx(o.mean())


def test_steps_to_target():
    assert metrics.steps_to_target(np.array([0.1, 0.5, 0.95, 0.97]), 0.9) == 2
    assert metrics.steps_to_target(np.array([0.1, 0.5]), 0.9) is None


def test_same_seed_same_run_different_seed_different_run(small):
    spec = RunSpec(0, 7, 0, small)
    a, b = simulate(spec), simulate(spec)
    assert a.row == b.row
    assert a.timeseries.equals(b.timeseries)
    c = simulate(RunSpec(0, 8, 0, small))
    assert not a.timeseries.equals(c.timeseries)


@pytest.mark.parametrize("design", ["siloed", "networked", "complete", "ring", "small_world"])
@pytest.mark.parametrize("learning", ["pdsa", "copy_best"])
def test_common_random_numbers_across_designs_and_rules(small, design, learning):
    """Same seed: same landscape and same initial practices whatever the design and rule."""
    ref = NICModel(small, seed=11)
    other = NICModel(small.replace(design=design, learning=learning), seed=11)
    assert np.array_equal(ref.practice, other.practice)
    assert np.array_equal(ref.landscape._table, other.landscape._table)
    assert (
        ref.datacollector.model_vars["mean_outcome"][0]
        == other.datacollector.model_vars["mean_outcome"][0]
    )


def test_copy_best_needs_no_leaders():
    p = Params(learning="copy_best", leaders_per_district=0, steps=5)
    series = metrics.timeseries(NICModel(p, seed=1).run())
    assert np.isnan(series["mean_skill"]).all()
    assert series["mean_outcome"][-1] >= series["mean_outcome"][0]


@pytest.mark.parametrize("learning", ["copy_best", "conformity"])
def test_rules_without_ideas_leave_every_inbox_empty(learning):
    """ideas_in_circulation reports 0 for these rules without scanning: no idea is ever
    sent, not even by a hub convening every month."""
    p = Params(learning=learning, design="hub", convening_interval=1, steps=6)
    m = NICModel(p, seed=4).run()
    assert not any(d.inbox for d in m.districts)
    assert metrics.timeseries(m)["ideas_in_circulation"].tolist() == [0] * 7


def test_pdsa_improves_the_mean_outcome_on_average():
    """Statistical: over 8 seeds PDSA raises the mean outcome in 36 months, every time."""
    gains = []
    for seed in range(8):
        s = metrics.timeseries(NICModel(Params(partnerships=4), seed=seed).run())
        gains.append(s["mean_outcome"][-1] - s["mean_outcome"][0])
    assert min(gains) > 0.1


def test_finished_runs_do_not_stay_in_memory(small):
    """A worker runs thousands of models: none may outlive its run (flat memory)."""
    import gc

    def live_models() -> int:  # by type: isinstance on a dead weak proxy (numba's) raises
        return sum(issubclass(type(o), NICModel) for o in gc.get_objects())

    gc.collect()
    before = live_models()
    for seed in range(3):
        simulate(RunSpec(seed, seed, 0, small))
    gc.collect()
    assert live_models() == before


def test_runs_of_one_seed_share_one_landscape_and_record_integer_counts():
    """Two designs with the same seed face the very same landscape object (built once);
    another seed gets its own. Counts come back from the recorder as integers."""
    a = NICModel(Params(design="siloed", steps=2), seed=4).run()
    b = NICModel(Params(design="hub", steps=2), seed=4).run()
    assert a.landscape is b.landscape
    assert NICModel(Params(steps=2), seed=5).landscape is not a.landscape
    series = metrics.timeseries(a)
    assert series["tests_run"].dtype == np.int64 and series["mean_outcome"].dtype == np.float64
    assert len(series["step"]) == 3
    a.run(2)  # past the planned horizon: the recorder grows
    assert len(metrics.timeseries(a)["step"]) == 5


def test_a_very_long_horizon_is_recorded_as_it_is_run(monkeypatch):
    """A model of 10**9 months builds (its per-step record starts at FIRST_ROWS rows rather
    than the whole horizon's 127 GiB), and a record that grows step by step holds the same
    numbers as one made whole at the start."""
    huge = NICModel(Params(steps=10**9), seed=1)
    assert len(huge.datacollector._data) == metrics.FIRST_ROWS + 1
    whole = metrics.timeseries(NICModel(Params(steps=5), seed=2).run())
    monkeypatch.setattr(metrics, "FIRST_ROWS", 1)  # two rows, grown twice over five steps
    grown = NICModel(Params(steps=5), seed=2).run()
    assert len(grown.datacollector._data) == 8
    for name, column in metrics.timeseries(grown).items():
        assert np.array_equal(column, whole[name], equal_nan=True), name


def test_run_pauses_the_cyclic_collector_and_restores_it():
    import gc

    assert gc.isenabled()
    NICModel(Params(steps=2), seed=1).run().release()
    assert gc.isenabled()
    gc.disable()
    try:
        NICModel(Params(steps=2), seed=1).run().release()
        assert not gc.isenabled()  # a caller's choice is left as it was
    finally:
        gc.enable()


@pytest.mark.parametrize("learning", ["pdsa", "copy_best", "conformity"])
def test_outcomes_kept_by_the_rules_equal_rescoring_every_practice(learning):
    """Rules update the outcomes of the districts they move; nothing else moves them."""
    p = Params(learning=learning, leaders_per_district=3 if learning == "pdsa" else 0, steps=6)
    m = NICModel(p, seed=12)
    for _ in range(6):
        m.step()
        np.testing.assert_array_equal(m.outcome, m.score(m.practice, m.all_districts))


def test_running_turns_false_at_the_horizon():
    """``running`` (Mesa's stop flag, read by ``mesa.batch_run``) is True until the month
    ``steps`` has run, then False; ``run_model`` stops there (ODD 3)."""
    m = NICModel(Params(steps=2), seed=1)
    assert m.running
    m.step()
    assert m.running
    m.step()
    assert not m.running
    again = NICModel(Params(steps=3), seed=1)
    again.run_model()
    assert again.steps == 3 and not again.running
