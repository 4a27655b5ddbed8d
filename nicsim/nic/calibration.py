"""Calibration of measurement noise: how informative is a novice's single PDSA test?

docs/ODD.md ("Outcome units and measurement") and ``calibration/README.md`` use these
functions to set the default ``measurement_noise``. The signal is the true gain of the
one-component changes a district faces at the start (step 0), in outcome units, measured
on the landscapes and starting practices the model itself builds; not on a run's own
trajectory, which the noise itself shapes.

SNR (signal-to-noise ratio) = sd of those true gains / sd of a novice's test noise. At
SNR = 1 the true gain and the noise have equal variance: one test's observed gain
correlates with the true gain at 1 / sqrt(2) = 0.71 (its reliability is 0.5), and it gets
the sign of a typical gain right about three times in four. The mean absolute gain over
the same noise sd is reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .agents import noise_sd
from .landscape import ContextLandscape
from .params import Params


def one_flip_gains(landscape: ContextLandscape, codes, contexts) -> np.ndarray:
    """(M, N) true gains, in outcome units, of flipping each component of each practice."""
    codes = np.asarray(codes, dtype=np.int64)
    contexts = np.broadcast_to(np.asarray(contexts, dtype=np.int64), codes.shape)
    flips = codes[:, None] ^ (np.int64(1) << np.arange(landscape.n, dtype=np.int64))
    before = landscape.outcome(codes, contexts)
    after = landscape.outcome(flips, np.broadcast_to(contexts[:, None], flips.shape))
    return after - before[:, None]


@dataclass(frozen=True)
class SNR:
    """What a novice's single test tells, on ``gains.size`` true one-flip gains."""

    gain_sd: float  # sd of the true gains
    mean_abs_gain: float  # mean |true gain|
    noise_sd: float  # sd of a novice's test noise
    gains: int  # how many gains were measured

    @property
    def snr(self) -> float:
        """sd of the true gains over the novice's noise sd (inf without noise)."""
        return self.gain_sd / self.noise_sd if self.noise_sd else float("inf")

    @property
    def snr_abs(self) -> float:
        """mean |true gain| over the novice's noise sd (inf without noise)."""
        return self.mean_abs_gain / self.noise_sd if self.noise_sd else float("inf")


def single_test_snr(gains: np.ndarray, novice_sd: float) -> SNR:
    """The SNR of one test of noise sd ``novice_sd`` on the true ``gains``."""
    g = np.asarray(gains, dtype=np.float64).ravel()
    return SNR(float(g.std()), float(np.abs(g).mean()), float(novice_sd), g.size)


def starting_gains(p: Params, seeds) -> np.ndarray:
    """Every district's true one-flip gains at step 0, over runs of ``seeds``, as the model
    builds them (its landscape, its starting practices, its contexts)."""
    from .model import NICModel  # the model loads Mesa: only when gains are asked for

    out = []
    for seed in seeds:
        model = NICModel(p, seed)
        n = len(model.districts)
        out.append(one_flip_gains(model.landscape, model.practice[:n], model.context[:n]))
        model.release()
    return np.concatenate(out)


def novice_snr(p: Params, seeds) -> SNR:
    """A novice's (skill ``novice_skill``) single-test SNR under ``p``, over ``seeds``."""
    return single_test_snr(starting_gains(p, seeds), float(noise_sd(p, p.novice_skill)))
