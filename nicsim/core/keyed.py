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

Each key beyond the first thus costs four numpy operations and an add, where a full
``mix`` per key (this module's first form, ``h = mix(... mix(base ^ k1) ... ^ km)``)
cost ten; the whole hash ends in one ``f``. The key layout is part of the definition:
call a stream always with the same number and order of keys.

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

Everything is vectorised numpy uint64 arithmetic (wrapping multiplication) on the keys
broadcast together, in place once the first key is copied. Scalar keys leading the key
list (the month, usually) are joined once in Python, not per element, and each further
key is joined at the broadcast shape of the keys so far, so keys of shapes (n, 1, 1),
(s, 1) and (t,) cost n, n s and n s t element operations.
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy.special import ndtri

_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_J1 = 0xFF51AFD7ED558CCD  # fmix64's multipliers (MurmurHash3), for g
_J2 = 0xC4CEB9FE1A85EC53
# constants as 0-d arrays: numpy applies them faster than uint64 scalars or Python ints
_GAMMA64, _M1_64, _M2_64, _J1_64, _J2_64, _S30, _S27, _S31, _S33, _S11, _S12 = (
    np.array(c, dtype=np.uint64) for c in (_GAMMA, _M1, _M2, _J1, _J2, 30, 27, 31, 33, 11, 12)
)
_ONE_ODD = np.array(0x3FF0000000000001, dtype=np.uint64)  # 1.0's bits, and the last bit
_ONE, _ULP53 = np.array(1.0), np.array(2.0**-53)  # as arrays: no conversion per call
_U64, _I64 = np.dtype(np.uint64), np.dtype(np.int64)
# ufuncs called with a positional ``out``: on arrays of a few hundred elements, faster
# than in-place operators (z ^= t) or ``out=`` by keyword
_add, _sub, _mul, _xor, _or, _rshift = (
    np.add,
    np.subtract,
    np.multiply,
    np.bitwise_xor,
    np.bitwise_or,
    np.right_shift,
)


def _fmix_int(z: int) -> int:
    """SplitMix64's output function after its increment (``f``), on an integer < 2**64."""
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def mix_int(z: int) -> int:
    """SplitMix64's output function on a Python integer (taken modulo 2**64)."""
    return _fmix_int((z + _GAMMA) & _MASK)


def _fmix(z: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
    """``f`` in place on a uint64 array z (t: scratch of z's shape, or None)."""
    t = _rshift(z, _S30) if t is None or t.shape != z.shape else _rshift(z, _S30, t)
    _xor(z, t, z)
    _mul(z, _M1_64, z)
    _xor(z, _rshift(z, _S27, t), z)
    _mul(z, _M2_64, z)
    _xor(z, _rshift(z, _S31, t), z)
    return z


def mix_array(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function on a uint64 array, in place (and returned)."""
    z += _GAMMA64
    return _fmix(z)


def _join_int(x: int) -> int:
    """``g``, the step between two keys, on a Python integer in [0, 2**64)."""
    x = (x * _J1) & _MASK
    return ((x ^ (x >> 33)) * _J2) & _MASK


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

    def hash(self, *keys) -> np.ndarray:
        """64-bit hash words of the keys (broadcast together), as a new uint64 array (0-d
        if every key is a scalar), which the draws below convert in place."""
        w = self.start
        last = len(keys) - 1
        for i, key in enumerate(keys):  # leading scalars: joined once, in Python
            if type(key) is np.ndarray and key.ndim:
                break
            k = _scalar(key)
            if k is None:
                break
            if i == last:
                return np.array(_fmix_int((w + k) & _MASK), dtype=np.uint64)
            w = _join_int((w + k) & _MASK)
        else:
            return np.array(self.base, dtype=np.uint64)  # no keys: the stream's base
        key = keys[i]
        k = key.view(np.uint64) if type(key) is np.ndarray and key.dtype == _I64 else None
        z = np.add(_as_words(key) if k is None else k, w)  # a new array: then in place
        if i == last:
            return _fmix(z)
        t = None
        for key in keys[i + 1 :]:
            _mul(z, _J1_64, z)  # g, at the broadcast shape of the keys so far
            t = _rshift(z, _S33) if t is None or t.shape != z.shape else _rshift(z, _S33, t)
            _xor(z, t, z)
            _mul(z, _J2_64, z)
            if type(key) is np.ndarray and key.ndim:
                k = key.view(np.uint64) if key.dtype == _I64 else _as_words(key)
            else:
                k = _scalar(key)
                if k is None:
                    k = _as_words(key)
            if type(k) is int or k.shape == z.shape:
                _add(z, k, z)
            else:  # broadcast: a new array, of the shape of both
                z = _add(z, k)
        return _fmix(z, t)

    def uniform(self, *keys) -> np.ndarray:
        """Uniforms in [0, 1), one per element of the broadcast keys (53-bit resolution)."""
        h = self.hash(*keys)
        _rshift(h, _S11, h)
        u = h.view(np.int64).astype(np.float64)  # exact: h < 2**53
        _mul(u, _ULP53, u)
        return u if u.ndim else u[()]

    def normal(self, *keys) -> np.ndarray:
        """Standard normals, one per element of the broadcast keys (inverse normal CDF)."""
        h = self.hash(*keys)
        _rshift(h, _S12, h)
        _or(h, _ONE_ODD, h)  # the float 1 + (2 j + 1) 2**-52, j the top 51 bits of the hash
        u = h.view(np.float64)
        _sub(u, _ONE, u)  # (2 j + 1) 2**-52, exact: in (0, 1), symmetric about 1/2
        ndtri(u, u)
        return u if u.ndim else u[()]

    def integers(self, n: int, *keys) -> np.ndarray:
        """Integers 0 to n - 1, each equally likely (to n * 2**-53): ``floor(uniform * n)``
        (one rounding either way: n * 2**-53 is exact, so this is uniform's product)."""
        h = self.hash(*keys)
        _rshift(h, _S11, h)
        u = h.view(np.int64).astype(np.float64)
        x = _mul(u, n * 2.0**-53, u).astype(np.int64)
        return x if x.ndim else x[()]


def keyed_streams(seed: int, names: tuple[str, ...], salt: int = 0) -> dict[str, KeyedStream]:
    """A keyed stream for each source of randomness ``names``, all from ``seed``. A stream
    is fixed by its name alone: adding a name never changes another's numbers. A nonzero
    ``salt`` gives every stream other numbers (its name is ``name/salt``): another
    realisation of the same events."""
    return {name: KeyedStream(seed, f"{name}/{salt}" if salt else name) for name in names}
