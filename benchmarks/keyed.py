"""Keyed draws (nicsim.core.keyed) against numpy's sequential generator, at a month's sizes.

    python3 benchmarks/keyed.py

Prints, for each size, the time of a keyed draw and of ``rng.random`` /
``rng.standard_normal`` / ``rng.integers`` of the same size, and their ratio. Sizes: 99
(a default month's tests or posts), 396 (its local-variation draws), 10,000 (a large
NIC). The draws are called as the model calls them: ``uniform(month, posts)`` (turnover),
``normal(month, posts, slots)`` (noise), ``integers(n, month, districts[:, None, None],
slots[:, None], tries)`` (local variations: keys that broadcast) and ``uniform(month, a,
b, c, d)`` (sharing: four keys of one shape). Each time is the median of 7 repeats,
keyed and sequential timed in turn, so a busy machine slows both. Not a timed test: the
development machine's speed varies, so read the ratios.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

# this tree's nicsim rather than whichever is installed: `python OTHER/benchmarks/keyed.py`
# measures OTHER
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nicsim.core.keyed import KeyedStream


def time_us(f, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        f()
    return (time.perf_counter() - start) / number * 1e6


def median_us(keyed, seq, repeat: int = 7, number: int = 500) -> tuple[float, float]:
    """Median times of ``keyed`` and ``seq``, each repeat timing one then the other."""
    a, b = [], []
    for _ in range(repeat):
        a.append(time_us(keyed, number))
        b.append(time_us(seq, number))
    return statistics.median(a), statistics.median(b)


def main() -> None:
    rng = np.random.default_rng(1)
    s = KeyedStream(1, "bench")
    print(f"{'size':>6} {'draw':<9} {'keys':<14} {'keyed us':>9} {'rng us':>8} {'ratio':>6}")
    for n in (99, 396, 10_000):
        posts, slots = np.arange(n), np.arange(n) % 1
        # local variations: (district, slot, try) of shape (n // 12, 3, 4), about n draws
        grid = (np.arange(n // 12)[:, None, None], np.arange(3)[:, None], np.arange(4))
        a, b, c, d = posts, posts % 7, posts % 5, posts % 11
        cases = (
            ("uniform", "(m, p)", lambda p=posts: s.uniform(7, p), lambda n=n: rng.random(n)),
            (
                "normal",
                "(m, p, slot)",
                lambda p=posts, q=slots: s.normal(7, p, q),
                lambda n=n: rng.standard_normal(n),
            ),
            (
                "integers",
                "(m, d, slot, t)",
                lambda g=grid: s.integers(12, 7, *g),
                lambda n=n: rng.integers(0, 12, n // 12 * 12),
            ),
            (
                "uniform",
                "(m, a, b, c, d)",
                lambda a=a, b=b, c=c, d=d: s.uniform(7, a, b, c, d),
                lambda n=n: rng.random(n),
            ),
        )
        number = 500 if n < 1000 else 100
        for name, keys, keyed, seq in cases:
            k, r = median_us(keyed, seq, number=number)
            print(f"{n:>6} {name:<9} {keys:<14} {k:>9.1f} {r:>8.1f} {k / r:>6.1f}")


if __name__ == "__main__":
    main()
