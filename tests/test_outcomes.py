"""Outcome units and measurement (docs/ODD.md, "Outcome units and measurement"): the percent
outcome on a hand-computed landscape, the target in both units, and the SNR of one test."""

import numpy as np
import pytest

from nicsim.core.params import ConfigError
from nicsim.nic import landscape, metrics
from nicsim.nic.calibration import one_flip_gains, single_test_snr
from nicsim.nic.landscape import ContextLandscape, NKLandscape
from nicsim.nic.model import NICModel
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
