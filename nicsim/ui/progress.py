"""Progress reporting: a bar on a terminal, plain periodic lines in logs and CI."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts finished runs; shows rate and time left without flooding a log file."""

    def __init__(
        self,
        total: int,
        done: int = 0,
        label: str = "runs",
        stream: TextIO | None = None,
        interval: float = 10.0,
    ) -> None:
        self.total, self.done, self.label = total, done, label
        self.stream = stream or sys.stderr
        self.interval = interval
        self.start = time.monotonic()
        self.first = done
        self.bar = None
        self._last: float | None = None  # the first update always prints
        if self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                initial=done,
                unit="run",
                desc=label,
                file=self.stream,
                dynamic_ncols=True,
            )

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.monotonic()
        if self._last is None or now - self._last >= self.interval or self.done == self.total:
            self._last = now
            self.stream.write(self.line(now) + "\n")
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        elapsed = (now or time.monotonic()) - self.start
        new = self.done - self.first
        rate = new / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        pct = 100 * self.done / self.total if self.total else 100.0
        eta = f"{left:.0f}s left" if left == left else "time left unknown"
        return f"{self.label}: {self.done}/{self.total} ({pct:.0f}%), {rate:.2f} runs/s, {eta}"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
