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
        # the rate is counted from the first run finished on: the time before it is start-up
        # (imports, workers, compiling, the first landscape), which no later run pays again
        self._since: float | None = None
        self._counted_from = done
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
        if self._since is None:
            self._since, self._counted_from = now, self.done
        if self._last is None or now - self._last >= self.interval or self.done == self.total:
            self._last = now
            self.stream.write(self.line(now) + "\n")
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        pct = 100 * self.done / self.total if self.total else 100.0
        head = f"{self.label}: {self.done}/{self.total} ({pct:.0f}%)"
        if self.done >= self.total:
            return head
        elapsed = (now or time.monotonic()) - self._since if self._since is not None else 0.0
        new = self.done - self._counted_from
        if new <= 0 or elapsed <= 0:
            return f"{head}, time left unknown"
        rate = new / elapsed
        return f"{head}, {rate:.2f} runs/s, {(self.total - self.done) / rate:.0f}s left"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
