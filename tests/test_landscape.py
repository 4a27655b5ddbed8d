"""NK landscapes and context mixing (docs/ODD.md section 7.1), checked against exact values."""

import numpy as np
import pytest

from nicsim.nic import landscape
from nicsim.nic.landscape import ContextLandscape
from nicsim.nic.nk import NKLandscape, bits_to_codes, codes_to_bits


def all_codes(n: int) -> np.ndarray:
    return np.arange(1 << n, dtype=np.int64)


def brute_force_max(cl: ContextLandscape) -> np.ndarray:
    """max_x F_c(x) for every context, computed here from the two NK landscapes directly."""
    codes = all_codes(cl.n)
    shared = cl.shared.fitness(codes)
    return np.array([((1 - cl.h) * shared + cl.h * land.fitness(codes)).max() for land in cl.local])


# -- hand-checked NK fitness -----------------------------------------------------------------
# N = 2, K = 1: component 0 reads (bit0, bit1), component 1 reads (bit1, bit0); the first bit
# listed in deps[i] is the lowest bit of the table index j.
DEPS_2 = np.array([[0, 1], [1, 0]])
TABLE_2 = np.array(
    [
        [0.0, 0.25, 0.5, 0.75],  # component 0, j = bit0 + 2 * bit1
        [0.5, 0.125, 0.875, 0.25],  # component 1, j = bit1 + 2 * bit0
    ]
)
# code 0 (b0=0, b1=0): c0 j=0 -> 0.0,  c1 j=0 -> 0.5    mean 0.25
# code 1 (b0=1, b1=0): c0 j=1 -> 0.25, c1 j=2 -> 0.875  mean 0.5625
# code 2 (b0=0, b1=1): c0 j=2 -> 0.5,  c1 j=1 -> 0.125  mean 0.3125
# code 3 (b0=1, b1=1): c0 j=3 -> 0.75, c1 j=3 -> 0.25   mean 0.5
EXPECTED_2 = [0.25, 0.5625, 0.3125, 0.5]

# N = 3, K = 1: each component depends on the one before it (cyclically).
DEPS_3 = np.array([[0, 2], [1, 0], [2, 1]])
TABLE_3 = np.array(
    [
        [0.1, 0.2, 0.3, 0.4],  # component 0, j = b0 + 2 * b2
        [0.5, 0.6, 0.7, 0.8],  # component 1, j = b1 + 2 * b0
        [0.0, 0.9, 0.3, 0.6],  # component 2, j = b2 + 2 * b1
    ]
)
# code 0 (0,0,0): t0[0]=0.1 t1[0]=0.5 t2[0]=0.0 -> 0.6 / 3
# code 1 (1,0,0): t0[1]=0.2 t1[2]=0.7 t2[0]=0.0 -> 0.9 / 3
# code 2 (0,1,0): t0[0]=0.1 t1[1]=0.6 t2[2]=0.3 -> 1.0 / 3
# code 3 (1,1,0): t0[1]=0.2 t1[3]=0.8 t2[2]=0.3 -> 1.3 / 3
# code 4 (0,0,1): t0[2]=0.3 t1[0]=0.5 t2[1]=0.9 -> 1.7 / 3
# code 5 (1,0,1): t0[3]=0.4 t1[2]=0.7 t2[1]=0.9 -> 2.0 / 3
# code 6 (0,1,1): t0[2]=0.3 t1[1]=0.6 t2[3]=0.6 -> 1.5 / 3
# code 7 (1,1,1): t0[3]=0.4 t1[3]=0.8 t2[3]=0.6 -> 1.8 / 3
EXPECTED_3 = [0.6 / 3, 0.9 / 3, 1.0 / 3, 1.3 / 3, 1.7 / 3, 2.0 / 3, 1.5 / 3, 1.8 / 3]


def test_fitness_of_every_code_n2_k1_matches_hand_values():
    """N=2, K=1: each code's fitness is the mean of table entries indexed as documented."""
    land = NKLandscape(DEPS_2, TABLE_2)
    assert land.n == 2
    for code, expected in enumerate(EXPECTED_2):
        assert land.fitness(code) == expected
    np.testing.assert_array_equal(land.fitness(all_codes(2)), EXPECTED_2)


def test_fitness_of_every_code_n3_k1_matches_hand_values():
    """N=3, K=1 with cyclic dependencies: fitness of all 8 codes matches the hand values."""
    land = NKLandscape(DEPS_3, TABLE_3)
    for code, expected in enumerate(EXPECTED_3):
        assert land.fitness(code) == pytest.approx(expected, abs=1e-12)
    np.testing.assert_allclose(land.fitness(all_codes(3)), EXPECTED_3, rtol=0, atol=1e-12)
    assert int(land.fitness(all_codes(3)).argmax()) == 5


def test_dependency_order_sets_the_low_bit_of_the_table_index():
    """Swapping the order within deps[i] changes which bit is the low bit of the index."""
    # Component 0 reads (b1, b0) instead: code 1 (b0=1) now gives j = 2 -> 0.5, code 2 j = 1.
    swapped = NKLandscape(np.array([[1, 0], [1, 0]]), TABLE_2)
    # code 1: c0 j=0+2*1=2 -> 0.5,  c1 j=0+2*1=2 -> 0.875 -> 0.6875
    # code 2: c0 j=1+0=1 -> 0.25,   c1 j=1+0=1 -> 0.125 -> 0.1875
    np.testing.assert_array_equal(swapped.fitness(np.array([1, 2])), [0.6875, 0.1875])


def test_fitness_keeps_the_shape_of_the_codes():
    """A 2-D array of codes gives a 2-D array of fitness values, element by element."""
    land = NKLandscape(DEPS_3, TABLE_3)
    grid = np.array([[0, 5], [7, 2]])
    out = land.fitness(grid)
    assert out.shape == (2, 2)
    np.testing.assert_allclose(
        out, [[EXPECTED_3[0], EXPECTED_3[5]], [EXPECTED_3[7], EXPECTED_3[2]]], atol=1e-12
    )


# -- codes and bits --------------------------------------------------------------------------
def test_codes_to_bits_puts_component_i_in_column_i():
    """Code 6 = 0b110 has bit 0 clear and bits 1 and 2 set."""
    np.testing.assert_array_equal(codes_to_bits(np.array([6, 1]), 4), [[0, 1, 1, 0], [1, 0, 0, 0]])
    np.testing.assert_array_equal(bits_to_codes(np.array([[0, 1, 1, 0], [1, 0, 0, 1]])), [6, 9])


def test_codes_bits_round_trip():
    """codes -> bits -> codes is the identity, for all small codes and for large N."""
    codes = all_codes(10)
    bits = codes_to_bits(codes, 10)
    assert bits.shape == (1024, 10)
    assert set(np.unique(bits)) == {0, 1}
    np.testing.assert_array_equal(bits_to_codes(bits), codes)
    big = np.random.default_rng(4).integers(0, 1 << 40, size=200, dtype=np.int64)
    np.testing.assert_array_equal(bits_to_codes(codes_to_bits(big, 40)), big)
    bits = np.random.default_rng(5).integers(0, 2, size=(50, 12))
    np.testing.assert_array_equal(codes_to_bits(bits_to_codes(bits), 12), bits)


# -- random landscapes -------------------------------------------------------------------------
def test_random_landscape_structure():
    """deps[i] is i then K distinct other components; contributions lie in [0, 1)."""
    land = NKLandscape.random(9, 3, np.random.default_rng(1))
    assert land.deps.shape == (9, 4)
    assert land.table.shape == (9, 16)
    for i, row in enumerate(land.deps):
        assert row[0] == i
        others = list(row[1:])
        assert i not in others
        assert len(set(others)) == 3
        assert others == sorted(others)
    assert land.table.min() >= 0.0 and land.table.max() < 1.0


def test_same_seed_gives_identical_landscapes():
    """The same generator seed yields identical deps and tables; another seed does not."""
    a = ContextLandscape.random(8, 3, 0.3, 4, np.random.default_rng(11))
    b = ContextLandscape.random(8, 3, 0.3, 4, np.random.default_rng(11))
    c = ContextLandscape.random(8, 3, 0.3, 4, np.random.default_rng(12))
    for x, y in [(a.shared, b.shared), *zip(a.local, b.local, strict=True)]:
        np.testing.assert_array_equal(x.deps, y.deps)
        np.testing.assert_array_equal(x.table, y.table)
    np.testing.assert_array_equal(a.max_fitness, b.max_fitness)
    assert not np.array_equal(a.shared.table, c.shared.table)


# -- exact maxima ------------------------------------------------------------------------------
@pytest.mark.parametrize("h", [0.0, 0.35, 1.0])
def test_max_fitness_from_table_is_the_brute_force_max(h):
    """Precomputed-table path: max_fitness equals the max over all 2**N codes, per context."""
    cl = ContextLandscape.random(8, 3, h, 4, np.random.default_rng(2))
    assert cl._table is not None
    np.testing.assert_array_equal(cl.max_fitness, brute_force_max(cl))


@pytest.mark.parametrize("h", [0.0, 0.35, 1.0])
def test_max_fitness_without_stored_table_is_the_brute_force_max(monkeypatch, h):
    """Exhaustive path without a stored table (one context at a time) finds the same maxima."""
    monkeypatch.setattr(landscape, "TABLE_LIMIT", 0)
    cl = ContextLandscape.random(8, 3, h, 4, np.random.default_rng(2))
    assert cl._table is None
    np.testing.assert_array_equal(cl.max_fitness, brute_force_max(cl))
    monkeypatch.undo()
    with_table = ContextLandscape.random(8, 3, h, 4, np.random.default_rng(2))
    np.testing.assert_array_equal(cl.max_fitness, with_table.max_fitness)


def test_max_fitness_of_hand_landscape():
    """With the N=3 hand landscape as shared and h=0 the maximum is code 5's 2.0 / 3."""
    land = NKLandscape(DEPS_3, TABLE_3)
    cl = ContextLandscape(land, [land, land], h=0.0)
    np.testing.assert_allclose(cl.max_fitness, [2.0 / 3, 2.0 / 3], atol=1e-12)
    np.testing.assert_array_equal(cl.outcome(np.array([5, 5]), np.array([0, 1])), [1.0, 1.0])


# -- context mixing ----------------------------------------------------------------------------
@pytest.fixture(params=["table", "no_table"])
def table_mode(request, monkeypatch):
    """Run a test both with the precomputed table and with direct evaluation."""
    if request.param == "no_table":
        monkeypatch.setattr(landscape, "TABLE_LIMIT", 0)
    return request.param


def test_h0_every_context_faces_the_shared_landscape(table_mode):
    """h = 0: all contexts have identical fitness for every code, equal to S(x)."""
    cl = ContextLandscape.random(7, 2, 0.0, 3, np.random.default_rng(3))
    codes = all_codes(7)
    shared = cl.shared.fitness(codes)
    np.testing.assert_array_equal(cl.shared_fitness(codes), shared)
    for c in range(3):
        np.testing.assert_array_equal(cl.fitness(codes, np.full(codes.size, c)), shared)
    np.testing.assert_array_equal(cl.max_fitness, np.full(3, shared.max()))


def test_h1_fitness_is_the_local_landscape(table_mode):
    """h = 1: F_c(x) equals L_c(x) exactly; nothing of S remains."""
    cl = ContextLandscape.random(7, 2, 1.0, 3, np.random.default_rng(3))
    codes = all_codes(7)
    for c in range(3):
        local = cl.local[c].fitness(codes)
        np.testing.assert_array_equal(cl.fitness(codes, np.full(codes.size, c)), local)
        assert cl.max_fitness[c] == local.max()


def test_h_half_fitness_is_the_average(table_mode):
    """h = 0.5: F_c(x) = (S(x) + L_c(x)) / 2."""
    cl = ContextLandscape.random(7, 2, 0.5, 3, np.random.default_rng(3))
    codes = all_codes(7)
    shared = cl.shared.fitness(codes)
    for c in range(3):
        expected = (shared + cl.local[c].fitness(codes)) / 2
        np.testing.assert_allclose(
            cl.fitness(codes, np.full(codes.size, c)), expected, rtol=1e-15, atol=0
        )


@pytest.mark.parametrize("exponent", [8.0, 2.0, 1.0])
def test_outcome_is_one_at_argmax_and_power_of_ratio_elsewhere(table_mode, exponent):
    """outcome_c(x) = 1 at each context's argmax, (F_c(x) / max F_c) ** exponent elsewhere."""
    cl = ContextLandscape.random(7, 2, 0.3, 3, np.random.default_rng(6), exponent=exponent)
    codes = all_codes(7)
    for c in range(3):
        ctx = np.full(codes.size, c)
        f = cl.fitness(codes, ctx)
        out = cl.outcome(codes, ctx)
        best = int(f.argmax())
        assert out[best] == 1.0
        np.testing.assert_allclose(out, (f / f.max()) ** exponent, rtol=1e-13, atol=0)
        assert out.min() > 0.0 and out.max() == 1.0
        assert np.count_nonzero(out == 1.0) == np.count_nonzero(f == f.max())


def test_outcome_contexts_have_different_argmax_when_h_is_one():
    """h = 1 with distinct local landscapes: the best practice is context-specific."""
    cl = ContextLandscape.random(8, 3, 1.0, 2, np.random.default_rng(8))
    codes = all_codes(8)
    best = [int(cl.fitness(codes, np.full(codes.size, c)).argmax()) for c in range(2)]
    assert best[0] != best[1]
    assert cl.outcome(best[0], 1) < 1.0
    assert cl.outcome(best[1], 0) < 1.0


# -- batch evaluation --------------------------------------------------------------------------
def test_batch_evaluation_equals_per_code_evaluation(table_mode):
    """Scoring a batch of (code, context) pairs equals scoring each pair on its own."""
    cl = ContextLandscape.random(9, 3, 0.4, 4, np.random.default_rng(7))
    rng = np.random.default_rng(70)
    codes = rng.integers(0, 1 << 9, size=300)
    contexts = rng.integers(0, 4, size=300)
    batch_f = cl.fitness(codes, contexts)
    batch_o = cl.outcome(codes, contexts)
    single_f = [
        float(cl.fitness(np.int64(x), np.int64(c))) for x, c in zip(codes, contexts, strict=True)
    ]
    single_o = [
        float(cl.outcome(np.int64(x), np.int64(c))) for x, c in zip(codes, contexts, strict=True)
    ]
    np.testing.assert_array_equal(batch_f, single_f)
    np.testing.assert_array_equal(batch_o, single_o)
    grid = cl.fitness(codes.reshape(30, 10), contexts.reshape(30, 10))
    np.testing.assert_array_equal(grid.ravel(), batch_f)


def test_nk_batch_equals_per_code():
    """NKLandscape.fitness on an array equals fitness of each code alone."""
    land = NKLandscape.random(10, 4, np.random.default_rng(9))
    codes = all_codes(10)
    np.testing.assert_array_equal(land.fitness(codes), [land.fitness(int(x)) for x in codes])


# -- large N -------------------------------------------------------------------------------------
def test_large_n_without_approximate_max_is_refused():
    """N > 24 raises ValueError naming N unless an approximate maximum is asked for."""
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="N = 25"):
        ContextLandscape.random(25, 2, 0.3, 1, rng)
    shared = NKLandscape.random(30, 2, rng)
    with pytest.raises(ValueError, match="approximate_max"):
        ContextLandscape(shared, [NKLandscape.random(30, 2, rng)], 0.3)


def test_approximate_max_for_n30_bounds_random_codes():
    """N=30 with approximate_max: max_fitness beats 1000 random codes; outcome stays <= 1."""
    cl = ContextLandscape.random(30, 2, 0.3, 1, np.random.default_rng(5), approximate_max=True)
    assert not cl.exact
    assert cl._table is None
    assert cl.max_fitness.shape == (1,)
    codes = np.random.default_rng(9).integers(0, 1 << 30, size=1000, dtype=np.int64)
    ctx = np.zeros(1000, dtype=np.int64)
    f = cl.fitness(codes, ctx)
    assert cl.max_fitness[0] >= f.max()
    out = cl.outcome(codes, ctx)
    assert out.max() <= 1.0 and out.min() >= 0.0
    # An estimate that is too low is clamped: outcome never exceeds 1.
    cl.max_fitness = np.array([f.min()])
    assert cl.outcome(codes, ctx).max() == 1.0


# -- whole-space tables --------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "k"), [(1, 0), (5, 0), (6, 5), (9, 2), (13, 4), (14, 13)])
def test_full_table_equals_direct_evaluation_bit_for_bit(n, k):
    """The broadcast-built table of all 2**N codes equals scoring each code directly, exactly,
    for groupings with one, several and N components per group."""
    land = NKLandscape.random(n, k, np.random.default_rng(n * 31 + k))
    np.testing.assert_array_equal(land.full_table(), land.fitness(all_codes(n)))


@pytest.mark.parametrize(("n", "k"), [(1, 0), (7, 2), (9, 5), (12, 3)])
@pytest.mark.parametrize("block_bits", [1, 4])
def test_full_table_summed_in_blocks_equals_direct_evaluation(n, k, block_bits, monkeypatch):
    """Summed a block at a time (here blocks far smaller than the table, so the block
    number reads some of each group's bits), the table is still exactly the direct one."""
    monkeypatch.setattr("nicsim.nic.nk.BLOCK_BITS", block_bits)
    land = NKLandscape.random(n, k, np.random.default_rng(n * 17 + k))
    np.testing.assert_array_equal(land.full_table(), land.fitness(all_codes(n)))


def test_full_table_of_hand_landscape():
    np.testing.assert_allclose(NKLandscape(DEPS_3, TABLE_3).full_table(), EXPECTED_3, atol=1e-15)


def test_stacked_evaluation_scores_each_context_on_its_own_landscape(monkeypatch):
    """Without a table, districts of different contexts are scored together, each exactly as
    its own local landscape would score it."""
    monkeypatch.setattr(landscape, "TABLE_LIMIT", 0)
    cl = ContextLandscape.random(10, 3, 1.0, 5, np.random.default_rng(4))
    rng = np.random.default_rng(40)
    codes, contexts = rng.integers(0, 1 << 10, 200), rng.integers(0, 5, 200)
    expected = [cl.local[c].fitness(x) for x, c in zip(codes, contexts, strict=True)]
    np.testing.assert_array_equal(cl.fitness(codes, contexts), expected)
