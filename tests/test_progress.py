"""Progress: plain periodic lines when not on a terminal (CI, logs)."""

import io

from nicsim.ui.progress import Progress


def test_plain_lines_with_done_rate_and_time_left():
    stream = io.StringIO()
    progress = Progress(10, done=2, label="sweep", stream=stream, interval=0.0)
    progress.update()
    progress.update(7)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("sweep: 3/10 (30%)") and "runs/s" in lines[0]
    assert "left" in lines[0]
    assert lines[-1].startswith("sweep: 10/10 (100%)")


def test_lines_are_rate_limited():
    stream = io.StringIO()
    progress = Progress(100, stream=stream, interval=3600.0)
    for _ in range(50):
        progress.update()
    assert len(stream.getvalue().splitlines()) == 1  # the first; the next waits an hour
    progress.update(50)
    assert stream.getvalue().splitlines()[-1].startswith("runs: 100/100")
