"""Sums in numpy's order, for loops compiled by numba.

numpy adds a float array's ``add.reduce`` (``sum``, ``mean``) pairwise: 0.0 plus a sum in
eight accumulators over a block of up to 128 terms, a longer range halved (rounded down to
a multiple of 8) and the halves' sums added. A plain loop adds in another order, whose
result differs in the last bits, and those bits change a model's outputs. :func:`numpy_sum`
adds in numpy's order, so a loop compiled with numba gives numpy's numbers to the bit
(``tests/test_beliefs.py`` checks it against ``np.add.reduce``).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def numpy_sum(x):
    """``np.add.reduce(x)`` for a 1-d float array, to the bit (see the module docstring)."""
    return 0.0 + _pairwise(x, 0, x.size)


@njit(cache=True)
def _pairwise(x, lo, hi):
    """numpy's pairwise sum of x[lo:hi]: a block of up to 128 summed directly, a longer
    range split where numpy splits it (half, rounded down to a multiple of 8) and the
    halves' sums added. Walked with a stack, not by recursion, which numba's cache cannot
    hold."""
    if hi - lo <= 128:
        return _block_sum(x, lo, hi)
    # frames of the ranges still open (64: ranges of up to 2**64 terms), a range's left
    # half summed first, then its right
    starts, ends, lefts = np.empty(64, np.int64), np.empty(64, np.int64), np.empty(64)
    done_left = np.zeros(64, np.bool_)
    top, starts[0], ends[0] = 0, lo, hi
    while True:
        start, end = starts[top], ends[top]
        half = (end - start) // 2
        half -= half % 8
        if end - start <= 128:  # a block: its sum goes to the ranges above it
            value = _block_sum(x, start, end)
            top -= 1
            while top >= 0 and done_left[top]:  # right halves done: close their ranges
                value = lefts[top] + value
                top -= 1
            if top < 0:
                return value
            lefts[top], done_left[top] = value, True  # a left half done: its right next
            start, end = starts[top], ends[top]
            half = (end - start) // 2
            half -= half % 8
            top += 1
            starts[top], ends[top], done_left[top] = start + half, end, False
        else:  # open the left half
            top += 1
            starts[top], ends[top], done_left[top] = start, start + half, False


@njit(cache=True, inline="always")
def _block_sum(x, lo, hi):
    """numpy's sum of a block of up to 128 terms: in order below 8, else 8 accumulators."""
    n = hi - lo
    if n < 8:
        total = 0.0
        for i in range(lo, hi):
            total += x[i]
        return total
    r0, r1, r2, r3 = x[lo], x[lo + 1], x[lo + 2], x[lo + 3]
    r4, r5, r6, r7 = x[lo + 4], x[lo + 5], x[lo + 6], x[lo + 7]
    i = lo + 8
    while i < hi - n % 8:
        r0 += x[i]
        r1 += x[i + 1]
        r2 += x[i + 2]
        r3 += x[i + 3]
        r4 += x[i + 4]
        r5 += x[i + 5]
        r6 += x[i + 6]
        r7 += x[i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < hi:
        total += x[i]
        i += 1
    return total
