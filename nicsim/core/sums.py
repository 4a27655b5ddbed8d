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
    halves' sums added. Walked with a stack of tasks, not by recursion, which numba's cache
    cannot hold: a range becomes "its left half, its right half, add the two", so sums
    pile up left before right and each "add" takes the top two."""
    if hi - lo <= 128:  # the usual case: no stack
        return _block_sum(x, lo, hi)
    ranges = np.empty((130, 2), np.int64)  # 2 per level of halving and one: up to 2**64 terms
    sums = np.empty(65)
    ranges[0, 0], ranges[0, 1] = lo, hi
    tasks, sums_left = 1, 0
    while tasks:
        tasks -= 1
        start, end = ranges[tasks, 0], ranges[tasks, 1]
        if start < 0:  # "add the two"
            sums[sums_left - 2] += sums[sums_left - 1]
            sums_left -= 1
        elif end - start <= 128:
            sums[sums_left] = _block_sum(x, start, end)
            sums_left += 1
        else:
            half = (end - start) // 2
            half -= half % 8
            ranges[tasks, 0] = -1  # done last: add the halves
            ranges[tasks + 1, 0], ranges[tasks + 1, 1] = start + half, end  # the right second
            ranges[tasks + 2, 0], ranges[tasks + 2, 1] = start, start + half  # the left first
            tasks += 3
    return sums[0]


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
