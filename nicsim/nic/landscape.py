"""The NIC's landscape: a shared NK landscape and per-context local ones, mixed by
heterogeneity h, with outcomes in interpretable units (docs/ODD.md section 7.1).

When the whole space is small enough every context's fitness is precomputed once, so
scoring a practice in the model is a single array look-up. The NK tables and their fixed
order of summation are :mod:`nicsim.nic.nk`'s.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .nk import BIT, NKLandscape, evaluate

if TYPE_CHECKING:  # imported where first used: it loads numba, which `nicsim` starts without
    from .entries import EntryIndex

# Precompute every context's fitness for all 2**N practices when the table stays below
# this many entries (8 bytes each): N = 12 with 33 contexts is 135k entries, N = 20 with
# one context (Lazer & Friedman) is 1M.
TABLE_LIMIT = 1 << 24
EXACT_MAX_LIMIT = 24  # exhaustive maxima up to 2**24 practices
OUTCOME_LIMIT = 1 << 18  # also tabulate outcomes (not only fitness) up to this many entries


def power(x: np.ndarray, exponent: float, overwrite: bool = False) -> np.ndarray:
    """``x ** exponent``; whole exponents (Lazer & Friedman's 8) by repeated squaring, which
    is several times faster than numpy's general power over a table of 2**N outcomes.
    ``overwrite`` lets it square ``x`` in place rather than a copy."""
    e = float(exponent)
    if not (e.is_integer() and 1 <= e <= 64):
        from ..core import libm  # loads numba, which `nicsim` starts without

        return libm.power(x, e)  # the C library's pow, the same on every CPU (see core.libm)
    e = int(e)
    out, base = None, (x if overwrite else np.array(x, dtype=np.float64))
    while True:
        if e & 1 and out is None:
            out = base if e == 1 else base.copy()  # base is not squared again after its top bit
        elif e & 1:
            np.multiply(out, base, out=out)
        e >>= 1
        if not e:
            return out
        np.multiply(base, base, out=base)


def to_units(
    fitness: np.ndarray,
    best: np.ndarray,
    mean: np.ndarray,
    units: str,
    exponent: float,
    clamp: bool = False,
) -> np.ndarray:
    """Fitness F in outcome units (see :class:`ContextLandscape`): percent,
    100 (F - mean) / (best - mean); power, (F / best) ** exponent. ``clamp`` caps the ratio
    at 1, for a ``best`` that is an estimate. At F = best the ratio is exactly 1, so the
    best practice scores exactly 100 (or 1)."""
    if units == "percent":
        span = np.asarray(best - mean)
        span = np.where(span > 0, span, 1.0)  # a flat landscape: every practice is 0
        ratio = np.asarray((fitness - mean) / span)
    else:
        ratio = np.asarray(fitness / best)
    if clamp:  # an exact maximum is never exceeded (same sums, bit for bit)
        np.minimum(ratio, 1.0, out=ratio)
    if units == "percent":
        ratio *= 100.0
        return ratio
    return power(ratio, exponent, overwrite=True)


OUTCOME_UNITS = ("percent", "power")
# how figures and the page name an outcome axis in each unit
OUTCOME_LABELS = {
    "percent": "Outcome (% of the way from a typical practice, 0, to the best, 100)",
    "power": "Outcome ((F / max F) ** exponent; 1 = best possible)",
}


class ContextLandscape:
    """Shared landscape S and local landscapes L_c mixed by heterogeneity h.

    F_c(x) = (1 - h) S(x) + h L_c(x). The outcome is F_c in one of two units:

    - ``percent``: 100 (F_c(x) - mean_c) / (max_c - mean_c), where mean_c and max_c are the
      mean and the maximum of F_c over all 2**N practices: "percent of the way from a
      typical practice to the best one" (0 = a typical practice, 100 = the best; negative
      below the mean). Linear in F, so gains add up.
    - ``power``: (F_c(x) / max_c) ** exponent, in [0, 1] (model 1; Lazer & Friedman 2007).

    mean_c is exact for every N without visiting the practices: as x runs over all codes,
    each component's K + 1 bits take every pattern equally often, so the mean of F over the
    space is the mean of the contribution tables, (1 - h) mean(S) + h mean(L_c).
    """

    def __init__(
        self,
        shared: NKLandscape,
        local: list[NKLandscape],
        h: float,
        exponent: float = 8.0,
        approximate_max: bool = False,
        rng: np.random.Generator | None = None,
        units: str = "power",
    ) -> None:
        if units not in OUTCOME_UNITS:
            raise ValueError(f"units = {units!r}: expected one of {', '.join(OUTCOME_UNITS)}")
        self.units = units
        self.shared = shared
        self.local = local
        self.h = float(h)
        self.exponent = float(exponent)
        self.n = shared.n
        self.n_contexts = len(local)
        self.exact = self.n <= EXACT_MAX_LIMIT
        if not self.exact and not approximate_max:
            raise ValueError(
                f"exact maxima need N <= {EXACT_MAX_LIMIT} (N = {self.n}); ask for approximate_max"
            )
        # the local landscapes stacked, to score districts of many contexts in one pass
        self._deps = np.stack([land.deps for land in local])
        self._tables = np.stack([land.table for land in local])
        # mean_c: exact from the contribution tables (see the class docstring), any N
        means = self._tables.mean(axis=(1, 2)) if self.h else None
        self.mean_fitness = np.broadcast_to(
            self._mix(np.float64(shared.table.mean()), means), (self.n_contexts,)
        ).copy()
        self._table: np.ndarray | None = None  # F_c over all codes, when small enough
        self._shared_table: np.ndarray | None = None  # S over all codes, with _table
        self._outcomes: np.ndarray | None = None  # outcome_c over all codes, if small
        self._row: np.ndarray | None = None  # the one fitness row when all contexts share it
        self._outcome_row: np.ndarray | None = None
        if (1 << self.n) * (self.n_contexts if self.h else 1) <= TABLE_LIMIT:  # h = 0: one row
            self._table = self._all_fitness()
            rows = self._table if self.h else self._table[:1]  # h = 0: one distinct row
            best = rows.max(axis=1)
            self.max_fitness = best if self.h else np.full(self.n_contexts, best[0])
            if rows.size <= OUTCOME_LIMIT:  # larger tables: outcomes of visited codes only
                mean = self.mean_fitness[: len(rows), None]
                self._outcomes = np.broadcast_to(
                    self._normalise(rows, best[:, None], mean), self._table.shape
                )
            if len(rows) == 1 or self.n_contexts == 1:
                self._row = rows[0]
                self._outcome_row = None if self._outcomes is None else self._outcomes[0]
        elif self.exact:
            self.max_fitness = self._exhaustive_max()
        else:
            self.max_fitness = self._hill_climb_max(rng or np.random.default_rng(0))
        # one problem for every district (h = 0 or a single context): contexts can be ignored
        self.one_problem = self._row is not None

    @classmethod
    def random(
        cls,
        n: int,
        k: int,
        h: float,
        n_contexts: int,
        rng: np.random.Generator,
        exponent: float = 8.0,
        approximate_max: bool = False,
        units: str = "power",
        decimals: int = 0,
        dependencies: str = "others",
    ) -> ContextLandscape:
        shared = NKLandscape.random(n, k, rng, decimals, dependencies)
        local = [NKLandscape.random(n, k, rng, decimals, dependencies) for _ in range(n_contexts)]
        return cls(shared, local, h, exponent, approximate_max, rng, units)

    # -- practices ---------------------------------------------------------------------
    def random_practices(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` starting practices, each of the 2**N equally likely."""
        return rng.integers(0, 1 << self.n, n, dtype=np.int64)

    def local_search(self, practices: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each practice with one random component flipped (individual learning)."""
        bits = rng.integers(0, self.n, practices.size)
        return practices ^ BIT[bits]  # a look-up: cheaper than shifting, for 100 districts

    # -- raw fitness -------------------------------------------------------------------
    def fitness(self, codes: np.ndarray, contexts: np.ndarray) -> np.ndarray:
        """F_c(x) for paired arrays of codes and contexts."""
        if self._row is not None:  # one problem for every context: a plain look-up
            return self._row[codes]
        codes = np.asarray(codes, dtype=np.int64)
        contexts = np.asarray(contexts, dtype=np.int64)
        if self._table is not None:
            return self._table[contexts, codes]
        shared = self.shared.fitness(codes)
        if not self.h:
            return self._mix(shared, None)
        local = evaluate(self._deps, self._tables, codes, contexts)
        return self._mix(shared, self.shared._exact(local))  # one rounding for S and every L_c

    def _mix(self, shared: np.ndarray, local: np.ndarray | None) -> np.ndarray:
        """F_c = (1 - h) S + h L_c; L_c is not needed (None) when h = 0."""
        if local is None:
            return shared if self.h == 0 else (1 - self.h) * shared  # (1 - 0) S is S
        return (1 - self.h) * shared + self.h * local

    def outcome(self, codes: np.ndarray, contexts: np.ndarray) -> np.ndarray:
        """Outcome in the landscape's units: 100 (percent) or 1 (power) is the best
        practice possible in that context."""
        if self._outcome_row is not None:
            return self._outcome_row[codes]
        if self._outcomes is not None:
            return self._outcomes[contexts, codes]
        if self._row is not None:  # one problem: contexts do not matter
            return self._normalise(self._row[codes], self.max_fitness[0], self.mean_fitness[0])
        contexts = np.asarray(contexts, dtype=np.int64)
        return self._normalise(
            self.fitness(codes, contexts), self.max_fitness[contexts], self.mean_fitness[contexts]
        )

    def _normalise(self, fitness: np.ndarray, best: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """F in outcome units (:func:`to_units`); the ratio is clamped at 1 (the best) for
        an approximate maximum below the truth."""
        return to_units(fitness, best, mean, self.units, self.exponent, clamp=not self.exact)

    @property
    def best_outcome(self) -> float:
        """The outcome of the best practice in any context: 100 (percent) or 1 (power)."""
        return 100.0 if self.units == "percent" else 1.0

    @property
    def percent_scale(self) -> np.ndarray:
        """Each context's outcome points per unit of fitness, 100 / (max_c - mean_c): a
        change of F by dF moves the percent outcome by this times dF."""
        span = self.max_fitness - self.mean_fitness
        return 100.0 / np.where(span > 0, span, 1.0)

    def local_deps(self, contexts: np.ndarray) -> np.ndarray:
        """Dependency structures (..., N, K+1) of the local landscapes of ``contexts``."""
        return self._deps[np.asarray(contexts, dtype=np.int64)]

    def local_tables(self, contexts: np.ndarray) -> np.ndarray:
        """The local contribution tables of ``contexts``, each flattened to N * T."""
        return self._tables.reshape(self.n_contexts, -1)[np.asarray(contexts, dtype=np.int64)]

    @cached_property
    def shared_entries(self) -> EntryIndex:
        """S's :class:`EntryIndex`: ``shared_entries(codes)`` is (..., N)."""
        from .entries import EntryIndex

        return EntryIndex(self.shared.deps[None])

    @cached_property
    def local_entries(self) -> EntryIndex:
        """The local landscapes' :class:`EntryIndex`: ``local_entries(codes, contexts)``."""
        from .entries import EntryIndex

        return EntryIndex(self._deps)

    def shared_belief_fitness(self, tables: np.ndarray, codes, rows) -> np.ndarray:
        """S(x) with the contribution tables ``tables[rows]`` (flattened (rows, N * T)) in
        place of S's own, summed in S's order: the same numbers as :meth:`shared_fitness`
        when a row holds S's table exactly."""
        u = tables.shape[0]
        deps = np.broadcast_to(self.shared.deps, (u, *self.shared.deps.shape))
        return evaluate(deps, tables.reshape(u, self.n, -1), codes, rows)

    def shared_fitness(self, codes: np.ndarray) -> np.ndarray:
        """S(x): what research knows, the general problem without local context."""
        if self._shared_table is not None:
            return self._shared_table[np.asarray(codes, dtype=np.int64)]
        return self.shared.fitness(codes)

    # -- maxima ------------------------------------------------------------------------
    def _context_tables(self, shared: np.ndarray):
        """F_c over all codes, one context at a time, given S over all codes."""
        for c in range(self.n_contexts):
            yield self._mix(shared, self.local[c].full_table() if self.h else None)

    def _all_fitness(self) -> np.ndarray:
        shared = self._shared_table = self.shared.full_table()
        if not self.h:  # every context faces S itself: one row, viewed n_contexts times
            return np.broadcast_to(shared, (self.n_contexts, shared.size))
        table = np.empty((self.n_contexts, shared.size))
        for c, row in enumerate(self._context_tables(shared)):
            table[c] = row
        return table

    def _exhaustive_max(self) -> np.ndarray:
        shared = self.shared.full_table()
        return np.array([row.max() for row in self._context_tables(shared)])

    def _hill_climb_max(self, rng: np.random.Generator, restarts: int = 200) -> np.ndarray:
        """Best local optimum found by steepest-ascent climbs from random starts (approximate)."""
        best = np.empty(self.n_contexts)
        flips = np.int64(1) << np.arange(self.n, dtype=np.int64)
        for c in range(self.n_contexts):
            x = rng.integers(0, 1 << min(self.n, 62), size=restarts, dtype=np.int64)
            fx = self.fitness(x, np.full(restarts, c))
            while True:
                nbrs = x[:, None] ^ flips  # (restarts, N)
                fn = self.fitness(nbrs, np.full(nbrs.shape, c))
                j = fn.argmax(axis=1)
                gain = fn[np.arange(restarts), j] > fx
                if not gain.any():
                    break
                x = np.where(gain, nbrs[np.arange(restarts), j], x)
                fx = np.where(gain, fn[np.arange(restarts), j], fx)
            best[c] = fx.max()
        return best
