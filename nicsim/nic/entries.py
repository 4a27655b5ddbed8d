"""Which table entry each component of a practice reads (docs/ODD.md, "Beliefs").

Component i of a practice code reads its K + 1 dependency bits; the integer j they spell
(``deps[i][0]`` the lowest bit) picks its contribution, entry i * T + j of a flattened
(N * T) table, T = 2 ** (K + 1). Beliefs and research read contributions this way, so
one function reads the bits (:func:`table_indices`) and :class:`EntryIndex` looks the
same numbers up faster, in a loop compiled by numba (:func:`code_entries`) that the
belief updates call too.
"""

from __future__ import annotations

import numpy as np
from numba import njit

CHUNK_BITS = 6  # EntryIndex reads a code 6 bits at a time: look-up tables of 64 rows
LOOKUP_LIMIT = 1 << 20  # EntryIndex's tables up to 8 MiB: 680 contexts at N = 12


def table_indices(codes: np.ndarray, deps: np.ndarray) -> np.ndarray:
    """Practice codes (any shape S) -> (S, N): the table column each component reads at
    each code, under ``deps`` (N, K+1) or one structure per code (S, N, K+1);
    ``deps[i][0]`` is the lowest bit, as ``nk.evaluate`` reads it. The one place
    bits are read; :class:`EntryIndex` looks the same numbers up by chunks."""
    codes = np.asarray(codes, dtype=np.int64)
    bits = (codes[..., None, None] >> deps) & 1  # (S, N, K+1)
    return (bits << np.arange(deps.shape[-1], dtype=np.int64)).sum(axis=-1)


class EntryIndex:
    """Where each component's contribution sits in its flattened (N * T) table, at any code.

    For dependency structures ``deps`` (L, N, K+1), calling it on codes and landscapes
    ``which`` (broadcast) gives (..., N): i * T + j, j being the integer component i's K + 1
    bits spell at that code (``deps[i][0]`` the lowest bit, as ``nk.evaluate`` reads them).
    Each bit of the code adds its own term to j, so the index is a sum over the code's
    CHUNK_BITS-bit chunks of terms looked up by chunk: a couple of look-ups a call rather
    than a shift and a mask per bit of every component. The look-up tables, (L, chunks, 64,
    N), are kept to LOOKUP_LIMIT entries; more landscapes than that read the bits.
    """

    def __init__(self, deps: np.ndarray) -> None:
        landscapes, n, k1 = deps.shape
        self.deps = deps
        self.chunks = -(-n // CHUNK_BITS)
        self.table: np.ndarray | None = None
        if (landscapes * self.chunks * n << CHUNK_BITS) > LOOKUP_LIMIT:
            return
        # weight[l, b, i]: what bit b of a code adds to component i's j (2**j if the bit is
        # the component's j-th dependency)
        reads = deps[:, None] == np.arange(self.chunks * CHUNK_BITS)[:, None, None]
        weight = (reads << np.arange(k1)).sum(axis=-1).reshape(landscapes, self.chunks, -1, n)
        terms = np.zeros((landscapes, self.chunks, 1 << CHUNK_BITS, n), dtype=np.int64)
        for b in range(CHUNK_BITS):  # the values with bit b set: those below, plus its weight
            terms[:, :, 1 << b : 2 << b] = terms[:, :, : 1 << b] + weight[:, :, b, None]
        terms[:, 0] += np.arange(n, dtype=np.int64) << k1  # i * T, T = 2 ** (K + 1)
        self.table = terms.reshape(-1, n)  # row (l * chunks + c) * 64 + v

    def __call__(self, codes, which=0) -> np.ndarray:
        codes = np.asarray(codes, dtype=np.int64)
        which = np.asarray(which, dtype=np.int64)
        if self.table is None:
            n, k1 = self.deps.shape[1:]
            index = table_indices(codes, self.deps[which])
            return index + (np.arange(n, dtype=np.int64) << k1)
        if which.ndim == 0:  # one landscape for all codes (S's index)
            which = np.full(codes.shape, which)
        elif which.shape != codes.shape:
            codes, which = np.broadcast_arrays(codes, which)
        # flattened copies: writeable and contiguous whatever came in, one compiled form
        out = _entries_of_codes(self.table, self.chunks, which.flatten(), codes.flatten())
        return out.reshape(*codes.shape, -1)


@njit(cache=True)
def code_entries(table, chunks, which, code, out):
    """:class:`EntryIndex` at one code of landscape ``which``, into ``out`` (N,): the
    terms of the code's CHUNK_BITS-bit chunks, each a row of ``table``, added up."""
    first = which * (chunks << CHUNK_BITS)
    low = (1 << CHUNK_BITS) - 1
    row = first + (code & low)
    for i in range(out.size):
        out[i] = table[row, i]
    for c in range(1, chunks):
        row = first + ((code >> (c * CHUNK_BITS)) & low) + (c << CHUNK_BITS)
        for i in range(out.size):
            out[i] += table[row, i]


@njit(cache=True)
def _entries_of_codes(table, chunks, which, codes):
    """:func:`code_entries` of each of ``codes`` (with its ``which``), as (codes, N)."""
    out = np.empty((codes.size, table.shape[1]), dtype=np.int64)
    for r in range(codes.size):
        code_entries(table, chunks, which[r], codes[r], out[r])
    return out
