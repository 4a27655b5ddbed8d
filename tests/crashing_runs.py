"""Runs for the tests of local worker processes that end their worker, as a crash in native
code or the kernel's out-of-memory killer would. A module of their own, because each worker
imports it: it imports little, so that a new pool starts fast."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pandas as pd

from nicsim.lab.evaluators import RunResult
from nicsim.lab.plans import RunSpec


def quick(spec: RunSpec) -> RunResult:
    """A stand-in for a model run: its result is a function of its spec alone."""
    series = pd.DataFrame({"step": [0, 1], "value": [spec.seed, 2 * spec.seed]})
    return RunResult(spec.run_id, {"run_id": spec.run_id, "seed": spec.seed}, series)


def killed_once(spec: RunSpec, run_id: int, marker: Path) -> RunResult:
    """Run ``run_id`` SIGKILLs its worker the first time (``marker`` remembers it)."""
    if spec.run_id == run_id and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return quick(spec)


def always_killed(spec: RunSpec, run_id: int) -> RunResult:
    """Run ``run_id`` SIGKILLs its worker every time."""
    if spec.run_id == run_id:
        os.kill(os.getpid(), signal.SIGKILL)
    return quick(spec)
