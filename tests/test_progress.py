"""Progress: plain periodic lines when not on a terminal (CI, logs)."""

import io

from nicsim.ui.progress import Progress


def test_plain_lines_with_done_rate_and_time_left(monkeypatch):
    """The rate counts from the first run finished: 100 s of start-up, then a run every
    10 s, is 0.1 runs/s, and 6 runs left take 60 s (counted from the start, 200 s)."""
    clock = iter([100.0, 110.0, 130.0])
    monkeypatch.setattr("nicsim.ui.progress.time.monotonic", lambda: next(clock))
    stream = io.StringIO()
    progress = Progress(10, done=2, label="sweep", stream=stream, interval=0.0)
    progress.update()  # at 100 s: start-up is over, no rate yet
    progress.update()  # at 110 s
    progress.update(6)  # at 130 s: all done
    lines = stream.getvalue().splitlines()
    assert lines == [
        "sweep: 3/10 (30%), time left unknown",
        "sweep: 4/10 (40%), 0.10 runs/s, 60s left",
        "sweep: 10/10 (100%)",
    ]


def test_lines_are_rate_limited():
    stream = io.StringIO()
    progress = Progress(100, stream=stream, interval=3600.0)
    for _ in range(50):
        progress.update()
    assert len(stream.getvalue().splitlines()) == 1  # the first; the next waits an hour
    progress.update(50)
    assert stream.getvalue().splitlines()[-1].startswith("runs: 100/100")
