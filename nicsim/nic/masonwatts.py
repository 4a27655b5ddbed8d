"""Mason & Watts's (2012) landscape as Barkoczi & Galesic (2016) built it (docs/ODD.md,
"The Mason & Watts landscape"; docs/VALIDATION.md, section 4).

A practice is a cell (x, y) of a SIZE x SIZE grid, coded ``x * SIZE + y`` (0-based), so
the imitation rules, which only copy and compare codes, run on it unchanged. The payoff of
a cell is a unimodal bivariate Gaussian with a random centre plus five octaves of smoothed
noise, scaled so that the best cell pays 100 (their ``generate_MasonWatts.R``)::

    F(x, y) = 100 * G(x, y) / max G,
    G = g(x) g(y) / max(g g) + sum_{w=3..7} rho**w * P_w(x, y),

with g the normal density (standard deviation sqrt(3 SIZE / 100)) around a centre drawn
uniformly in [1, SIZE] for each axis, rho = 0.7, and P_w the 2**w x 2**w grid of uniform
numbers placed evenly over [1, SIZE] and interpolated to the integer cells. The peak is a
needle (a standard deviation under two cells) in a field of noisy hills: easy to miss,
which is what makes the landscape "complex" in their sense.

Each octave is interpolated as their ``akima::bicubic.grid(octaveSeq, octaveSeq,
octaveMatrix, c(1, L), c(1, L), 1, 1)`` does it: Akima's (1996) bivariate method, ACM
algorithm 760 (:mod:`nicsim.nic.akima`), evaluated at every cell 1, 2, ..., SIZE of both
axes (in the akima package up to 0.5-12, current when their code was written, the last two
arguments are the output spacings dx and dy). Only the landscape's distribution is
compared, since R's and numpy's random numbers differ anyway.

Individual learning is their "radius search", read from ``simulation_MW.R`` as it runs:
one coordinate, chosen at random, with 1-based value v, jumps to a value drawn uniformly
from v + 1, ..., 2v and v - 1, ..., 0, where values above SIZE become 1 and values below
1 become SIZE. (Their code draws a random radius first, then overwrites it with v.)
"""

from __future__ import annotations

import numpy as np

from ..core import libm
from .akima import interpolate
from .landscape import to_units

SIZE = 100  # cells per side (their L)
RHO = 0.7  # persistence: octave w is weighted rho ** w
OCTAVES = range(3, 8)  # 8 to 128 knots a side


def payoffs(rng: np.random.Generator, size: int = SIZE) -> np.ndarray:
    """A random (size, size) payoff grid F, its maximum exactly 100 (see the module)."""
    cells = np.arange(1, size + 1, dtype=np.float64)
    sd = np.sqrt(3 * size / 100)
    centre_x, centre_y = rng.uniform(1, size, 2)
    # the C library's exp (see core.libm); the density's constant cancels
    gx = libm.exp(-0.5 * ((cells - centre_x) / sd) ** 2)
    gy = libm.exp(-0.5 * ((cells - centre_y) / sd) ** 2)
    grid = np.outer(gx, gy)
    grid /= grid.max()
    for w in OCTAVES:
        grid += RHO**w * smooth(rng.random((1 << w, 1 << w)), size)
    grid /= grid.max()  # then times 100: the best cell pays exactly 100
    grid *= 100
    return grid


def smooth(noise: np.ndarray, size: int) -> np.ndarray:
    """A square grid of values placed evenly over [1, size] on both axes (their
    ``seq(1, L, length.out = octave)``), interpolated to the cells 1..size by Akima's
    bivariate method (their ``bicubic.grid``; see the module)."""
    cells = np.arange(1, size + 1, dtype=np.float64)
    knots = np.linspace(1, size, noise.shape[0])
    return interpolate(knots, knots, noise, cells, cells)


class MasonWattsLandscape:
    """One payoff grid faced by every district (no contexts), with the interface of
    :class:`~nicsim.nic.landscape.ContextLandscape` that the imitation rules and the
    metrics read. Outcomes are in the run's units like an NK landscape's: power,
    (F / max F) ** exponent (their performance is F / 100, exponent 1); percent,
    100 (F - mean F) / (max F - mean F)."""

    n_contexts = 1
    one_problem = True
    exact = True  # the maximum is read off the whole grid

    def __init__(self, grid: np.ndarray, units: str = "power", exponent: float = 1.0) -> None:
        self.size = grid.shape[0]
        self.table = grid.ravel()
        self.units = units
        self.max_fitness = np.array([self.table.max()])
        self.mean_fitness = np.array([self.table.mean()])
        self._outcomes = to_units(
            self.table, self.max_fitness[0], self.mean_fitness[0], units, exponent
        )

    @classmethod
    def random(
        cls, rng: np.random.Generator, units: str = "power", exponent: float = 1.0
    ) -> MasonWattsLandscape:
        return cls(payoffs(rng), units, exponent)

    def fitness(self, codes: np.ndarray, contexts=None) -> np.ndarray:
        return self.table[codes]

    def outcome(self, codes: np.ndarray, contexts=None) -> np.ndarray:
        return self._outcomes[codes]

    @property
    def best_outcome(self) -> float:
        return 100.0 if self.units == "percent" else 1.0

    @property
    def percent_scale(self) -> np.ndarray:
        return 100.0 / (self.max_fitness - self.mean_fitness)

    def random_practices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Each district's starting cell: two different coordinates, as their
        ``sample(1:100, 2)`` draws them (so never on the diagonal)."""
        x = rng.integers(0, self.size, n)
        y = rng.integers(0, self.size - 1, n)
        y += y >= x  # skip x: uniform over the other size - 1 values
        return x * self.size + y

    def local_search(self, practices: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each practice after their radius search (see the module docstring)."""
        size = self.size
        axis = rng.integers(0, 2, practices.size)  # 0: x, 1: y
        x, y = np.divmod(practices, size)
        v = np.where(axis == 0, x, y) + 1  # 1-based, as in their code
        pick = np.floor(rng.random(practices.size) * 2 * v).astype(np.int64)  # of 2v values
        new = np.where(pick < v, v + pick + 1, v - (pick - v) - 1)
        new = np.where(new > size, 1, np.where(new < 1, size, new)) - 1  # wrap, 0-based
        return np.where(axis == 0, new * size + y, x * size + new)
