"""Run a sweep through a real `dask scheduler` and `dask worker` on loopback, and check that
its runs.csv equals the serial one. This is what a cluster user does, on one machine.

    python3 benchmarks/dask_loopback.py                       # a small sweep, 2 workers
    python3 benchmarks/dask_loopback.py --sweep experiments/siloed_vs_networked/sweep.toml
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DASK = str(Path(sys.executable).with_name("dask"))  # the `dask` command of this environment


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nicsim(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "nicsim.ui.cli", *args], check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", default=str(ROOT / "experiments/siloed_vs_networked/sweep.toml"))
    ap.add_argument("--replications", default="10")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen(
        [
            DASK,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            ":0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [
            DASK,
            "worker",
            address,
            "--nworkers",
            str(args.workers),
            "--nthreads",
            "1",
            "--no-dashboard",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            common = ["sweep", args.sweep, "--replications", args.replications]
            t_dask = nicsim(*common, "--scheduler", address, "--out", f"{tmp}/dask")
            t_serial = nicsim(*common, "--workers", "1", "--out", f"{tmp}/serial")
            a = pd.read_csv(f"{tmp}/dask/runs.csv").sort_values("run_id", ignore_index=True)
            b = pd.read_csv(f"{tmp}/serial/runs.csv").sort_values("run_id", ignore_index=True)
            same = a.equals(b)
            print(
                f"{len(a)} runs via {address}: {t_dask:.1f} s; serial: {t_serial:.1f} s; "
                f"speed-up {t_serial / t_dask:.2f} x"
            )
            print("runs.csv identical to the serial sweep:", same)
            if not same:
                raise SystemExit(1)
    finally:
        worker.terminate()
        scheduler.terminate()
        worker.wait(30)
        scheduler.wait(30)


if __name__ == "__main__":
    main()
