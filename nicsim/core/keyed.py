"""Keyed random numbers: each draw addressed by what it belongs to (docs/ODD.md, section 4).

A sequential generator hands out numbers in the order they are asked for, so a parameter
that changes how many numbers one event uses shifts every later draw of every other event:
two runs of one seed that differ in turnover soon differ in every test's noise, and common
random numbers buy little. A *keyed* stream instead computes each number from the run's
seed, the stream's name and a key naming the event (a post and a month, a test slot, ...),
with a counter-based hash. The number a key gets never depends on what else was drawn, in
what order or how often, so a change of one parameter moves only the events it touches.

Functional form. ``h = mix(... mix(mix(base ^ k1) ^ k2) ... ^ km)``, where ``base`` mixes
the seed (through ``numpy.random.SeedSequence``, as the named sequential streams) with a
64-bit hash of the stream's name (BLAKE2b), each key ``k`` is a 64-bit integer and ``mix``
is SplitMix64's output function (Steele, Lea & Flood 2014; Vigna's variant with the
increment 0x9E3779B97F4A7C15 added first, so zero is not a fixed point). ``mix`` is a
bijection of 64-bit words with full avalanche, so distinct keys under one prefix never
collide, and chains of keys collide with probability about 2**-64. Uniforms are the top
53 bits of ``h`` times 2**-53, in [0, 1). Normals are Box-Muller from the two 32-bit
halves of ``h`` (u1 in (0, 1], u2 in [0, 1)): z = sqrt(-2 ln u1) cos(2 pi u2), so
|z| <= 6.66, a tail one draw in 10^10 would pass (the same 32-bit uniforms as Philox
generators feed their Box-Muller).

Everything is vectorised numpy uint64 arithmetic (wrapping multiplication): keys are
integers or integer arrays that broadcast together. Scalar keys leading the key list (the
month, usually) are mixed once in Python, not per element.
"""

from __future__ import annotations

import hashlib

import numpy as np

_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
# constants as 0-d arrays: numpy applies them several times faster than uint64 scalars
_GAMMA64, _M1_64, _M2_64, _S30, _S27, _S31, _S11, _S32, _LOW32, _ONE = (
    np.array(c, dtype=np.uint64) for c in (_GAMMA, _M1, _M2, 30, 27, 31, 11, 32, 0xFFFFFFFF, 1)
)


def mix_int(z: int) -> int:
    """SplitMix64's output function on a Python integer (taken modulo 2**64)."""
    z = (z + _GAMMA) & _MASK
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def mix_array(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function on a uint64 array, in place (and returned)."""
    z += _GAMMA64
    t = z >> _S30
    z ^= t
    z *= _M1_64
    np.right_shift(z, _S27, out=t)
    z ^= t
    z *= _M2_64
    np.right_shift(z, _S31, out=t)
    z ^= t
    return z


def stream_base(seed: int, name: str) -> int:
    """The 64-bit word a stream's keys are hashed under: the seed and the stream's name."""
    word = int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0])
    label = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")
    return mix_int(word ^ label)


def _as_words(key) -> np.ndarray:
    """A key (integer or integer array) as uint64 words; negative integers wrap."""
    a = np.asarray(key)
    kind = a.dtype.kind
    if kind == "i":
        return a.astype(np.int64, copy=False).view(np.uint64)
    if kind in "ub":
        return a.astype(np.uint64, copy=False)
    raise TypeError(f"a key must be an integer or integer array, not {a.dtype}")


class KeyedStream:
    """Random numbers addressed by keys: ``uniform(*keys)`` is a pure function of the run's
    seed, the stream's name and the keys (see the module's docstring).

    One stream per source of randomness, its keys naming the event, e.g.
    ``KeyedStream(seed, "turnover").uniform(month, posts)``. The number of keys a stream
    is called with is part of its definition: call it always with the same key layout.
    """

    __slots__ = ("name", "base")

    def __init__(self, seed: int, name: str) -> None:
        self.name = name
        self.base = stream_base(seed, name)

    def __repr__(self) -> str:
        return f"KeyedStream({self.name!r}, base={self.base:#018x})"

    def hash(self, *keys) -> np.ndarray:
        """64-bit hash words of the keys (broadcast together), as a uint64 array."""
        h = self.base
        rest = list(keys)
        while rest and isinstance(
            rest[0], int | np.integer
        ):  # leading scalars: mixed once, in Python
            h = mix_int(h ^ (int(rest.pop(0)) & _MASK))
        if not rest:
            return np.array(h, dtype=np.uint64)
        out = np.bitwise_xor(
            _as_words(rest[0]), np.array(h, dtype=np.uint64)
        )  # a new array, broadcast
        mix_array(out)
        for key in rest[1:]:
            w = _as_words(key)
            if w.shape != out.shape:
                out = out ^ w
            else:
                out ^= w
            mix_array(out)
        return out

    def uniform(self, *keys) -> np.ndarray:
        """Uniforms in [0, 1), one per element of the broadcast keys (53-bit resolution)."""
        return (self.hash(*keys) >> _S11).astype(np.float64) * 2.0**-53

    def normal(self, *keys) -> np.ndarray:
        """Standard normals, one per element of the broadcast keys (Box-Muller)."""
        h = self.hash(*keys)
        u1 = ((h >> _S32) + _ONE).astype(np.float64) * 2.0**-32  # (0, 1]
        u2 = (h & _LOW32).astype(np.float64) * 2.0**-32  # [0, 1)
        np.log(u1, out=u1)
        u1 *= -2.0
        np.sqrt(u1, out=u1)
        u2 *= 2 * np.pi
        np.cos(u2, out=u2)
        u1 *= u2
        return u1

    def integers(self, n: int, *keys) -> np.ndarray:
        """Integers 0 to n - 1, each equally likely (to 2**-53), as scaled uniforms."""
        return (self.uniform(*keys) * n).astype(np.int64)


def keyed_streams(seed: int, names: tuple[str, ...]) -> dict[str, KeyedStream]:
    """A keyed stream for each source of randomness ``names``, all from ``seed``. A stream
    is fixed by its name alone: adding a name never changes another's numbers."""
    return {name: KeyedStream(seed, name) for name in names}
