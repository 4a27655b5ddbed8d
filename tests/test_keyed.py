"""Keyed random numbers (nicsim/core/keyed.py): reproducible, uniform, and paired.

The statistical tests use fixed seeds, so they are deterministic; each tolerance is stated
in standard errors (SE) of the statistic for independent draws, wide enough that a sound
generator passes with any seed and narrow enough that a bias of a percent fails."""

import itertools

import numpy as np
import pytest
from scipy import stats
from scipy.special import ndtri

from nicsim.core.keyed import KeyedStream, keyed_streams, mix_array, mix_int
from nicsim.nic.model import NICModel
from nicsim.nic.params import Params

MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def reference_hash(base: int, keys: tuple[int, ...]) -> int:
    """The module docstring's functional form, in Python integers: w0 = base + gamma,
    wi = g(w(i-1) + ki) for all keys but the last, h = f(w(m-1) + km), f = mix - gamma."""

    def g(x: int) -> int:
        x = (x * 0xFF51AFD7ED558CCD) & MASK
        return ((x ^ (x >> 33)) * 0xC4CEB9FE1A85EC53) & MASK

    if not keys:
        return base
    w = (base + GAMMA) & MASK
    for k in keys[:-1]:
        w = g((w + k) & MASK)
    return mix_int((w + keys[-1] - GAMMA) & MASK)


def test_mix_matches_splitmix64_and_python_equals_numpy():
    # SplitMix64 seeded with 0: its first output is 0xE220A8397B1DCDAF (Vigna's splitmix64.c)
    assert mix_int(0) == 0xE220A8397B1DCDAF
    words = np.array([0, 1, 2**63, 2**64 - 1, 123456789], dtype=np.uint64)
    assert mix_array(words.copy()).tolist() == [mix_int(int(w)) for w in words]


def test_the_hash_is_the_documented_formula():
    """The vectorised hash equals the docstring's form computed in Python integers, for
    one to five keys, scalars in any position, negative and 64-bit keys."""
    s = KeyedStream(11, "formula")
    rng = np.random.default_rng(0)
    for m in range(1, 6):
        keys = [rng.integers(-(2**63), 2**63, 20, dtype=np.int64) for _ in range(m)]
        keys[0][:3] = [0, -1, 2**63 - 1]
        h = s.hash(*keys)
        words = [[int(x) & MASK for x in k] for k in keys]
        assert h.dtype == np.uint64
        assert h.tolist() == [reference_hash(s.base, t) for t in zip(*words, strict=True)]
        # a scalar in any position (a Python int): as an array of it
        for pos in range(m):
            mixed = [int(k[0]) if i == pos else k for i, k in enumerate(keys)]
            fixed = [[w[0]] * 20 if i == pos else w for i, w in enumerate(words)]
            expected = [reference_hash(s.base, t) for t in zip(*fixed, strict=True)]
            assert np.broadcast_to(s.hash(*mixed), (20,)).tolist() == expected
    assert int(s.hash()) == s.base  # no keys: the stream's base
    assert int(s.hash(5)) == mix_int(s.base + 5)  # one key: mix(base + k)
    for draw in (s.uniform, s.normal, lambda: s.integers(3)):  # a draw names its event
        with pytest.raises(TypeError, match="'formula' needs at least one key"):
            draw()


def test_scalar_and_array_keys_agree_and_keys_broadcast():
    s = KeyedStream(2, "shapes")
    d, slot, tries = np.arange(5), np.arange(3), np.arange(4)
    grid = s.integers(12, 7, d[:, None, None], slot[:, None], tries)
    full = np.broadcast_arrays(d[:, None, None], slot[:, None], tries)
    assert grid.shape == (5, 3, 4)
    assert np.array_equal(grid, s.integers(12, 7, *full))
    assert np.array_equal(grid, s.integers(12, np.full((5, 3, 4), 7), *full))
    assert grid[2, 1, 3] == s.integers(12, 7, 2, 1, 3)
    # a key that widens the shape late, and one that does not
    u = s.uniform(7, d[:, None], slot, 9)
    assert u.shape == (5, 3) and u[4, 2] == s.uniform(7, 4, 2, 9)
    assert np.array_equal(s.uniform(7, d, np.int64(1)), s.uniform(7, d, np.ones(5, int)))
    # all-scalar keys give numpy scalars, as single elements of arrays do
    for draw in (s.uniform, s.normal):
        x = draw(3, 4, np.int8(5))
        assert np.ndim(x) == 0 and np.isfinite(x)
        assert x == draw(3, np.array([4]), 5)[0]
    assert s.hash(np.array(3), [4]).tolist() == s.hash(3, 4).reshape(1).tolist()  # 0-d key
    assert np.array_equal(s.uniform(7, d[:, None], slot), s.uniform(7, d[:, None], [0, 1, 2]))
    assert s.uniform(7, np.arange(0), d[:, None]).shape == (5, 0)
    # the draws never write into the caller's keys, whatever their dtype
    keys = (np.arange(6, dtype=np.uint64), np.arange(6), np.arange(6) % 2 == 0)
    copies = [k.copy() for k in keys]
    s.normal(*keys), s.uniform(keys[0]), s.integers(3, *keys[::-1])
    for k, c in zip(keys, copies, strict=True):
        assert np.array_equal(k, c) and k.dtype == c.dtype


def test_key_types_negative_bool_and_unsigned():
    s = KeyedStream(3, "types")
    assert s.uniform(-1) == s.uniform(np.uint64(2**64 - 1))  # negative integers wrap
    assert np.array_equal(
        s.uniform(1, np.array([-1, -2], dtype=np.int8)),
        s.uniform(1, np.array([2**64 - 1, 2**64 - 2], dtype=np.uint64)),
    )
    flags = np.array([True, False, True])
    assert np.array_equal(s.uniform(1, flags), s.uniform(1, flags.astype(np.int64)))
    assert s.uniform(True, 3) == s.uniform(1, 3)
    small = np.arange(10)
    for dtype in (np.uint8, np.int16, np.int32, np.uint32, np.uint64):
        assert np.array_equal(s.uniform(1, small.astype(dtype)), s.uniform(1, small))
    for bad in (1.0, np.array([1.0]), np.array(2.5), "3"):
        with pytest.raises(TypeError):
            s.uniform(1, bad)


def test_draws_are_the_documented_functions_of_the_hash():
    s = KeyedStream(4, "draws")
    keys = (2, np.arange(2000), np.arange(2000) % 7)
    h = s.hash(*keys)
    u = s.uniform(*keys)
    assert np.array_equal(u, (h >> np.uint64(11)).astype(np.float64) * 2.0**-53)
    j = (h >> np.uint64(13)).astype(np.float64)
    assert np.array_equal(s.normal(*keys), ndtri((2 * j + 1) * 2.0**-52))
    for n in (1, 2, 12, 62, 1000, 2**40 + 1):
        assert np.array_equal(s.integers(n, *keys), np.floor(u * n).astype(np.int64))
    # the extremes: uniforms in [0, 1), normals finite and bounded by ndtri(2**-52) = -8.13
    assert (2**64 - 1 >> 11) * 2.0**-53 < 1.0
    assert -8.2 < ndtri(2.0**-52) < ndtri(1 - 2.0**-52) < 8.2
    assert np.isfinite(s.normal(*keys)).all()


def test_a_draw_is_a_pure_function_of_seed_name_and_keys():
    a, b = KeyedStream(7, "noise"), KeyedStream(7, "noise")
    keys = (3, np.arange(50), np.arange(50) % 2)
    assert np.array_equal(a.normal(*keys), b.normal(*keys))
    # the same key gives the same number whatever else is asked for, and in any batch
    whole = a.uniform(3, np.arange(100))
    assert np.array_equal(a.uniform(3, np.arange(40, 60)), whole[40:60])
    assert a.uniform(3, np.int64(42)) == whole[42]
    assert not np.array_equal(KeyedStream(8, "noise").uniform(3, np.arange(100)), whole)
    assert not np.array_equal(KeyedStream(7, "turnover").uniform(3, np.arange(100)), whole)
    assert not np.array_equal(a.uniform(4, np.arange(100)), whole)
    assert list(keyed_streams(7, ("noise", "x"))["noise"].uniform(3, np.arange(3))) == list(
        whole[:3]
    )


def test_uniforms_pass_a_chi_square_test_and_normals_a_ks_test():
    """Tolerance: the statistics must fall inside their 99.9% ranges (fixed seed, so the
    test is deterministic; a hash with a bias of 1% per bin would fail by far)."""
    s = KeyedStream(1, "test")
    u = s.uniform(np.arange(200), np.arange(500)[:, None]).ravel()  # 100,000 (post, month)
    counts = np.bincount((u * 100).astype(int), minlength=100)
    chi2 = ((counts - 1000) ** 2 / 1000).sum()
    assert chi2 < stats.chi2.ppf(0.999, 99)
    assert u.min() >= 0 and u.max() < 1
    z = s.normal(5, np.arange(100_000))
    assert stats.kstest(z, "norm").pvalue > 0.001
    assert abs(z.mean()) < 0.015 and abs(z.std() - 1) < 0.01
    # neighbouring keys are independent: no lag-1 correlation
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.015


def test_moments_of_uniforms_integers_and_normals():
    """n = 250,000 draws with three array keys (month, post, slot), as the noise stream.
    Tolerances of 5 SE: uniform mean 1/2 (SE 0.00058) and variance 1/12 (SE 0.00015);
    normal mean 0 (SE 0.002), sd 1 (SE 0.0014), skewness 0 (SE 0.005), excess kurtosis 0
    (SE 0.0098); a chi-square of 12 integer values within its 99.9% range."""
    s = KeyedStream(21, "moments")
    keys = (np.arange(250)[:, None, None], np.arange(500)[:, None], np.arange(2))
    u = s.uniform(9, *keys).ravel()
    n = u.size
    assert n == 250_000
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    assert abs(u.var() - 1 / 12) < 5 * np.sqrt(1 / 180 / n)
    z = KeyedStream(21, "normal").normal(9, *keys).ravel()
    se = 1 / np.sqrt(n)
    assert abs(z.mean()) < 5 * se
    assert abs(z.std() - 1) < 5 * se * np.sqrt(0.5)
    assert abs(stats.skew(z)) < 5 * np.sqrt(6 / n)
    assert abs(stats.kurtosis(z)) < 5 * np.sqrt(24 / n)
    k = KeyedStream(21, "integers").integers(12, 9, *keys).ravel()
    counts = np.bincount(k, minlength=12)
    assert counts.size == 12
    assert ((counts - n / 12) ** 2 / (n / 12)).sum() < stats.chi2.ppf(0.999, 11)


def test_neighbouring_keys_orders_and_streams_are_uncorrelated():
    """Correlations between draws of neighbouring events must be below 5 SE (1/sqrt(n)):
    post p and p + 1, month m and m + 1, slot 0 and 1, keys (a, b) against (b, a), and two
    streams of different names on the same keys."""
    s = KeyedStream(5, "neighbours")
    posts, months = np.arange(1000), np.arange(101)[:, None]
    u = s.uniform(months, posts, 0)  # (101 months, 1000 posts)
    v = s.uniform(months, posts, 1)

    def r(a, b):
        return np.corrcoef(a.ravel(), b.ravel())[0, 1], 5 / np.sqrt(a.size)

    pairs = {
        "post p, p + 1": (u[:, :-1], u[:, 1:]),
        "month m, m + 1": (u[:-1], u[1:]),
        "slot 0, 1": (u, v),
        "(a, b), (b, a)": (s.uniform(3, posts, posts[::-1]), s.uniform(3, posts[::-1], posts)),
        "stream names": (u, KeyedStream(5, "neighbour").uniform(months, posts, 0)),
    }
    for what, (a, b) in pairs.items():
        corr, tol = r(a, b)
        assert abs(corr) < tol, what
        assert not np.any(a == b), what
    # the order of the keys matters: (a, b) and (b, a) are different events
    a, b = np.arange(1, 300), np.arange(300, 599)
    assert not np.any(s.uniform(a, b) == s.uniform(b, a))


def test_each_input_bit_flips_each_output_bit_half_the_time():
    """Avalanche of the whole hash, for a bit of any key in one, two or three array keys:
    4,000 random tuples per input bit, so each flip rate has SE 0.0079; the largest of the
    12,288 deviations from 1/2 must be below 0.05 (6.3 SE)."""
    s = KeyedStream(6, "avalanche")
    rng = np.random.default_rng(1)
    n, bits = 4000, np.arange(64, dtype=np.uint64)
    keys = [rng.integers(0, 2**64, n, dtype=np.uint64, endpoint=False) for _ in range(3)]
    for m in (1, 2, 3):
        h0 = s.hash(7, *keys[:m])
        for pos in range(m):
            flipped = [k[None, :] for k in keys[:m]]
            flipped[pos] = keys[pos][None, :] ^ (np.uint64(1) << bits)[:, None]  # (64, n)
            diff = h0 ^ s.hash(7, *flipped)
            rate = ((diff[:, :, None] >> bits) & np.uint64(1)).mean(axis=1)  # (in, out)
            assert np.abs(rate - 0.5).max() < 0.05, (m, pos)


def neighbourhood(base: tuple[int, ...]) -> np.ndarray:
    """Key tuples near ``base`` (rows, uint64): within two bit flips (in one key or two),
    within steps of -4 to 4 in two keys, and the permutations of ``base``."""
    m, start = len(base), np.array(base, dtype=np.uint64)
    pos = np.repeat(np.arange(m), 64)
    bit = np.uint64(1) << np.tile(np.arange(64, dtype=np.uint64), m)
    rows = [start[None, :], *itertools.permutations(base)]
    for a, b in (np.triu_indices(pos.size, 1), np.diag_indices(pos.size)):  # two flips, one
        t = np.tile(start, (a.size, 1))
        t[np.arange(a.size), pos[a]] ^= bit[a]
        t[np.arange(a.size), pos[b]] ^= bit[b] * (a != b)
        rows.append(t)
    steps = np.array(list(itertools.product(range(-4, 5), repeat=2)), dtype=np.int64)
    steps = steps.view(np.uint64)  # -4 to 4, modulo 2**64
    for i, j in itertools.combinations(range(m), 2):
        t = np.tile(start, (len(steps), 1))
        t[:, [i, j]] += steps  # wraps modulo 2**64
        rows.append(t)
    rows = np.vstack([np.array(r, dtype=np.uint64).reshape(-1, m) for r in rows])
    return np.unique(rows.view(np.dtype((np.void, 8 * m)))).view(np.uint64).reshape(-1, m)


def test_no_collisions_among_neighbouring_key_tuples():
    """Every tuple in the neighbourhood of a few key tuples (above) hashes to a different
    word. Keys as the model's: month, post, slot and two 62-bit masks (an idea's
    components). A linear join of keys (w * C + k) fails this with thousands of
    collisions, one multiply and one xorshift per key with hundreds."""
    s = KeyedStream(8, "collisions")
    rng = np.random.default_rng(2)
    tuples = [
        (7, 12, 40, 0b101100111, 0b100100011),
        (0, 0, 0, 0, 0),
        (3, 5, 1, (1 << 61) | (1 << 29) | 5, (1 << 61) | 4),
        tuple(int(x) for x in rng.integers(0, 2**62, 5, dtype=np.int64)),
    ]
    for base in tuples:
        for m in (2, 3, 5):
            near = neighbourhood(base[:m])
            assert len(near) > 64 * m * (64 * m - 1) // 2
            assert np.unique(s.hash(*near.T)).size == len(near), (base, m)


def test_turnover_of_post_3_in_month_7_does_not_depend_on_noise_or_design(small):
    """The draw that decides whether post 3's leader leaves in month 7 is the same whatever
    the measurement noise, the design or the turnover rate: keyed, not sequential."""

    def turnover_draws(p: Params) -> float:
        m = NICModel(p, seed=4)
        m.run(6)
        real = m.keyed["turnover"]
        draws = {}

        class Spy:
            def uniform(self, month, posts):
                draws[month] = real.uniform(month, posts)
                return draws[month]

        m.keyed["turnover"] = Spy()
        m.step()
        return float(draws[7][3])

    base = small.replace(steps=7)
    reference = turnover_draws(base)
    assert reference == KeyedStream(4, "turnover").uniform(7, np.int64(3))
    for change in (
        {"measurement_noise": 5.0},
        {"design": "networked"},
        {"design": "siloed"},
        {"turnover_rate": 0.4},
    ):
        assert turnover_draws(base.replace(**change)) == reference, change


def test_a_tests_noise_is_keyed_by_month_post_and_slot(small):
    """Two runs that differ only in turnover give the same noise draws to every test that
    both run in the same month, post and slot (the draws are read back from the stream)."""
    s = NICModel(small, seed=3).keyed["noise"]
    month, posts = 5, np.array([0, 0, 1, 1, 7, 7])
    slots = np.arange(6) % 2
    z = s.normal(month, posts, slots)
    assert np.array_equal(z[[4, 5]], s.normal(month, np.array([7, 7]), np.array([0, 1])))
    assert len(set(z.tolist())) == 6


def test_runs_are_reproducible_with_keyed_streams(small):
    a = NICModel(small, seed=9).run()
    b = NICModel(small, seed=9).run()
    assert np.array_equal(
        a.datacollector.columns()["mean_outcome"], b.datacollector.columns()["mean_outcome"]
    )
    assert np.array_equal(a.practice, b.practice)
