"""Keyed random numbers (nicsim/core/keyed.py): reproducible, uniform, and paired."""

import numpy as np

from nicsim.core.keyed import KeyedStream, keyed_streams, mix_array, mix_int
from nicsim.nic.model import NICModel
from nicsim.nic.params import Params


def test_mix_matches_splitmix64_and_python_equals_numpy():
    # SplitMix64 seeded with 0: its first output is 0xE220A8397B1DCDAF (Vigna's splitmix64.c)
    assert mix_int(0) == 0xE220A8397B1DCDAF
    words = np.array([0, 1, 2**63, 2**64 - 1, 123456789], dtype=np.uint64)
    assert mix_array(words.copy()).tolist() == [mix_int(int(w)) for w in words]


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
    from scipy import stats

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
