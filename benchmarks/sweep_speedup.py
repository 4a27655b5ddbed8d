"""Speed-up of 2 workers over 1, and peak memory, on a 1,000-run sweep.

Runs ``nicsim sweep`` as a user would (a subprocess each), so process start-up, the store
and the final tables are all in the measurement. Prints medians over --repeat runs and
the ratio; peak memory is the largest resident set of the command or any of its workers.
Memory should stay flat as a sweep grows: compare the peak of a sweep 10 times smaller.

    python3 benchmarks/sweep_speedup.py                 # 1,000 runs, default model
    python3 benchmarks/sweep_speedup.py --runs 200 --repeat 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sweep_file(folder: Path, runs: int, steps: int) -> Path:
    designs = ["siloed", "hub", "networked", "complete"]
    reps = max(1, runs // len(designs))
    path = folder / "bench.toml"
    path.write_text(
        f'base = "{ROOT / "configs/default.toml"}"\nreplications = {reps}\nseed = 1\n'
        f"[params]\nsteps = {steps}\n[grid]\ndesign = {designs!r}\n".replace("'", '"')
    )
    return path


def measure(sweep: Path, out: Path, workers: int) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one sweep in a fresh process tree."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [
        sys.executable,
        "-c",
        "import resource, sys; from nicsim.cli import main; code = main(sys.argv[1:]); "
        "print(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), file=sys.stderr); "
        "sys.exit(code)",
        "sweep",
        str(sweep),
        "--workers",
        str(workers),
        "--out",
        str(out),
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    return wall, peak_kib / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=36)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = sweep_file(tmp, args.runs, args.steps)
        results: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        for _ in range(args.repeat):
            for workers in (1, 2):
                results[workers].append(measure(big, tmp / f"w{workers}", workers))
        small_dir = tmp / "small"
        small_dir.mkdir()
        small = sweep_file(small_dir, max(4, args.runs // 10), args.steps)
        small_peak = measure(small, tmp / "small-out", 2)[1]
    t1 = statistics.median(w for w, _ in results[1])
    t2 = statistics.median(w for w, _ in results[2])
    m2 = max(m for _, m in results[2])
    print(f"sweep of {args.runs} runs x {args.steps} steps, median of {args.repeat}:")
    print(f"  1 worker : {t1:8.1f} s  ({args.runs / t1:6.1f} runs/s)")
    print(f"  2 workers: {t2:8.1f} s  ({args.runs / t2:6.1f} runs/s)")
    print(f"  speed-up : {t1 / t2:8.2f} x")
    print(
        f"  peak memory, 2 workers: {m2:.0f} MiB for {args.runs} runs, "
        f"{small_peak:.0f} MiB for {max(4, args.runs // 10)} runs "
        f"(ratio {m2 / small_peak:.2f})"
    )


if __name__ == "__main__":
    main()
