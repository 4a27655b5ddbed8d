"""Gaussian beliefs over contribution tables (nicsim.nic.beliefs) on hand-checkable cases."""

import copy

import numpy as np
import pytest

from nicsim.core.sums import numpy_sum
from nicsim.nic import entries
from nicsim.nic.beliefs import PRIOR_MEAN, PRIOR_VAR, Beliefs, Changes
from nicsim.nic.entries import table_indices
from nicsim.nic.landscape import ContextLandscape
from nicsim.nic.model import NICModel
from nicsim.nic.nk import summed
from nicsim.nic.params import Params
from nicsim.nic.world import _landscape

# N = 3, K = 1: component i reads itself (lowest bit) and one other
DEPS = np.array([[0, 1], [1, 2], [2, 0]])


def test_table_indices_read_each_components_bits_lowest_first():
    # code 0b101: component 0 reads (bit0=1, bit1=0) -> 1; component 1 reads (bit1=0,
    # bit2=1) -> 2; component 2 reads (bit2=1, bit0=1) -> 3
    assert table_indices(np.array([0b101]), DEPS).tolist() == [[1, 2, 3]]
    # one structure per code
    per_code = np.stack([DEPS, DEPS[[1, 2, 0]]])
    assert table_indices(np.array([0b101, 0b101]), per_code).tolist() == [[1, 2, 3], [2, 3, 1]]


def test_a_change_moves_only_the_components_that_read_a_changed_bit():
    # flipping bit 1 of 0b000: components 0 (reads bit 1) and 1 (reads bit 1) move; 2 not
    ch = Changes(DEPS, DEPS, np.array([0b000]), np.array([0b010]), np.array([100.0]), h=0.25)
    t = 4  # 2 ** (K + 1)
    entries, coeffs = ch.entries.reshape(4, 3), ch.coeffs.reshape(4, 3)
    unit = 100.0 / 3
    # S at x' and at x, then L at x' and at x
    assert coeffs[0].tolist() == pytest.approx([unit * 0.75, unit * 0.75, 0])
    assert coeffs[1].tolist() == pytest.approx([-unit * 0.75, -unit * 0.75, 0])
    assert coeffs[2].tolist() == pytest.approx([unit * 0.25, unit * 0.25, 0])
    assert coeffs[3].tolist() == pytest.approx([-unit * 0.25, -unit * 0.25, 0])
    # component 0 at x' reads (bit0=0, bit1=1) -> 2; component 1 reads (bit1=1, bit2=0) -> 1
    assert entries[0, :2].tolist() == [0 * t + 2, 1 * t + 1]
    assert entries[1, :2].tolist() == [0, 1 * t]
    assert entries[2, :2].tolist() == [3 * t + 2, 3 * t + 4 + 1]  # L entries follow S's 3 * 4
    assert ch.local_variance[0] == pytest.approx(2 * 2 * (unit * 0.25) ** 2 * PRIOR_VAR)


def test_a_predicted_gain_is_the_belief_tables_difference():
    b = Beliefs(1, 2, 3, 1)
    b.mean[0] = np.arange(b.mean.shape[1]) / 100.0
    ch = Changes(DEPS, DEPS, np.array([0]), np.array([0b010]), np.array([3.0]), h=0.0)
    mean, var = b.predict(np.array([0]), ch.entries, ch.coeffs)
    table = b.mean[0, :12].reshape(3, 4)
    truth = (table[0, 2] - table[0, 0]) + (table[1, 1] - table[1, 0])  # scale 3 / N 3 = 1
    assert mean[0] == pytest.approx(truth)
    assert var[0] == pytest.approx(4 * PRIOR_VAR)


def test_one_observation_is_the_scalar_kalman_step_on_each_entry():
    b = Beliefs(1, 2, 3, 1)
    ch = Changes(DEPS, DEPS, np.array([0]), np.array([0b100]), np.array([3.0]), h=0.0)
    # flipping bit 2 moves components 1 and 2, coefficient +-1 each (scale 3 / N 3)
    y, s2 = 0.6, 0.01
    b.observe(np.array([0]), ch.entries, ch.coeffs, np.array([y]), np.array([s2]))
    total = 4 * PRIOR_VAR + s2  # prediction 0 (all means equal), sum a^2 v = 4 v0
    moved = ch.entries[0][ch.coeffs[0] != 0]
    signs = ch.coeffs[0][ch.coeffs[0] != 0]
    assert b.mean[0, moved] == pytest.approx(PRIOR_MEAN + signs * PRIOR_VAR * y / total)
    assert b.var[0, moved] == pytest.approx(PRIOR_VAR - PRIOR_VAR**2 / total)
    untouched = np.setdiff1d(np.arange(b.mean.shape[1]), moved)
    assert (b.mean[0, untouched] == PRIOR_MEAN).all() and (b.var[0, untouched] == PRIOR_VAR).all()


def test_observations_of_one_holder_are_applied_in_turn_not_summed():
    """Two observations in one call give what two calls in that order give: the second
    is judged against the belief the first left (a sum of both against the prior would
    count the shared residual twice)."""
    ch = Changes(DEPS, DEPS, np.array([0, 0]), np.array([0b010, 0b011]), np.ones(2) * 3, h=0.0)
    y, s2 = np.array([0.5, 0.2]), np.array([0.01, 0.01])
    together, apart = Beliefs(2, 2, 3, 1), Beliefs(2, 2, 3, 1)
    together.observe(np.array([1, 1]), ch.entries, ch.coeffs, y, s2)
    for i in (0, 1):
        apart.observe(
            np.array([1]), ch.entries[i : i + 1], ch.coeffs[i : i + 1], y[i : i + 1], s2[i : i + 1]
        )
    assert np.array_equal(together.mean, apart.mean) and np.array_equal(together.var, apart.var)
    assert (together.mean[0] == PRIOR_MEAN).all()  # holder 0 saw nothing


def test_repeated_noisy_tests_shrink_the_error_of_the_predicted_gain():
    rng = np.random.default_rng(5)
    truth = rng.random(24)  # a two-part table for N = 3, K = 1
    base, new = np.array([0b001]), np.array([0b111])
    ch = Changes(DEPS, DEPS, base, new, np.array([100.0]), h=0.3)
    true_gain = float(ch.coeffs[0] @ truth[ch.entries[0]])
    b = Beliefs(1, 2, 3, 1)
    errors, sds = [], []
    for _ in range(200):
        m, v = b.predict(np.array([0]), ch.entries, ch.coeffs)
        errors.append(abs(m[0] - true_gain))
        sds.append(np.sqrt(v[0]))
        y = true_gain + rng.normal(0, 10.0)
        b.observe(np.array([0]), ch.entries, ch.coeffs, np.array([y]), np.array([100.0]))
    # The prediction's own sd falls like 10 sqrt(m / n), m the entries the change moves:
    # keeping only the diagonal, each entry carries all of the residual's uncertainty, so
    # the prediction is m times less sure than the exact s^2 / n (conservative, never
    # overconfident). Within 25% at n = 200.
    m = np.count_nonzero(ch.coeffs[0])
    assert sds[-1] < sds[0] / 5
    assert sds[-1] == pytest.approx(10 * np.sqrt(m / 200), rel=0.25)
    # and the error falls with it: the last 50 predictions within 3 of their own sd
    assert np.mean(errors[-50:]) < np.mean(errors[:5]) / 3
    assert max(e / s for e, s in zip(errors[-50:], sds[-50:], strict=True)) < 3


def test_an_entry_known_exactly_never_moves():
    b = Beliefs(1, 1, 3, 1)
    b.var[0] = 0.0
    b.mean[0] = 0.3
    ch = Changes(DEPS, DEPS, np.array([0]), np.array([0b111]), np.array([3.0]), h=0.0)
    entries, coeffs = ch.shared()
    b.observe(np.array([0]), entries, coeffs, np.array([5.0]), np.array([0.0]))
    assert (b.mean == 0.3).all() and (b.var == 0).all()


def test_knowledge_is_zero_at_the_prior_and_grows_with_tests():
    b = Beliefs(1, 2, 3, 1)
    assert b.knowledge(0) == 0.0
    ch = Changes(DEPS, DEPS, np.array([0]), np.array([0b010]), np.array([3.0]), h=0.5)
    b.observe(np.array([0]), ch.entries, ch.coeffs, np.array([0.1]), np.array([0.01]))
    first = b.knowledge(0)
    b.observe(np.array([0]), ch.entries, ch.coeffs, np.array([0.1]), np.array([0.01]))
    assert 0 < first < b.knowledge(0)
    b.reset(np.array([0]))
    assert b.knowledge(0) == 0.0


@pytest.mark.parametrize("limit", [entries.LOOKUP_LIMIT, 0])
def test_an_entry_index_reads_what_table_indices_reads_for_any_n(monkeypatch, limit):
    """The landscape's look-up by 6-bit chunks finds each component's entry i * T + j as
    the bit arithmetic does, one structure or one per context, across chunk boundaries;
    and so does its fallback for more structures than its tables are kept for."""
    monkeypatch.setattr(entries, "LOOKUP_LIMIT", limit)
    rng = np.random.default_rng(3)
    for n, k in ((1, 0), (3, 1), (12, 4), (13, 2), (40, 5)):
        land = ContextLandscape.random(n, k, 0.5, 3, rng, approximate_max=n > 24)
        assert (land.local_entries.table is None) == (limit == 0)
        codes = rng.integers(0, 1 << n, (5, 4), dtype=np.int64)
        contexts = rng.integers(0, 3, (5, 4))
        column = np.arange(n) * (1 << (k + 1))
        shared = table_indices(codes.ravel(), land.shared.deps) + column
        assert np.array_equal(land.shared_entries(codes), shared.reshape(5, 4, n))
        local = table_indices(codes.ravel(), land.local_deps(contexts.ravel())) + column
        assert np.array_equal(land.local_entries(codes, contexts), local.reshape(5, 4, n))


def test_changes_at_entries_are_the_changes_of_the_structures():
    rng = np.random.default_rng(4)
    land = ContextLandscape.random(12, 4, 0.4, 3, rng, units="percent")
    base, new = rng.integers(0, 4096, 6), rng.integers(0, 4096, 6)
    new[0] = base[0]  # no change: every coefficient 0
    contexts, scale = rng.integers(0, 3, 6), rng.random(6) * 100
    slow = Changes(land.shared.deps, land.local_deps(contexts), base, new, scale, 0.4)
    fast = Changes.at(
        (land.shared_entries(base), land.shared_entries(new)),
        (land.local_entries(base, contexts), land.local_entries(new, contexts)),
        scale,
        0.4,
        land.shared.table.size,
    )
    assert np.array_equal(fast.entries, slow.entries)
    assert np.array_equal(fast.coeffs, slow.coeffs)
    # the coefficients as numpy forms them: (u / N)(1 - h) on S, (u / N) h on L, where moved
    s0, s1 = land.shared_entries(base), land.shared_entries(new)
    l0, l1 = land.local_entries(base, contexts), land.local_entries(new, contexts)
    unit = scale[:, None] / 12
    a_s, a_l = unit * (1 - 0.4) * (s0 != s1), unit * 0.4 * (l0 != l1)
    assert np.array_equal(fast.coeffs, np.concatenate([a_s, -a_s, a_l, -a_l], axis=1))
    assert not fast.coeffs[0].any()
    # looked up and filled in one compiled pass: the same changes, to the bit
    one_pass = Changes.between(
        land.shared_entries, land.local_entries, contexts, base, new, scale, 0.4
    )
    for changes in (slow, fast, one_pass):
        assert np.array_equal(changes.entries, slow.entries)
        assert np.array_equal(changes.coeffs, slow.coeffs)
        a = changes.coeffs[:, changes.width :]  # numpy's sum of the L part's squares
        assert np.array_equal(changes.local_variance, (a * a).sum(axis=1) * PRIOR_VAR)


def test_summed_contributions_are_the_landscapes_own_sums_bit_for_bit():
    """Beliefs' tables read entry by entry and summed in S's order give exactly what the
    landscape's evaluation gives with those tables (and S's own numbers for S's table)."""
    rng = np.random.default_rng(6)
    land = ContextLandscape.random(12, 4, 0.3, 2, rng, units="percent")
    tables = rng.random((3, land.shared.table.size))
    tables[1] = land.shared.table.ravel()
    codes, rows = rng.integers(0, 1 << 12, (4, 9)), rng.integers(0, 3, (4, 1))
    entries = land.shared_entries(codes) + rows[..., None] * tables.shape[1]
    got = summed(tables.take(entries), 4)
    assert np.array_equal(got, land.shared_belief_fitness(tables, codes, rows))
    assert np.array_equal(
        summed(tables[1].take(land.shared_entries(codes)), 4), land.shared_fitness(codes)
    )


@pytest.mark.parametrize("n, k", [(3, 1), (12, 4), (40, 1)])  # widths 24, 768, 320
def test_each_holders_error_is_numpys_rms_against_its_own_true_tables(n, k):
    """Holder r's error is against row which[r] of the truth (a leader's context's tables),
    and is numpy's root mean square of the differences to the bit."""
    rng = np.random.default_rng(7)
    b = Beliefs(4, 2, n, k)
    b.mean[:] = rng.random(b.mean.shape)
    truth = rng.random((3, b.mean.shape[1]))
    which = np.array([2, 0, 2, 1])
    got = b.error(truth, which)
    for r, t in enumerate(which):
        assert got[r] == np.sqrt(np.mean((b.mean[r] - truth[t]) ** 2))
    assert np.array_equal(got, np.sqrt(((b.mean - truth[which]) ** 2).mean(axis=-1)))
    b.mean[3] = truth[1]
    assert b.error(truth, which)[3] == 0.0


@pytest.mark.parametrize("width", [*range(0, 40), 127, 128, 129, 136, 255, 383, 384, 768, 1001])
def test_compiled_sums_add_in_numpys_order(width):
    """The compiled loops' sums are numpy's to the bit (pairwise, eight accumulators,
    blocks of 128 halved where numpy halves them), on terms of mixed sign and magnitude
    whose sum depends on the order of addition."""
    rng = np.random.default_rng(width)
    for _ in range(20):
        x = rng.normal(size=width) * 10.0 ** rng.integers(-8, 9, size=width)
        assert numpy_sum(x) == np.add.reduce(x[None], axis=1)[0]


@pytest.mark.parametrize("n, k", [(3, 1), (12, 4), (40, 1)])  # a width over 128 at N = 40
def test_the_compiled_steps_are_numpys_steps_one_observation_at_a_time(n, k):
    """A month of observations, several per holder and holders interleaved, gives bit for
    bit what the module docstring's step gives applied with numpy one observation after
    another; and each prediction is numpy's sum a theta and sum a^2 v."""
    rng = np.random.default_rng(n)
    deps = np.array(
        [np.r_[i, rng.choice(np.delete(np.arange(n), i), k, replace=False)] for i in range(n)]
    )
    m = 30
    base = rng.integers(0, 1 << n, size=m)
    new = base ^ rng.integers(1, 1 << n, size=m)
    ch = Changes(deps, deps, base, new, rng.uniform(50, 150, size=m), h=0.3)
    holders = rng.integers(0, 4, size=m)
    y, s2 = rng.normal(0, 5, size=m), rng.uniform(0, 4, size=m)
    s2[3] = 0.0  # a noiseless test
    compiled = Beliefs(4, 2, n, k)
    compiled.mean[:] = rng.random(compiled.mean.shape)
    compiled.var[:] = rng.uniform(0, 0.1, size=compiled.var.shape)
    compiled.var[2] = 0.0  # an oracle among the holders: never moves
    reference, oracle = copy.deepcopy(compiled), compiled.mean[2].copy()
    compiled.observe(holders, ch.entries, ch.coeffs, y, s2)
    for i, h in enumerate(holders):
        e, a = ch.entries[i], ch.coeffs[i]
        theta, v = reference.mean[h, e], reference.var[h, e]
        total = np.add.reduce(v * a * a) + s2[i]
        if total > 0:
            step = (y[i] - np.add.reduce(theta * a)) / total
            reference.mean[h, e] = theta + v * a * step
            reference.var[h, e] = v - (v * a) * (v * a) / total
    assert np.array_equal(compiled.mean, reference.mean)
    assert np.array_equal(compiled.var, reference.var)
    assert np.array_equal(compiled.mean[2], oracle)
    posts = np.stack([holders, (holders + 1) % 4], axis=1)  # two holders judge each change
    gain, spread = compiled.predict(posts, ch.entries, ch.coeffs)
    assert gain.shape == spread.shape == (m, 2)
    theta = compiled.mean[posts[..., None], ch.entries[:, None]]
    assert np.array_equal(gain, (theta * ch.coeffs[:, None]).sum(axis=-1))
    v = compiled.var[posts[..., None], ch.entries[:, None]]
    assert np.array_equal(spread, (v * (ch.coeffs * ch.coeffs)[:, None]).sum(axis=-1))


def test_a_run_without_entry_lookup_tables_is_the_same_run(monkeypatch):
    """Landscapes too large for look-up tables read the bits instead (``Changes.at``
    rather than the compiled pass): a default run's outputs are the same either way."""

    def outputs(tables: bool):
        model = NICModel(Params(steps=6), seed=8)
        assert (model.landscape.local_entries.table is not None) == tables
        model.run()
        return model.datacollector.get_model_vars_dataframe(), model.practice.copy()

    with_tables = outputs(True)
    monkeypatch.setattr(entries, "LOOKUP_LIMIT", 0)
    _landscape.cache_clear()  # the next run builds its landscape (and indexes) anew
    frame, practice = outputs(False)
    _landscape.cache_clear()
    assert frame.equals(with_tables[0])
    assert np.array_equal(practice, with_tables[1])


def test_knowledge_sums_log_prior_over_posterior_variance_and_floors_exact_entries():
    """docs/ODD.md 7.12 "Knowledge": the information a holder carries is the *sum* over its
    entries of log(v0 / v), an exactly known entry counting as log 10^6 (VAR_FLOOR), not
    infinity. One test of a change that moves four S entries (coefficients +-1, h = 0)
    leaves each of them at v' = v0 - v0^2 / (4 v0 + s^2) and every other entry at v0, so
    the knowledge is 4 log((4 v0 + s^2) / (3 v0 + s^2)). This is what a leaver takes with
    it (``knowledge_lost``, section 7.8), so its size matters, not only its sign."""
    b = Beliefs(1, 2, 3, 1)
    ch = Changes(DEPS, DEPS, np.array([0]), np.array([0b100]), np.array([3.0]), h=0.0)
    s2 = 0.01
    b.observe(np.array([0]), ch.entries, ch.coeffs, np.array([0.6]), np.array([s2]))
    expected = 4 * np.log((4 * PRIOR_VAR + s2) / (3 * PRIOR_VAR + s2))
    assert b.knowledge(0) == pytest.approx(expected, rel=1e-12)
    # an oracle's table: every one of its 24 entries known exactly counts log(1e6)
    oracle = Beliefs(2, 2, 3, 1)
    oracle.var[1] = 0.0
    assert oracle.knowledge(1) == pytest.approx(24 * np.log(1e6), rel=1e-12)
    assert oracle.knowledge(0) == 0.0


def test_a_graduate_takes_its_own_universitys_belief_on_the_shared_entries_only():
    """docs/ODD.md 7.15 (preparation) and 7.12: ``copy_entries`` gives holder ``to[i]``
    the mean and variance of row ``rows[i]`` of the source (its university), on the
    entries ``share[i]`` marks, all within the S part; every other entry, the L part
    included, stays as it was."""
    uni = Beliefs(3, 1, 3, 1)  # 12 S entries per university
    uni.mean[:] = np.arange(3)[:, None] + np.arange(12) / 100
    uni.var[:] = (np.arange(3)[:, None] + 1) / 1000
    leaders = Beliefs(4, 2, 3, 1)  # 24 entries: S then L
    share = np.zeros((2, 12), dtype=bool)
    share[0, [0, 5]] = True
    share[1, 11] = True
    leaders.copy_entries(np.array([3, 1]), uni, np.array([2, 1]), share)
    assert leaders.mean[3, [0, 5]].tolist() == [2.0, 2.05]
    assert leaders.var[3, [0, 5]].tolist() == [0.003, 0.003]
    assert leaders.mean[1, 11] == 1.11 and leaders.var[1, 11] == 0.002
    changed = np.zeros((4, 24), dtype=bool)
    changed[3, [0, 5]] = changed[1, 11] = True
    assert (leaders.mean[~changed] == PRIOR_MEAN).all()
    assert (leaders.var[~changed] == PRIOR_VAR).all()
