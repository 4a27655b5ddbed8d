"""NK landscapes with a shared and per-context local part (DESIGN.md section 3.1).

A practice is an integer code whose bit i is component i. Codes rather than bit arrays
keep ideas, copying and table look-ups cheap: applying a change idea is two bit operations,
and when the whole space is small enough every context's outcome is precomputed once, so
scoring a practice in the model is a single array look-up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Precompute every context's outcome for all 2**N practices when the table stays below
# this many entries (8 bytes each): N = 12 with 33 contexts is 135k entries.
TABLE_LIMIT = 1 << 24
CHUNK = 1 << 16  # practices scored per numpy call during exhaustive search
EXACT_MAX_LIMIT = 24  # exhaustive maxima up to 2**24 practices


def codes_to_bits(codes: np.ndarray, n: int) -> np.ndarray:
    """(M,) integer codes -> (M, n) array of 0/1 bits, bit i = component i."""
    codes = np.asarray(codes, dtype=np.int64)
    return ((codes[..., None] >> np.arange(n, dtype=np.int64)) & 1).astype(np.uint8)


def bits_to_codes(bits: np.ndarray) -> np.ndarray:
    """(M, n) array of 0/1 bits -> (M,) integer codes."""
    bits = np.asarray(bits, dtype=np.int64)
    return bits @ (np.int64(1) << np.arange(bits.shape[-1], dtype=np.int64))


@dataclass(frozen=True)
class NKLandscape:
    """One Kauffman NK landscape.

    ``deps[i]`` lists component i itself followed by the K components it depends on;
    ``table[i, j]`` is component i's contribution when those K + 1 bits, read with
    ``deps[i][0]`` as the lowest bit, spell the integer j.
    """

    deps: np.ndarray  # (N, K+1) int
    table: np.ndarray  # (N, 2**(K+1)) float in [0, 1)

    @classmethod
    def random(cls, n: int, k: int, rng: np.random.Generator) -> NKLandscape:
        # K distinct others per component in one draw: the K smallest of random keys,
        # with a component's own key set to infinity so it never depends on itself twice
        keys = rng.random((n, n))
        np.fill_diagonal(keys, np.inf)
        others = np.sort(np.argsort(keys, axis=1)[:, :k], axis=1)
        deps = np.column_stack([np.arange(n), others]).astype(np.int64)
        table = rng.random((n, 1 << (k + 1)))
        return cls(deps, table)

    @property
    def n(self) -> int:
        return self.deps.shape[0]

    def fitness(self, codes: np.ndarray) -> np.ndarray:
        """Mean contribution of the N components for each practice code, in one numpy pass."""
        codes = np.asarray(codes, dtype=np.int64)[..., None]
        index = (codes >> self.deps[:, 0]) & 1  # (..., N): one pass per dependency column
        for j in range(1, self.deps.shape[1]):
            index |= ((codes >> self.deps[:, j]) & 1) << j
        index += np.arange(self.n) * self.table.shape[1]  # rows of the flattened table
        return self.table.ravel()[index].mean(axis=-1)


class ContextLandscape:
    """Shared landscape S and local landscapes L_c mixed by heterogeneity h.

    F_c(x) = (1 - h) S(x) + h L_c(x); outcome_c(x) = (F_c(x) / max_x F_c(x)) ** exponent.
    """

    def __init__(
        self,
        shared: NKLandscape,
        local: list[NKLandscape],
        h: float,
        exponent: float = 8.0,
        approximate_max: bool = False,
        rng: np.random.Generator | None = None,
    ) -> None:
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
        self._table: np.ndarray | None = None
        self._shared_table: np.ndarray | None = None  # S over all codes, with _table
        if (1 << self.n) * self.n_contexts <= TABLE_LIMIT:
            self._table = self._all_fitness()
            self.max_fitness = self._table.max(axis=1)
        elif self.exact:
            self.max_fitness = self._exhaustive_max()
        else:
            self.max_fitness = self._hill_climb_max(rng or np.random.default_rng(0))

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
    ) -> ContextLandscape:
        shared = NKLandscape.random(n, k, rng)
        local = [NKLandscape.random(n, k, rng) for _ in range(n_contexts)]
        return cls(shared, local, h, exponent, approximate_max, rng)

    # -- raw fitness -------------------------------------------------------------------
    def fitness(self, codes: np.ndarray, contexts: np.ndarray) -> np.ndarray:
        """F_c(x) for paired arrays of codes and contexts."""
        codes = np.asarray(codes, dtype=np.int64)
        contexts = np.asarray(contexts, dtype=np.int64)
        if self._table is not None:
            return self._table[contexts, codes]
        codes, contexts = np.broadcast_arrays(codes, contexts)
        shared = self.shared.fitness(codes)
        out = np.empty(codes.shape)
        for c in np.unique(contexts):
            mask = contexts == c
            out[mask] = self._mix(shared[mask], c, codes[mask])
        return out

    def _mix(self, shared: np.ndarray, context: int, codes: np.ndarray) -> np.ndarray:
        """F_c = (1 - h) S + h L_c, given S of ``codes``; L_c is not evaluated when h = 0."""
        if not self.h:
            return (1 - self.h) * shared
        return (1 - self.h) * shared + self.h * self.local[context].fitness(codes)

    def outcome(self, codes: np.ndarray, contexts: np.ndarray) -> np.ndarray:
        """Normalised outcome in [0, 1]: 1 is the best practice possible in that context."""
        contexts = np.asarray(contexts, dtype=np.int64)
        ratio = self.fitness(codes, contexts) / self.max_fitness[contexts]
        return np.minimum(ratio, 1.0) ** self.exponent

    def shared_fitness(self, codes: np.ndarray) -> np.ndarray:
        """S(x): what research knows, the general problem without local context."""
        if self._shared_table is not None:
            return self._shared_table[np.asarray(codes, dtype=np.int64)]
        return self.shared.fitness(codes)

    # -- maxima ------------------------------------------------------------------------
    def _all_fitness(self) -> np.ndarray:
        codes = np.arange(1 << self.n, dtype=np.int64)
        shared = self._shared_table = self.shared.fitness(codes)
        table = np.empty((self.n_contexts, codes.size))
        for c in range(self.n_contexts):
            table[c] = self._mix(shared, c, codes)
        return table

    def _exhaustive_max(self) -> np.ndarray:
        best = np.full(self.n_contexts, -np.inf)
        for start in range(0, 1 << self.n, CHUNK):
            codes = np.arange(start, min(start + CHUNK, 1 << self.n), dtype=np.int64)
            shared = self.shared.fitness(codes)
            for c in range(self.n_contexts):
                best[c] = max(best[c], self._mix(shared, c, codes).max())
        return best

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
