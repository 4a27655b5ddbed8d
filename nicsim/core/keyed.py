"""Keyed random numbers: each draw addressed by what it belongs to (docs/ODD.md, section 4).

A sequential generator hands out numbers in the order they are asked for, so a parameter
that changes how many numbers one event uses shifts every later draw of every other event:
two runs of one seed that differ in turnover soon differ in every test's noise, and common
random numbers buy little. A *keyed* stream instead computes each number from the run's
seed, the stream's name and a key naming the event (a post and a month, a test slot, ...),
with a counter-based hash. The number a key gets never depends on what else was drawn, in
what order or how often, so a change of one parameter moves only the events it touches.

Functional form. Keys ``k1, ..., km`` are 64-bit words (integers modulo 2**64: negative
ones wrap, bools are 0 and 1) and all arithmetic is modulo 2**64::

    w0 = base + gamma
    wi = g(w(i-1) + ki)        for i = 1, ..., m - 1
    h  = f(w(m-1) + km)        (no keys: h = base)

``base`` mixes the seed (through ``numpy.random.SeedSequence``, as the named sequential
streams) with a 64-bit hash of the stream's name (BLAKE2b). ``f`` is SplitMix64's output
function after its increment ``gamma`` = 0x9E3779B97F4A7C15 (xorshift 30, multiply,
xorshift 27, multiply, xorshift 31; Steele, Lea & Flood 2014, constants of Vigna's
splitmix64.c), so ``mix(x) = f(x + gamma)`` is SplitMix64's whole output function and a
single key gives ``h = mix(base + k)``; ``gamma`` is added once, to ``w0``. ``g`` joins
one key to the next with the middle of MurmurHash3's 64-bit finaliser (Appleby 2011)::

    g(x) = (y ^ (y >> 33)) * 0xC4CEB9FE1A85EC53,   y = x * 0xFF51AFD7ED558CCD

Each key beyond the first thus costs two multiplies, a shift, a xor and an add, where a
full ``mix`` per key (this module's first form, ``h = mix(... mix(base ^ k1) ... ^ km)``)
cost ten operations; the whole hash ends in one ``f``. The key layout is part of the
definition: call a stream always with the same number and order of keys.

Collisions and independence. (1) Every step is a bijection of the running word (adding
a key, multiplying by an odd number, a xorshift), so for fixed other keys ``h`` is a
bijection of any one key: tuples that differ in one key never share ``h``. (2) Tuples
that differ in several keys share ``h`` only if, at the last key ``kj`` where they
differ, ``w(j-1) - w'(j-1) = kj' - kj``: two outputs of ``g`` must differ by exactly what
the keys differ by. The first multiply of ``g`` carries an input difference upward, the
xorshift folds the upper half (where a difference in a key's top bits stays) down, and
the second multiply carries that up again, so any difference leaves ``g`` spread over
thirty bits or more, in a pattern that depends on the running word (through carries).
Keys that are indices, counts or bit masks, whose tuples differ by small steps or a few
bits, therefore do not collide (the tests hash every tuple within two bit flips or two
small steps of a few 2- to 5-key tuples, up to 52,000 each, and find no collision),
and other keys collide about as often as under a random 64-bit function, (range of the
last differing key) / 2**64 per pair. A linear join, ``wi = w(i-1) * C + ki`` (or
``^ ki``), would save three operations a key but collides systematically: a multiply
never moves a difference down, so (a + 2**63, b + 2**63) and (a, b) always collide, as
do tuples differing by any short vector of the lattice ``sum di C**(m-i) = 0``, and an
idea's masks, keys of the sharing stream, reach bit 61. One multiply and one xorshift a
key still collide for keys differing in two bits. (3) Distinct words come out through
``f``, a full-avalanche bijection: each input bit flips each output bit with probability
close to 1/2, so events at neighbouring keys (post p and p + 1, month m and m + 1, keys (a, b)
and (b, a)) and streams of different names give independent-looking numbers (tests: bin
counts, moments, correlations, avalanche).

Draws. Uniforms are the top 53 bits of ``h`` times 2**-53, in [0, 1). ``integers(n)``
is ``floor(uniform * n)``, each value equally likely to within n * 2**-53. Normals are
the inverse normal CDF (``scipy.special.ndtri``, Cephes) of ``(2 j + 1) * 2**-52``, ``j``
the top 51 bits of ``h``: in (0, 1) and symmetric about 1/2, one normal per hash (no
Box-Muller pairs, no logarithm and cosine), and bounded: ``|z| <= 8.13``.

The draws are numpy ufuncs compiled by numba (``numba.vectorize``): ``_join`` adds a key
to the running word and applies ``g``, ``_uniform``, ``_normal_u`` and ``_integers`` add the
last key, apply ``f`` and turn the hash into a draw, all element by element, so numpy
broadcasts the keys and a draw of m array keys is m ufunc calls with no temporaries beyond
the running word. Scalar keys leading the key list (the month, usually) are joined once in
Python, not per element. This module did the same arithmetic with numpy's uint64
operations before (five to eleven calls a key, each with its pass over memory): the same
numbers to the bit, in about 0.6 of the time at a month's sizes (``benchmarks/keyed.py``).
"""

from __future__ import annotations

import hashlib

import numpy as np
from numba import float64, int64, njit, uint64, vectorize
from scipy.special import ndtri

_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_J1 = 0xFF51AFD7ED558CCD  # fmix64's multipliers (MurmurHash3), for g
_J2 = 0xC4CEB9FE1A85EC53
# the same as uint64 scalars, which numba compiles in as constants: every operand of the
# compiled arithmetic is a uint64, so nothing is promoted to a float on the way
_M1_64, _M2_64, _J1_64, _J2_64 = (np.uint64(c) for c in (_M1, _M2, _J1, _J2))
_1, _11, _13, _27, _30, _31, _33 = (np.uint64(c) for c in (1, 11, 13, 27, 30, 31, 33))
_U64, _I64 = np.dtype(np.uint64), np.dtype(np.int64)


def _fmix_int(z: int) -> int:
    """SplitMix64's output function after its increment (``f``), on an integer < 2**64."""
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def mix_int(z: int) -> int:
    """SplitMix64's output function on a Python integer (taken modulo 2**64)."""
    return _fmix_int((z + _GAMMA) & _MASK)


def _join_int(x: int) -> int:
    """``g``, the step between two keys, on a Python integer in [0, 2**64)."""
    x = (x * _J1) & _MASK
    return ((x ^ (x >> 33)) * _J2) & _MASK


# -- the same functions compiled, element by element (uint64 arithmetic wraps) -------------
@njit(inline="always")
def _f(z):
    z = (z ^ (z >> _30)) * _M1_64
    z = (z ^ (z >> _27)) * _M2_64
    return z ^ (z >> _31)


@njit(inline="always")
def _g(x):
    x = x * _J1_64
    return (x ^ (x >> _33)) * _J2_64


@vectorize([uint64(uint64, uint64)], cache=True)
def _join(w, k):
    """The running word ``w`` with one more key ``k`` joined: g(w + k)."""
    return _g(w + k)


@vectorize([uint64(uint64, uint64)], cache=True)
def _hash(w, k):
    """The hash, given the word before the last key: f(w + k)."""
    return _f(w + k)


@vectorize([float64(uint64, uint64)], cache=True)
def _uniform(w, k):
    """The top 53 bits of the hash f(w + k) times 2**-53."""
    return float64(_f(w + k) >> _11) * 2.0**-53


@vectorize([int64(uint64, uint64, float64)], cache=True)
def _integers(w, k, scale):
    """floor(uniform * n), ``scale`` = n * 2**-53: one rounding, as in ``uniform * n``."""
    return int64(float64(_f(w + k) >> _11) * scale)


@vectorize([float64(uint64, uint64)], cache=True)
def _normal_u(w, k):
    """(2 j + 1) * 2**-52, j the top 51 bits of the hash f(w + k): the point in (0, 1)
    whose inverse normal CDF is the draw."""
    return float64((_f(w + k) >> _13 << _1) | _1) * 2.0**-52


def mix_array(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function on a uint64 array, in place (and returned)."""
    return _hash(z, np.uint64(_GAMMA), z)


def stream_base(seed: int, name: str) -> int:
    """The 64-bit word a stream's keys are hashed under: the seed and the stream's name."""
    word = int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0])
    label = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")
    return mix_int(word ^ label)


def _scalar(key) -> int | None:
    """A scalar key as an integer in [0, 2**64), or None for an array of one or more
    dimensions. Negative integers wrap; a 0-d array counts as a scalar."""
    if isinstance(key, int | np.integer | np.bool_):
        return int(key) & _MASK
    a = np.asarray(key)
    if a.ndim:
        return None
    if a.dtype.kind not in "iub":
        raise TypeError(f"a key must be an integer or integer array, not {a.dtype}")
    return int(a) & _MASK


def _as_words(key) -> np.ndarray:
    """An array key as uint64 words (a view where it can be); negative integers wrap."""
    a = np.asarray(key)
    dtype = a.dtype
    if dtype == _I64:
        return a.view(np.uint64)
    if dtype == _U64:
        return a
    kind = dtype.kind
    if kind == "i":
        return a.astype(np.int64).view(np.uint64)
    if kind in "ub":
        return a.astype(np.uint64)
    raise TypeError(f"a key must be an integer or integer array, not {dtype}")


def _word(key) -> np.ndarray | np.uint64:
    """A key as the compiled functions take it: uint64 words, or one uint64 for a scalar."""
    if type(key) is np.ndarray and key.ndim:
        return key.view(np.uint64) if key.dtype == _I64 else _as_words(key)
    k = _scalar(key)
    return _as_words(key) if k is None else np.uint64(k)


class KeyedStream:
    """Random numbers addressed by keys: ``uniform(*keys)`` is a pure function of the run's
    seed, the stream's name and the keys (see the module's docstring).

    One stream per source of randomness, its keys naming the event, e.g.
    ``KeyedStream(seed, "turnover").uniform(month, posts)``. The number of keys a stream
    is called with is part of its definition: call it always with the same key layout.
    """

    __slots__ = ("name", "base", "start")

    def __init__(self, seed: int, name: str) -> None:
        self.name = name
        self.base = stream_base(seed, name)
        self.start = (self.base + _GAMMA) & _MASK  # w0: mix's increment, added once

    def __repr__(self) -> str:
        return f"KeyedStream({self.name!r}, base={self.base:#018x})"

    def _joined(self, keys: tuple) -> tuple[np.ndarray | np.uint64, np.ndarray | np.uint64]:
        """The running word after every key but the last, and the last key: a draw is
        then a function of f(w + k). Leading scalar keys are joined once, in Python; from
        the first array key on, element by element at the keys' broadcast shape."""
        if not keys:
            raise TypeError(f"a draw of keyed stream {self.name!r} needs at least one key")
        w, last = self.start, len(keys) - 1
        for i, key in enumerate(keys):
            k = None if type(key) is np.ndarray and key.ndim else _scalar(key)
            if k is None:
                break
            if i == last:
                return np.uint64(w), np.uint64(k)
            w = _join_int((w + k) & _MASK)
        w = np.uint64(w)
        for key in keys[i:last]:
            w = _join(w, _word(key))
        return w, _word(keys[last])

    def hash(self, *keys) -> np.ndarray:
        """64-bit hash words of the keys (broadcast together), as a new uint64 array (0-d
        if every key is a scalar); with no keys, the stream's base."""
        if not keys:
            return np.array(self.base, dtype=np.uint64)
        return np.asarray(_hash(*self._joined(keys)))

    def uniform(self, *keys) -> np.ndarray:
        """Uniforms in [0, 1), one per element of the broadcast keys (53-bit resolution)."""
        return _uniform(*self._joined(keys))

    def normal(self, *keys) -> np.ndarray:
        """Standard normals, one per element of the broadcast keys (inverse normal CDF)."""
        u = _normal_u(*self._joined(keys))
        return ndtri(u, u) if type(u) is np.ndarray else ndtri(u)

    def integers(self, n: int, *keys) -> np.ndarray:
        """Integers 0 to n - 1, each equally likely (to n * 2**-53): ``floor(uniform * n)``
        (one rounding either way: n * 2**-53 is exact, so this is uniform's product)."""
        return _integers(*self._joined(keys), n * 2.0**-53)


def keyed_streams(seed: int, names: tuple[str, ...], salt: int = 0) -> dict[str, KeyedStream]:
    """A keyed stream for each source of randomness ``names``, all from ``seed``. A stream
    is fixed by its name alone: adding a name never changes another's numbers. A nonzero
    ``salt`` gives every stream other numbers (its name is ``name/salt``): another
    realisation of the same events."""
    return {name: KeyedStream(seed, f"{name}/{salt}" if salt else name) for name in names}
