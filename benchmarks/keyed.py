"""Keyed draws (nicsim.core.keyed) against numpy's sequential generator, at a month's sizes.

    python3 benchmarks/keyed.py

Prints, for each size, the median time of a keyed draw and of ``rng.random`` /
``rng.standard_normal`` of the same size, and their ratio. Sizes: 99 (a default month's
tests or posts), 396 (its local-variation draws), 10,000 (a large NIC). Not a timed test:
the development machine's speed varies, so read the ratios.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from nicsim.core.keyed import KeyedStream


def median_us(f, repeat: int = 7, number: int = 500) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            f()
        times.append((time.perf_counter() - start) / number * 1e6)
    return statistics.median(times)


def main() -> None:
    rng = np.random.default_rng(1)
    s = KeyedStream(1, "bench")
    print(f"{'size':>6} {'draw':<8} {'keyed us':>9} {'rng us':>8} {'ratio':>6}")
    for n in (99, 396, 10_000):
        posts, slots = np.arange(n), np.arange(n) % 1
        cases = (
            ("uniform", lambda p=posts: s.uniform(7, p), lambda n=n: rng.random(n)),
            (
                "normal",
                lambda p=posts, q=slots: s.normal(7, p, q),
                lambda n=n: rng.standard_normal(n),
            ),
        )
        for name, keyed, seq in cases:
            a, b = median_us(keyed), median_us(seq)
            print(f"{n:>6} {name:<8} {a:>9.1f} {b:>8.1f} {a / b:>6.1f}")


if __name__ == "__main__":
    main()
