"""NK landscapes with a shared and per-context local part (docs/ODD.md section 7.1).

A practice is an integer code whose bit i is component i. Codes rather than bit arrays
keep ideas, copying and table look-ups cheap: applying a change idea is two bit operations,
and when the whole space is small enough every context's fitness is precomputed once, so
scoring a practice in the model is a single array look-up.

Fitness is summed in one fixed order everywhere: components in consecutive groups
(:func:`component_groups`), each group summed from zero, the groups added in turn, the
total divided by N. The whole-space table and the direct evaluation of a few codes follow
that order, so they agree to the last bit, and a context's exact maximum is reached
exactly (outcome 1.0) by the practice that attains it, whichever path scored it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported where first used: it loads numba, which `nicsim` starts without
    from .entries import EntryIndex

# Precompute every context's fitness for all 2**N practices when the table stays below
# this many entries (8 bytes each): N = 12 with 33 contexts is 135k entries, N = 20 with
# one context (Lazer & Friedman) is 1M.
TABLE_LIMIT = 1 << 24
EXACT_MAX_LIMIT = 24  # exhaustive maxima up to 2**24 practices
OUTCOME_LIMIT = 1 << 18  # also tabulate outcomes (not only fitness) up to this many entries
GROUP_BITS = 12  # a group of components reads at most this many bits: its partial table is small
LOW_BITS = 5  # partial tables also span the lowest bits, so broadcast loops run 32 long
BIT = np.int64(1) << np.arange(62, dtype=np.int64)  # BIT[i]: the code of component i alone
BLOCK_BITS = 16  # the whole-space table is summed in blocks of 2**16 codes (512 KiB): in cache


def codes_to_bits(codes: np.ndarray, n: int) -> np.ndarray:
    """(M,) integer codes -> (M, n) array of 0/1 bits, bit i = component i."""
    codes = np.asarray(codes, dtype=np.int64)
    return ((codes[..., None] >> np.arange(n, dtype=np.int64)) & 1).astype(np.uint8)


def bits_to_codes(bits: np.ndarray) -> np.ndarray:
    """(M, n) array of 0/1 bits -> (M,) integer codes."""
    bits = np.asarray(bits, dtype=np.int64)
    return bits @ (np.int64(1) << np.arange(bits.shape[-1], dtype=np.int64))


def component_groups(n: int, k: int) -> list[range]:
    """Consecutive components whose K + 1 dependencies together span <= GROUP_BITS bits.

    The grouping depends on N and K only, never on which bits a landscape draws, so many
    landscapes can be evaluated together in the same order of additions.
    """
    size = max(1, GROUP_BITS // (k + 1))
    return [range(s, min(s + size, n)) for s in range(0, n, size)]


def evaluate(deps: np.ndarray, tables: np.ndarray, codes, which) -> np.ndarray:
    """Fitness of ``codes`` on the stacked landscapes ``which`` (paired, broadcast).

    ``deps`` is (L, N, K+1) and ``tables`` (L, N, 2**(K+1)): L landscapes at once, so
    districts in different contexts are scored in one pass over the components.
    """
    codes, which = np.broadcast_arrays(
        np.asarray(codes, dtype=np.int64), np.asarray(which, dtype=np.int64)
    )
    n, k1 = deps.shape[1], deps.shape[2]
    single = deps.shape[0] == 1
    total = np.zeros(codes.shape)
    for group in component_groups(n, k1 - 1):
        part = np.zeros(codes.shape)
        for i in group:
            d = deps[0, i] if single else deps[which, i]  # (K+1,) or (..., K+1)
            index = np.zeros(codes.shape, dtype=np.int64)
            for j in range(k1):
                index |= ((codes >> (d[j] if single else d[..., j])) & 1) << j
            part += tables[0, i][index] if single else tables[which, i, index]
        total += part
    return total / n


def summed(contributions: np.ndarray, k: int) -> np.ndarray:
    """Fitness from each component's contribution (..., N), summed in :func:`evaluate`'s
    order (the groups of :func:`component_groups`, each from zero) and divided by N: the
    same numbers as :func:`evaluate` given the same contributions."""
    n = contributions.shape[-1]
    total = np.zeros(contributions.shape[:-1])
    for group in component_groups(n, k):
        part = np.zeros(contributions.shape[:-1])
        for i in group:
            part += contributions[..., i]
        total += part
    return total / n


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


def exact_sums(fitness: np.ndarray, n: int, decimals: int) -> np.ndarray:
    """Fitness of contributions rounded to ``decimals`` (> 0) as the exact mean: the summed
    floats snapped to the grid 1 / (n 10**decimals) that the rounded contributions' mean
    lies on. Practices whose contributions add up alike then tie exactly, whatever the
    order of the additions (floats summed in a fixed order split about half of those ties
    by an ulp or two; Barkoczi & Galesic's R sums in 80-bit long doubles, which keeps
    nearly all). The sum's rounding error, below n**2 2**-53, is far from half a grid step
    for decimals <= 9 (``Params`` allows up to 9). In place; returns ``fitness``."""
    scale = float(n * 10**decimals)
    np.multiply(fitness, scale, out=fitness)
    np.rint(fitness, out=fitness)
    np.divide(fitness, scale, out=fitness)
    return fitness


def _reread_self(deps: np.ndarray, table: np.ndarray) -> None:
    """Where component i drew itself among its K (``dependencies = "any"``), read instead the
    lowest component it does not depend on, with a table that ignores that bit and reads
    bit 0 (component i) in its place: the same fitness function, now with K + 1 distinct
    dependencies, which every other part of the landscape assumes. In place."""
    n, k1 = deps.shape
    t = np.arange(table.shape[1])
    for i in range(n):
        for j in range(1, k1):
            if deps[i, j] == i:
                deps[i, j] = min(set(range(n)) - set(deps[i].tolist()))
                table[i] = table[i][(t & ~(1 << j)) | ((t & 1) << j)]


def _runs(n: int, bits: list[int]) -> tuple[list[int], list[int]]:
    """Axis sizes that view a 2**n table (C order, high bit first) as alternating runs of
    bits in and out of ``bits``: the full table's shape and a partial table's shape.
    Merged runs keep numpy's broadcast loops long."""
    inside = [(n - 1 - axis) in bits for axis in range(n)]
    full, part = [], []
    start = 0
    while start < n:
        end = start
        while end < n and inside[end] == inside[start]:
            end += 1
        full.append(1 << (end - start))
        part.append(1 << (end - start) if inside[start] else 1)
        start = end
    return full, part


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


@dataclass(frozen=True)
class NKLandscape:
    """One Kauffman NK landscape.

    ``deps[i]`` lists component i itself followed by the K components it depends on;
    ``table[i, j]`` is component i's contribution when those K + 1 bits, read with
    ``deps[i][0]`` as the lowest bit, spell the integer j.
    """

    deps: np.ndarray  # (N, K+1) int
    table: np.ndarray  # (N, 2**(K+1)) float in [0, 1)
    decimals: int = 0  # > 0: the table is rounded to this many decimals; sums are exact

    @classmethod
    def random(
        cls,
        n: int,
        k: int,
        rng: np.random.Generator,
        decimals: int = 0,
        dependencies: str = "others",
    ) -> NKLandscape:
        """A random landscape. ``decimals`` > 0 rounds the contributions (Barkoczi &
        Galesic's ``round(runif(), 1)``); ``dependencies = "any"`` draws the K from all N
        components, as their ``sample(1:N, K)`` does, so a component that draws itself
        depends on fewer than K others. The defaults draw exactly as before."""
        # K distinct components per component in one draw: the K smallest of random keys,
        # with a component's own key set to infinity (unless "any") so it never depends on
        # itself twice
        keys = rng.random((n, n))
        if dependencies == "others":
            np.fill_diagonal(keys, np.inf)
        others = np.argsort(keys, axis=1)[:, :k]
        if dependencies == "others":  # their order does not matter: sorted
            others = np.sort(others, axis=1)
        deps = np.column_stack([np.arange(n), others]).astype(np.int64)
        table = rng.random((n, 1 << (k + 1)))
        if decimals:
            table = np.round(table, decimals)
        if dependencies == "any":
            _reread_self(deps, table)
        return cls(deps, table, decimals)

    @property
    def n(self) -> int:
        return self.deps.shape[0]

    def fitness(self, codes: np.ndarray) -> np.ndarray:
        """Mean contribution of the N components for each practice code."""
        return self._exact(evaluate(self.deps[None], self.table[None], codes, 0))

    def _exact(self, fitness: np.ndarray) -> np.ndarray:
        """Fitness as summed, or its exact value when the contributions are rounded."""
        return exact_sums(fitness, self.n, self.decimals) if self.decimals else fitness

    def full_table(self) -> np.ndarray:
        """Fitness of all 2**N codes, equal bit for bit to :meth:`fitness` of each.

        No loop over the 2**N codes: each group of components is tabulated over the few
        bits it reads (and the lowest bits, which keeps numpy's inner loops long) and
        broadcast into the whole space. The space is summed one block of 2**BLOCK_BITS codes
        at a time, every group added while the block is in cache: a table of 2**20 (8 MiB)
        summed group by group went through memory ten times.
        """
        n, k1 = self.deps.shape
        low = set(range(min(LOW_BITS, n)))
        size = min(n, BLOCK_BITS)
        blocks = 1 << (n - size)
        out = np.empty(1 << n)
        adds = []  # per group: the table viewed by block, its partial by block, each block's row
        for group in component_groups(n, k1 - 1):
            bits = sorted({int(b) for i in group for b in self.deps[i]} | low)
            inner = [b for b in bits if b < size]
            outer = [b - size for b in bits if b >= size]  # bits of the block number it reads
            full, shape = _runs(size, inner)
            part = self._partial(group, bits).reshape(-1, *shape)  # its high bits are `outer`
            rows = [sum((x >> b & 1) << j for j, b in enumerate(outer)) for x in range(blocks)]
            adds.append((out.reshape(blocks, *full), part, rows))
        for x, block in enumerate(out.reshape(blocks, -1)):
            for g, (view, part, rows) in enumerate(adds):
                here = view[x]
                if g == 0:  # the first group assigned: 0.0 + f is f exactly
                    here[...] = part[rows[x]]
                else:
                    here += part[rows[x]]
            block /= n
        return self._exact(out)

    def _partial(self, group: range, bits: list[int]) -> np.ndarray:
        """The summed contribution of ``group`` over the sorted ``bits``, indexed by them.

        Each component's table, its axes put in the order of its bits, is broadcast over
        the bits it does not read, so no index arrays are built over the partial table.
        """
        k1 = self.deps.shape[1]
        where = {b: j for j, b in enumerate(bits)}
        part = np.empty(1 << len(bits))
        for m, i in enumerate(group):
            deps = [int(b) for b in self.deps[i]]
            # axis a of the (2,) * (K+1) view is table bit K - a; order the axes high bit first
            axes = [k1 - 1 - j for j in sorted(range(k1), key=deps.__getitem__, reverse=True)]
            table = self.table[i].reshape((2,) * k1).transpose(axes)
            full, shape = _runs(len(bits), [where[b] for b in deps])
            view = part.reshape(full)
            if m == 0:  # 0.0 + f is f exactly: the first component is assigned
                view[...] = table.reshape(shape)
            else:
                view += table.reshape(shape)
        return part


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
