"""The C library's exp, log and power, element by element: the same numbers on every CPU.

numpy computes float64 ``exp``, ``log`` and ``power`` with its own AVX-512 code on CPUs
that have AVX-512, and with the C library's functions (``exp``, ``log``, ``pow`` of libm)
on CPUs that do not. Both are accurate to about an ulp, but they are not the same
function: measured on one AMD EPYC with AVX-512, numpy 2.4, 300,000 random arguments each,
numpy and libm differ in the last bit for 0.25% of logarithms, 4.6% of exponentials and
5% of powers (integer-valued exponents included). A run whose numbers pass through one of
these therefore gave other outputs on a machine with AVX-512 than on one without: the
reported knowledge lost with a leaver in some months, and, through the landscape, whole
runs on Mason & Watts' landscapes. The model uses these functions instead, which call the
C library on every CPU, as numpy does without AVX-512 (so results made on such machines
stand).

Compiled by numba as ufuncs (numba lowers ``math.log``, ``math.exp`` and ``**`` on floats
to calls of the C library's functions; ``tests/test_libm.py`` checks them against Python's
``math`` element by element). Where numba would vectorise loops with Intel's SVML (its
``icc_rt`` package installed), whose functions are other approximations again, the same
functions are called from Python one element at a time instead: slower, the same numbers.
"""

from __future__ import annotations

import math

import numpy as np
from numba import config, float64, vectorize

__all__ = ["exp", "log", "power"]


def _from_python(f, inputs: int):
    """``f`` of Python's ``math`` (the C library's) over float64 arrays, element by element."""
    call = np.frompyfunc(f, inputs, 1)

    def elementwise(*args):
        return np.asarray(call(*args), dtype=np.float64)

    return elementwise


if config.USING_SVML:  # pragma: no cover - needs Intel's icc_rt beside numba
    log = _from_python(math.log, 1)
    exp = _from_python(math.exp, 1)
    power = _from_python(math.pow, 2)
else:

    @vectorize([float64(float64)], cache=True)
    def log(x):
        """The natural logarithm, the C library's ``log``."""
        return math.log(x)

    @vectorize([float64(float64)], cache=True)
    def exp(x):
        """e to the ``x``, the C library's ``exp``."""
        return math.exp(x)

    @vectorize([float64(float64, float64)], cache=True)
    def power(x, y):
        """``x`` to the ``y``, the C library's ``pow``."""
        return x**y
