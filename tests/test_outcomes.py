"""Outcome units and measurement (docs/ODD.md, "Outcome units and measurement"): the percent
outcome on a hand-computed landscape, the target in both units, and the SNR of one test."""

import numpy as np
import pytest

from nicsim.core.params import ConfigError
from nicsim.nic import landscape, metrics
from nicsim.nic.beliefs import PRIOR_VAR
from nicsim.nic.calibration import one_flip_gains, single_test_snr
from nicsim.nic.landscape import ContextLandscape
from nicsim.nic.model import NICModel
from nicsim.nic.nk import NKLandscape
from nicsim.nic.params import MODEL1_PEOPLE, Params

# N = 2, K = 1 (as in tests/test_landscape.py): fitness of codes 0..3 is
# 0.25, 0.5625, 0.3125, 0.5. Mean over the four practices 1.625 / 4 = 0.40625 (also the
# mean of the two tables, 0.375 and 0.4375), maximum 0.5625, so max - mean = 0.15625 and
# percent outcomes are 100 (F - 0.40625) / 0.15625:
#   code 0: -0.15625 / 0.15625 -> -100    code 1: 0.15625 / 0.15625 -> 100
#   code 2: -0.09375 / 0.15625 ->  -60    code 3: 0.09375 / 0.15625 ->   60
DEPS_2 = np.array([[0, 1], [1, 0]])
TABLE_2 = np.array([[0.0, 0.25, 0.5, 0.75], [0.5, 0.125, 0.875, 0.25]])
PERCENT_2 = [-100.0, 100.0, -60.0, 60.0]


@pytest.fixture(params=["table", "no_table", "approximate"])
def mode(request, monkeypatch):
    """Outcomes from the stored table, by direct evaluation, or with a hill-climbed maximum."""
    if request.param != "table":
        monkeypatch.setattr(landscape, "TABLE_LIMIT", 0)
    if request.param == "approximate":
        monkeypatch.setattr(landscape, "EXACT_MAX_LIMIT", 1)
    return request.param


def hand(units: str, mode: str = "table") -> ContextLandscape:
    land = NKLandscape(DEPS_2, TABLE_2)
    return ContextLandscape(land, [land, land], 0.0, units=units, approximate_max=True)


def test_percent_outcomes_of_the_hand_landscape(mode):
    """Exactly as computed by hand: the best practice 100, the mean practice 0."""
    cl = hand("percent", mode)
    codes = np.arange(4)
    for c in (0, 1):
        out = cl.outcome(codes, np.full(4, c))
        assert out.tolist() == PERCENT_2
        assert out.mean() == 0.0
    assert cl.mean_fitness.tolist() == [0.40625, 0.40625]
    assert cl.best_outcome == 100.0


def test_power_outcomes_of_the_hand_landscape_are_model_1s():
    cl = ContextLandscape(NKLandscape(DEPS_2, TABLE_2), [NKLandscape(DEPS_2, TABLE_2)], 0.0)
    assert cl.units == "power" and cl.best_outcome == 1.0
    np.testing.assert_allclose(
        cl.outcome(np.arange(4), 0), (np.array([0.25, 0.5625, 0.3125, 0.5]) / 0.5625) ** 8
    )


@pytest.mark.parametrize("h", [0.0, 0.3, 1.0])
def test_percent_outcome_on_random_landscapes(mode, h):
    """Any landscape: each context's best practice scores exactly 100 (at most 100 with an
    approximate maximum), outcomes average 0 over all practices, linear in F."""
    cl = ContextLandscape.random(
        8, 3, h, 3, np.random.default_rng(5), units="percent", approximate_max=True
    )
    codes = np.arange(256)
    for c in range(3):
        f = cl.fitness(codes, np.full(256, c))
        out = cl.outcome(codes, np.full(256, c))
        assert out.mean() == pytest.approx(0.0, abs=1e-9)
        assert cl.mean_fitness[c] == pytest.approx(f.mean(), abs=1e-15)
        if mode == "approximate":
            assert out.max() <= 100.0
        else:
            assert out.max() == 100.0 and out[f.argmax()] == 100.0
            expected = 100 * (f - f.mean()) / (f.max() - f.mean())
            np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-9)


def test_target_range_depends_on_the_units():
    assert Params(target=80).target == 80.0
    assert Params(target=-5).target == -5.0  # below a typical practice: allowed
    assert Params(outcome_units="power", target=0.9, **MODEL1_PEOPLE).target == 0.9
    with pytest.raises(
        ConfigError,
        match=r"^target = 150.0 is not allowed: expected a number "
        r"<= 100 with outcome_units = 'percent'$",
    ):
        Params(target=150)
    with pytest.raises(
        ConfigError,
        match=r"^target = 80.0 .* in \[0, 1\] with outcome_units "
        r"= 'power'$",
    ):
        Params(outcome_units="power", target=80, **MODEL1_PEOPLE)
    with pytest.raises(ConfigError, match="outcome_units = 'logit' is not allowed"):
        Params(outcome_units="logit")


@pytest.mark.parametrize("units, target", [("percent", 60.0), ("power", 0.6)])
def test_steps_to_target_in_both_units(small, units, target):
    """The first step whose mean outcome reaches the target, in the run's own units."""
    people = MODEL1_PEOPLE if units == "power" else {}
    p = small.replace(outcome_units=units, target=target, measurement_noise=0.0, steps=12, **people)
    m = NICModel(p, seed=2).run()
    mean = metrics.timeseries(m)["mean_outcome"]
    hit = np.flatnonzero(mean >= target)
    assert hit.size, "the small NIC should reach the target without noise"
    summary = metrics.run_summary(metrics.timeseries(m), p.target)
    assert summary["steps_to_target"] == hit[0]
    assert metrics.steps_to_target(np.array([-20.0, 55.0, 61.0]), 60.0) == 2


def test_one_flip_gains_and_snr_on_the_hand_landscape():
    """From code 0 (outcome -100) flipping bit 0 gives code 1 (100), bit 1 code 2 (-60);
    from code 3 (60): code 2 (-60) and code 1 (100). SNR = sd of gains / noise sd."""
    cl = hand("percent")
    gains = one_flip_gains(cl, np.array([0, 3]), np.array([0, 1]))
    assert gains.tolist() == [[200.0, 40.0], [-120.0, 40.0]]
    r = single_test_snr(gains, novice_sd=40.0)
    sd = np.std([200.0, 40.0, -120.0, 40.0])  # mean 40: deviations 160, 0, -160, 0
    assert r.gain_sd == sd == pytest.approx(np.sqrt(2 * 160**2 / 4))
    assert r.mean_abs_gain == 100.0
    assert r.snr == pytest.approx(sd / 40.0) and r.snr_abs == 2.5
    assert single_test_snr(gains, 0.0).snr == float("inf")


# -- reporters on hand-set people (docs/ODD.md 7.10) -------------------------------------------
def test_skill_and_belief_error_reporters_on_hand_set_leaders_and_universities(small):
    """docs/ODD.md 7.10: ``mean_skill`` is the mean of every leader's skill;
    ``leader_belief_error`` the mean over leaders of the RMS error of their belief against
    S's table and *their own district's* L table; ``university_belief_error`` the mean
    over universities of the RMS error against S. Here post p (district p // 2, whose
    context is its own) believes the truth plus 0.01 p everywhere, so its error is
    0.01 p and the mean over the 12 posts is 0.055; university u believes S plus 0.1 u,
    mean error (0 + 0.1 + 0.2) / 3 = 0.1."""
    m = NICModel(small, seed=1)
    skill = np.linspace(0.0, 1.0, 12) ** 2
    m.skill[:] = skill
    assert metrics.mean_skill(m) == pytest.approx(skill.sum() / 12, rel=1e-12)
    land = m.landscape
    shared = land.shared.table.ravel()
    assert m.beliefs.mean.shape == (12, 2 * shared.size)
    for post in range(12):
        local = land.local[m.context[post // 2]].table.ravel()
        m.beliefs.mean[post] = np.concatenate([shared, local]) + 0.01 * post
    assert len(set(m.context.tolist())) == 6  # a district's L is not its neighbour's
    assert metrics.leader_belief_error(m) == pytest.approx(0.055, rel=1e-9)
    assert m.research_beliefs.mean.shape == (3, shared.size)
    m.research_beliefs.mean[:] = shared + 0.1 * np.arange(3)[:, None]
    assert metrics.university_belief_error(m) == pytest.approx(0.1, rel=1e-9)


def test_knowledge_lost_reports_what_a_leaver_knew(small):
    """docs/ODD.md 7.8 and 7.10: ``knowledge_lost`` is the month's sum of leavers'
    information, sum over their belief entries of log(v0 / v). A leader whose 128 entries
    all have variance v0 / e takes 128 with it; the run's total is the sum over months."""
    m = NICModel(small.replace(turnover_rate=0.0), seed=1)
    m.step()
    leader = m.districts[1].leaders[0]
    m.beliefs.var[leader.post] = PRIOR_VAR / np.e
    m.counts.clear()
    leader.leave()
    assert metrics.knowledge_lost(m) == pytest.approx(128.0, rel=1e-12)
    m.datacollector.collect(m)
    series = metrics.timeseries(m)
    assert series["knowledge_lost"].tolist() == pytest.approx([0.0, 0.0, 128.0])
    assert metrics.run_summary(series, 60.0)["total_knowledge_lost"] == pytest.approx(128.0)


def test_run_summary_averages_months_1_to_t_and_reaches_a_target_hit_exactly(small):
    """docs/ODD.md 7.10: ``average_outcome`` is the mean outcome averaged over months 1 to
    T (step 0, the initial state, left out), ``steps_to_target`` the first step whose mean
    outcome is *at least* the target, and each ``total_`` count the sum over the run."""
    series = metrics.timeseries(NICModel(small, seed=1).run(3))
    series["mean_outcome"] = np.array([-40.0, 10.0, 20.0, 60.0])
    series["tests_run"] = np.array([0, 3, 4, 5])
    summary = metrics.run_summary(series, 20.0)
    assert summary["average_outcome"] == 30.0  # (10 + 20 + 60) / 3, not (-40 + ...) / 4
    assert summary["steps_to_target"] == 2  # 20 reaches a target of 20
    assert summary["total_tests_run"] == 12
    assert summary["mean_outcome"] == 60.0  # the final value
    assert metrics.steps_to_target(np.array([50.0, 60.0, 70.0]), 60.0) == 1


def test_outcome_spread_reporters_on_hand_set_outcomes(small):
    """docs/ODD.md 7.10: ``equity_gap`` is the mean of the top q outcomes minus the mean of
    the bottom q, q = max(1, floor(D / 4)); ``outcome_sd`` the population SD. Six districts
    at 0, 10, 20, 30, 40, 100: q = 1, gap 100 - 0; mean 200 / 6, SD sqrt(sum of squared
    deviations / 6). With twelve (each outcome twice) q = 3: (100 + 100 + 40) / 3 -
    (0 + 0 + 10) / 3 = 230 / 3."""
    m = NICModel(small, seed=1)
    x = np.array([30.0, 0.0, 100.0, 20.0, 40.0, 10.0])
    m.outcome[:6] = x
    assert metrics.equity_gap(m) == 100.0
    assert metrics.min_outcome(m) == 0.0
    assert metrics.mean_outcome(m) == pytest.approx(200 / 6)
    assert metrics.outcome_sd(m) == pytest.approx(np.sqrt(((x - 200 / 6) ** 2).sum() / 6))
    m12 = NICModel(small.replace(partnerships=6), seed=1)
    assert len(m12.districts) == 12
    m12.outcome[:12] = np.tile(x, 2)
    assert metrics.equity_gap(m12) == pytest.approx(230 / 3)
