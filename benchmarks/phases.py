"""Where a NIC month's time goes: each phase of the step timed, in microseconds a month.

    python benchmarks/phases.py                      # 40 default runs
    python benchmarks/phases.py --runs 20 --set judgment=model1 leaders_per_district=3

Every phase listed in PHASES is wrapped, where the model calls it, in a timer; the report
gives each phase's wall time per month, its share of the whole step and how often it is
called a month. Phases nest (scoring the candidates is part of planning), so shares do not
add up to 100%; the indentation shows what is inside what. The timers cost a little each
call, so read the shares, not the sum. This is the table docs/PERFORMANCE.md quotes; profile
with it (and py-spy) before optimising.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from collections.abc import Callable
from pathlib import Path

# this tree's nicsim rather than whichever is installed: `python OTHER/benchmarks/phases.py`
# measures OTHER
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nicsim.core.params import ConfigError
from nicsim.lab.config import from_dict, parse_overrides
from nicsim.nic import agents, beliefs, judgment, learning, metrics
from nicsim.nic import model as model_module

# (depth, label, where the callers look it up, its name there): a module function is
# patched in the module that calls it (where it was imported to), a method on its class
PHASES: list[tuple[int, str, object, str]] = [
    (0, "the whole step", model_module.NICModel, "step"),
    (1, "research offers", model_module, "research"),
    (1, "plan", learning, "plan_month"),
    (2, "unfinished cycles first", learning, "finish_cycles"),
    (2, "candidates (judgment)", judgment, "candidates"),
    (2, "scoring the candidates", judgment, "scores"),
    (3, "changes' entries", judgment, "changes_for"),
    (3, "predictions", beliefs.Beliefs, "predict"),
    (3, "outside estimates", judgment, "outside_estimates"),
    (2, "each slot's pick", judgment, "picks"),
    (2, "the picks into the plans", judgment, "fill"),
    (1, "do: the tests", learning, "run_tests"),
    (2, "learning from the tests", learning, "learn_from_tests"),
    (3, "Kalman steps (here and at convenings)", beliefs.Beliefs, "observe"),
    (1, "study and act", learning, "study_and_act"),
    (1, "sharing", learning, "share_adopted"),
    (1, "coaching", model_module.NICModel, "train"),
    (1, "the hub's convening", agents.Hub, "convene"),
    (2, "universities learning at it", agents, "learn_at_convening"),
    (2, "ties formed", agents.Hub, "form_ties"),
    (1, "turnover", model_module.NICModel, "turnover"),
    (2, "a leaver replaced", agents.Leader, "leave"),
    (1, "data collection", metrics.Recorder, "collect"),
]


class Timers:
    """Time and calls of each phase, counted only inside a step (the model also collects
    its data once when it is built, and leaders are made then too)."""

    def __init__(self) -> None:
        self.total: collections.Counter = collections.Counter()
        self.calls: collections.Counter = collections.Counter()
        self.stepping = False

    def wrap(self, fn: Callable, label: str, outermost: bool) -> Callable:
        def wrapper(*args, **kwargs):
            if not (outermost or self.stepping):
                return fn(*args, **kwargs)
            self.stepping = True
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.total[label] += time.perf_counter() - start
                self.calls[label] += 1
                if outermost:
                    self.stepping = False

        return wrapper


def measure(params, runs: int) -> list[tuple[int, str, float, float, float]]:
    """(depth, label, µs a month, share of the step, calls a month) of each phase."""
    timers = Timers()
    saved = []
    for depth, label, owner, name in PHASES:
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, timers.wrap(getattr(owner, name), label, outermost=depth == 0))
    try:
        model_module.NICModel(params, seed=10**6).run().release()  # warm-up: first calls
        timers.total.clear()
        timers.calls.clear()
        for seed in range(runs):
            model_module.NICModel(params, seed=1000 + seed).run().release()
    finally:
        for owner, name, fn in reversed(saved):
            setattr(owner, name, fn)
    total, calls = timers.total, timers.calls
    months = runs * params.steps
    step = total["the whole step"]
    return [
        (depth, label, 1e6 * total[label] / months, total[label] / step, calls[label] / months)
        for depth, label, _, _ in PHASES
        if calls[label]
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40, help="default runs timed (40)")
    parser.add_argument(
        "--set", nargs="*", default=[], metavar="KEY=VALUE", help="parameters other than defaults"
    )
    args = parser.parse_args(argv)
    try:
        params = from_dict(parse_overrides(args.set))
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    rows = measure(params, args.runs)
    print(f"{args.runs} runs of {params.steps} months" + "".join(f", {s}" for s in args.set))
    print(f"{'phase':<44} {'us a month':>11} {'share':>6} {'calls a month':>14}")
    for depth, label, micros, share, per_month in rows:
        print(f"{'  ' * depth + label:<44} {micros:>11,.0f} {share:>6.0%} {per_month:>14.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
