"""Where a NIC month's time goes: each phase of the step timed, in microseconds a month.

    python benchmarks/phases.py                      # 40 default runs
    python benchmarks/phases.py --runs 20 --set judgment=model1 leaders_per_district=3

Every phase listed in PHASES is wrapped, where the model calls it, in a timer; the report
gives each phase's wall time per month, its share of the whole step and how often it is
called a month. Phases nest (scoring the candidates is part of planning), so shares do not
add up to 100%; the indentation shows what is inside what. The timers cost a little each
call, so read the shares, not the sum. This is the table docs/PERFORMANCE.md quotes; profile
with it (and py-spy) before optimising.

A second table times the month's array and compiled work (keyed draws, predictions, Kalman
steps, the changes' entries, scoring tested practices, picks, reporters, a leaver's belief)
and Mesa's own making and removing of leader agents: what a month would still cost were
every per-district Python loop compiled away, a floor for the model as it is.
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

from nicsim.core.keyed import KeyedStream
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

# The floor: leaves of the phases above (none inside another), timed the same way, and the
# phases above that are array or compiled work throughout (by label)
FLOOR: list[tuple[str, object, str]] = [
    ("keyed uniform draws", KeyedStream, "uniform"),
    ("keyed normal draws", KeyedStream, "normal"),
    ("keyed integer draws", KeyedStream, "integers"),
    ("the changes' entries and coefficients", beliefs.Changes, "between"),
    ("the outcomes of tested practices", model_module.NICModel, "score"),
    ("research's believed fitness", learning, "research_fitness"),
    ("the local variations", judgment, "variations"),
    ("skills learned by doing", learning, "learn_by_doing"),
    ("a leaver's belief: reset", beliefs.Beliefs, "reset"),
    ("a leaver's belief: a graduate's copied", beliefs.Beliefs, "copy_entries"),
    ("a leaver's belief: counted", beliefs.Beliefs, "knowledge"),
    ("Mesa: a new leader agent", agents.Leader, "__init__"),
    ("Mesa: a leader agent removed", agents.Leader, "remove"),
]
FLOOR_PHASES = (
    "predictions",
    "Kalman steps (here and at convenings)",
    "each slot's pick",
    "coaching",
    "data collection",
)


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
    """(depth, label, µs a month, share of the step, calls a month) of each phase, then of
    each part of the floor (depth -1)."""
    timers = Timers()
    saved = []
    wrapped = [*PHASES, *((-1, label, owner, name) for label, owner, name in FLOOR)]
    for depth, label, owner, name in wrapped:
        # as defined on the owner itself (a classmethod's descriptor; None if inherited),
        # to be put back as it was
        saved.append((owner, name, vars(owner).get(name)))
        setattr(owner, name, timers.wrap(getattr(owner, name), label, outermost=depth == 0))
    try:
        model_module.NICModel(params, seed=10**6).run().release()  # warm-up: first calls
        timers.total.clear()
        timers.calls.clear()
        for seed in range(runs):
            model_module.NICModel(params, seed=1000 + seed).run().release()
    finally:
        for owner, name, fn in reversed(saved):
            if fn is None:
                delattr(owner, name)  # inherited: the wrapper goes, the base's shows again
            else:
                setattr(owner, name, fn)
    total, calls = timers.total, timers.calls
    months = runs * params.steps
    step = total["the whole step"]
    return [
        (depth, label, 1e6 * total[label] / months, total[label] / step, calls[label] / months)
        for depth, label, _, _ in wrapped
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
        if depth >= 0:
            print(f"{'  ' * depth + label:<44} {micros:>11,.0f} {share:>6.0%} {per_month:>14.1f}")
    print("\nthe floor: array and compiled work, and Mesa's agents")
    floor = [row for row in rows if row[0] < 0 or row[1] in FLOOR_PHASES]
    for _, label, micros, share, per_month in floor:
        print(f"  {label:<42} {micros:>11,.0f} {share:>6.0%} {per_month:>14.1f}")
    micros, share = sum(row[2] for row in floor), sum(row[3] for row in floor)
    print(f"{'all of it':<44} {micros:>11,.0f} {share:>6.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
