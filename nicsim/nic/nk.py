"""Kauffman's NK landscapes: contribution tables, and fitness summed in one fixed order
(docs/ODD.md section 7.1).

A practice is an integer code whose bit i is component i. Codes rather than bit arrays
keep ideas, copying and table look-ups cheap: applying a change idea is two bit operations.

Fitness is summed in one fixed order everywhere: components in consecutive groups
(:func:`component_groups`), each group summed from zero, the groups added in turn, the
total divided by N. The whole-space table and the direct evaluation of a few codes follow
that order, so they agree to the last bit, and a context's exact maximum is reached
exactly (outcome 1.0) by the practice that attains it, whichever path scored it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
