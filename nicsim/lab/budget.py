"""What an experiment would need, worked out before anything is built, and a refusal when
that is more than the machine has.

A run's peak memory and time are estimated from its parameters alone (a graph file is
measured by counting its lines and names, never built), and a plan's from the number of its runs,
a product of its grid's lengths, sample rows and replications (never by listing them).
``nicsim run``, ``sweep``, ``sensitivity``, ``replicate``, ``animate`` and ``app`` check
this before they build anything: one run's memory times the runs in flight, plus what the
main process holds for the plan, above half of the machine's physical memory is refused
in one line (``--allow-large`` runs it anyway); more than a day of computing is a warning.

Half, because the estimates are rough (measured runs took 0.5 to 0.8 of them) and the
machine must stay usable while a sweep runs; what a bomb asks for is many times more, so
it is refused whatever the error. Time is only a warning: a long sweep is legitimate, and
every run is saved as it ends, so it can be stopped and resumed at any time. The number of
runs has a hard limit that ``--allow-large`` does not lift: a results directory names its
runs with seven digits (``nicsim.lab.store.MAX_RUNS``).

How the constants were measured (nicsim 0.4.0, Python 3.11, Mesa 3.3, on the 2-core
development machine). Each case ran in a fresh process: import nicsim and the model, note
``resource.getrusage(RUSAGE_SELF).ru_maxrss``, run ``evaluators.simulate`` on one
``RunSpec``, note ``ru_maxrss`` again and the wall time; the difference is the run's peak.
The cases varied one size at a time around the default NIC (siloed design and one context
unless the size measured was those):

- districts: 3,000 and 9,000 districts at 36 months: 18 KB each under ``pdsa`` (their
  trials and inboxes), 6 KB under ``copy_best`` and ``conformity``;
- leaders: 1, 3, 6 and 10 a district: 1.7 KB each;
- contexts: 9,000 against 1 (N = 12, K = 4): 7.3 KB each, which is the formula below
  (every local landscape's dependencies and table, held twice) plus 400 bytes;
- ties: ``full`` with 1,000 and 2,000 districts, ``random`` with 3,000 at density 0.1:
  380 to 520 bytes a tie; ``networked`` with 200,000 ties under ``pdsa`` grows to 870
  bytes a tie by month 12 (ideas shared along them);
- months: 100,000 months of a small NIC: 480 bytes a month;
- beliefs (model 2, not measured but counted): 16 bytes a table entry held (a mean and a
  variance), N 2^(K+1) entries a part, two parts a leader and one a university, and 8
  bytes an entry of the true tables the error metric compares a leader's with, two parts
  a context;
- a CSV graph file of 100,000 lines: 2.9 KB a line (its districts and ties), where each
  line named a new district; a file's districts are its distinct names (as many as its
  ties when it names more than ``NODE_NAMES``);
- March (1991): n x m = 10^6 and 10^7 beliefs: 20 to 27 bytes each; 100,000 periods: 590
  bytes a period.

Times come from the same runs: 50 us a district-month under ``pdsa`` (2 under
``copy_best``, 25 under ``conformity``), 13 us a PDSA test, 5 us a tie-month under
``pdsa``, 300 us a month whatever the size, 60 us to build a district and 3 us a tie,
0.5 ms plus 40 ns per practice to tabulate a context, and for March 750 us a period plus
50 ns a belief-period. An animation (``nicsim animate``, 37 frames of the default NIC and
7 of 300 partnerships, timed and ``ru_maxrss`` read by ``/usr/bin/time``) adds 150 MB for
matplotlib and its figure, 0.85 s a frame, and 2 KB and 0.25 ms a frame per node or tie
drawn. They are rough (the machine's speed varies by up to 1.8x): enough to
tell minutes from weeks. ``benchmarks/budget.py`` repeats the measurements against these
estimates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..core.params import ConfigError, ModelParams, fields_of, shown
from ..nic.graphs import graph_size
from ..nic.landscape import EXACT_MAX_LIMIT, OUTCOME_LIMIT, TABLE_LIMIT
from ..nic.params import GENERIC_DESIGNS, Params
from .plans import Plan

KB, MB, GB = 1e3, 1e6, 1e9
MEMORY_SHARE = 0.5  # refuse above this share of physical memory
LONG = 86400.0  # warn when computing would take longer than this (seconds)

# -- the NIC (see the module docstring for how each was measured) ---------------------------
RUN_BYTES = 10 * MB  # a small run: its caches, recorder, tables
DISTRICT_BYTES = {"pdsa": 18 * KB, "copy_best": 6 * KB, "conformity": 6 * KB}
LEADER_BYTES = 2 * KB
TIE_BYTES = {"pdsa": 1 * KB, "copy_best": 500, "conformity": 500}
MONTH_BYTES = 500
TEST_BYTES = 100  # a month's batch of tests, per test (the draws for local variations)
CONTEXT_OVERHEAD = 400
PAIR_ARRAYS = 52 * MB  # at most 2^21 pairs of 25 bytes
RUN_SECONDS = 0.02
DISTRICT_SECONDS = 60e-6  # to build one
TIE_SECONDS = 3e-6  # to build one
MONTH_SECONDS = 300e-6
DISTRICT_MONTH_SECONDS = {"pdsa": 50e-6, "copy_best": 2e-6, "conformity": 25e-6}
TEST_SECONDS = 13e-6
TIE_MONTH_SECONDS = {"pdsa": 5e-6, "copy_best": 10e-9, "conformity": 50e-9}
CONTEXT_SECONDS = 0.5e-3
PRACTICE_SECONDS = 40e-9  # per practice tabulated (2^N of them per context)
CLIMB_SECONDS = 2e-6  # approximate maxima: per restart, per N^2 evaluations
# -- an animation (nicsim animate: 37 frames of the default NIC, 7 of 300 partnerships)
FIGURE_BYTES = 150 * MB  # matplotlib and the figure
DRAWN_BYTES = 2 * KB  # per node or tie drawn
FRAME_SECONDS = 0.85
DRAWN_SECONDS = 0.25e-3  # per node or tie, per frame
# -- March (1991) ---------------------------------------------------------------------------
BELIEF_BYTES = 30
INDIVIDUAL_BYTES = 1 * KB
PERIOD_BYTES = 600
PERIOD_SECONDS = 750e-6
BELIEF_PERIOD_SECONDS = 50e-9
# -- the main process ------------------------------------------------------------------------
RUN_ID_BYTES = 100  # per run: its id among the done runs, and in finalize's order
SEED_BYTES = 40  # per replication: its seed in manifest.json
SAMPLE_BYTES = 32  # per sampled coordinate: the sample and its intermediate arrays


@dataclass(frozen=True)
class Need:
    """What one run would need: peak memory (bytes) and time on one core (seconds), and
    the setting most to blame for the memory, as ``key = value``."""

    memory: float
    seconds: float
    culprit: str
    drawn: float = 0.0  # what a drawing of the model shows: its nodes and ties

    def animated(self, frames: int) -> Need:
        """This run drawn ``frames`` times (``nicsim animate``): a figure's memory, and each
        frame's drawing time."""
        return Need(
            self.memory + FIGURE_BYTES + self.drawn * DRAWN_BYTES,
            self.seconds + frames * (FRAME_SECONDS + self.drawn * DRAWN_SECONDS),
            self.culprit,
            self.drawn,
        )


@dataclass(frozen=True)
class Estimate:
    """What a plan would need: its runs, the worst run's memory, the mean run's time, and
    what the main process holds for the plan (its sample, the done runs' ids, the seeds)."""

    runs: int
    worst: Need
    seconds: float
    main: float


def physical_memory() -> int:
    """The machine's physical memory in bytes."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: read nothing, refuse nothing
        return 2**63


# -- one run -----------------------------------------------------------------------------------
class _Terms:
    """A run's memory as a sum of terms, each with the settings that make it large.

    ``sizes`` gives a setting that is not a number (a graph file) its size relative to the
    default's and the words that name it.
    """

    def __init__(self, params: ModelParams, sizes: dict[str, tuple[float, str]] | None = None):
        self.params = params
        self.sizes = sizes or {}
        self.terms: list[tuple[float, tuple[str, ...]]] = []

    def add(self, amount: float, *keys: str) -> None:
        self.terms.append((float(amount), keys))

    @property
    def total(self) -> float:
        return sum(amount for amount, _ in self.terms)

    def culprit(self) -> str:
        """``key = value`` of the setting furthest above its default in the largest term
        that settings make ("" when a run's fixed part is the most of it)."""
        _, keys = max(self.terms, key=lambda t: t[0])
        if not keys:
            return ""
        fields = fields_of(type(self.params))

        def above_default(key: str) -> float:
            value, default = getattr(self.params, key), fields[key].default
            if key in self.sizes:
                return self.sizes[key][0]
            if isinstance(value, bool) or not isinstance(value, int | float):
                return 0.0
            return value / max(default, 1)

        key = max(keys, key=above_default)
        if key in self.sizes:
            return self.sizes[key][1]
        return f"{key} = {shown(getattr(self.params, key))}"


def run_need(params: ModelParams) -> Need:
    """What one run of ``params`` would need, by its model."""
    if isinstance(params, Params):
        return _nic(params)
    if type(params).MODEL == "march":
        return _march(params)
    return Need(RUN_BYTES, RUN_SECONDS, "")  # a model without an estimate: a small run


DISTRICT_KEYS = ("partnerships", "districts_per_partnership", "n_districts")


def _nic(p: Params) -> Need:
    """The NIC: agents, landscape, ties, months; see the module docstring."""
    rule = p.learning
    if p.design == "file":
        nodes, edges = graph_size(p.graph_file)
        districts, universities = max(nodes, 1), 0
        district_keys: tuple[str, ...] = ("graph_file",)
        words = f"graph_file = {p.graph_file!r} ({edges} ties)"
        mem = _Terms(p, {"graph_file": (districts / Params().districts, words)})
    else:
        districts = p.districts
        universities = p.partnerships if p.design not in GENERIC_DESIGNS else 0
        district_keys = DISTRICT_KEYS
        edges = _design_ties(p, districts, universities)
        # n_districts' default, 0, means the partnerships' districts: its size is against those
        counted = {"n_districts": (districts / Params().districts, f"n_districts = {districts}")}
        mem = _Terms(p, counted if p.n_districts else None)
    # ties a hub's convenings add over the run
    convenings = p.steps // p.convening_interval if p.design in ("hub", "networked") else 0
    pairs = _cross_pairs(p, districts) if convenings else 0
    formed = pairs * min(1.0, p.tie_formation * convenings)
    ties = edges + formed
    leaders = districts * p.leaders_per_district
    tests = leaders * p.tests_per_leader if rule == "pdsa" else 0

    mem.add(RUN_BYTES)
    mem.add(districts * DISTRICT_BYTES[rule], *district_keys)
    mem.add(leaders * LEADER_BYTES, "leaders_per_district", *district_keys)
    mem.add(tests * TEST_BYTES, "tests_per_leader", "leaders_per_district", *district_keys)
    mem.add(ties * TIE_BYTES[rule], *district_keys, *_tie_keys(p))
    # a convening's candidate pairs, kept as arrays when few (nic.networks.DENSE_PAIRS)
    mem.add(min(pairs * 25, PAIR_ARRAYS), *district_keys)
    # beliefs (docs/ODD.md 7.12): a mean and a variance per table entry, leaders over S and
    # L, universities over S; the monthly error metric's true tables, S and L per context
    entries = p.n_components * 2.0 ** (p.k + 1)
    contexts = p.n_contexts or districts
    context_keys = ("n_contexts",) if p.n_contexts else district_keys
    if rule == "pdsa" and p.judgment == "belief":
        mem.add(leaders * 2 * entries * 16, "leaders_per_district", "k", *district_keys)
        mem.add(contexts * 2 * entries * 8, "k", *context_keys)
    mem.add(universities * entries * 16, "k", "n_components", *district_keys)
    mem.add((p.steps + 1) * MONTH_BYTES, "steps")
    offers = districts * p.research_rate * p.research_candidates if rule == "pdsa" else 0
    mem.add(offers * (p.n_components + 1) * 8 * 3, "research_candidates", *district_keys)
    n, k1 = p.n_components, p.k + 1
    landscape = 2 * 8 * n * (k1 + 2.0**k1) + CONTEXT_OVERHEAD
    mem.add((contexts + 1) * landscape, *context_keys, "k", "n_components")
    space = 2.0**n
    rows = contexts if p.h else 1
    if space * rows <= TABLE_LIMIT:  # every context tabulated (see ContextLandscape)
        table = space * rows + 3 * space + (space * rows if space * rows <= OUTCOME_LIMIT else 0)
        tabulated = contexts if p.h else 1
    elif n <= EXACT_MAX_LIMIT:  # exact maxima, one context's table at a time
        table, tabulated = 3 * space, contexts
    else:  # approximate maxima: hill climbs
        table, tabulated = 0.0, 0
    mem.add(8 * table, "n_components", *context_keys)

    seconds = (
        RUN_SECONDS
        + districts * DISTRICT_SECONDS
        + ties * TIE_SECONDS
        + contexts * CONTEXT_SECONDS
        + tabulated * space * PRACTICE_SECONDS
        + (0 if n <= EXACT_MAX_LIMIT else contexts * 200 * n * n * CLIMB_SECONDS)
        + p.steps
        * (
            MONTH_SECONDS
            + districts * DISTRICT_MONTH_SECONDS[rule]
            + tests * TEST_SECONDS
            + ties * TIE_MONTH_SECONDS[rule]
        )
    )
    return Need(mem.total, seconds, mem.culprit(), districts + universities + ties)


def _design_ties(p: Params, districts: int, universities: int) -> float:
    """Ties of a built-in design when it is built (docs/ODD.md, network designs)."""
    d, per = districts, p.districts_per_partnership
    if p.design in ("siloed", "hub", "networked"):
        ties = p.partnerships * (per + per * (per - 1) / 2)
        if p.design != "siloed":
            ties += d + universities  # the hub's
        if p.design == "networked":
            ties += _cross_pairs(p, d) * p.cross_ties
        return ties
    if p.design == "complete":
        nodes = d + universities
        return nodes * (nodes - 1) / 2
    if p.design == "full":
        return d * (d - 1) / 2
    if p.design == "random":
        return p.density * d * (d - 1) / 2
    if p.design in ("lattice", "small_world"):
        return d * min(p.lattice_k, d // 2 or 1)
    return d  # line, ring


def _cross_pairs(p: Params, districts: int) -> float:
    """Pairs of districts of different partnerships."""
    return districts * (districts - p.districts_per_partnership) / 2


def _tie_keys(p: Params) -> tuple[str, ...]:
    return {
        "networked": ("cross_ties", "tie_formation"),
        "hub": ("tie_formation",),
        "random": ("density",),
        "lattice": ("lattice_k",),
        "small_world": ("lattice_k",),
    }.get(p.design, ())


def _march(p: Any) -> Need:
    """March (1991): beliefs n x m, individuals, and one record a period (at most
    ``max_periods``: a run without turnover or turbulence stops at equilibrium)."""
    mem = _Terms(p)
    beliefs = float(p.n) * p.m
    mem.add(RUN_BYTES)
    mem.add(beliefs * BELIEF_BYTES, "n", "m")
    mem.add(p.n * INDIVIDUAL_BYTES, "n")
    mem.add(p.max_periods * PERIOD_BYTES, "max_periods")
    seconds = RUN_SECONDS + p.max_periods * (PERIOD_SECONDS + beliefs * BELIEF_PERIOD_SECONDS)
    return Need(mem.total, seconds, mem.culprit())


# -- a plan --------------------------------------------------------------------------------------
def estimate(plan: Plan, frames: int = 0) -> Estimate:
    """What ``plan`` would need (each run drawn ``frames`` times, if any). Its worst run is
    looked for among the corners of its grid and sampled ranges (``Plan.corner_params``);
    its time per run is the corners' mean."""
    needs = [run_need(params) for params in plan.corner_params]
    if frames:
        needs = [need.animated(frames) for need in needs]
    worst = max(needs, key=lambda need: need.memory)
    runs = len(plan.runs)
    points = plan.points
    main = (
        runs * RUN_ID_BYTES
        + plan.replications * SEED_BYTES
        + points.rows * len(points.ranges) * SAMPLE_BYTES
    )
    return Estimate(runs, worst, sum(n.seconds for n in needs) / len(needs), main)


def check(
    plan: Plan,
    workers: int = 1,
    scheduler: bool = False,
    allow_large: bool = False,
    max_runs: int | None = None,
    frames: int = 0,
    override: str = "--allow-large",
) -> list[str]:
    """Refuse ``plan`` (a ConfigError, one line) when it would need more memory than this
    machine can spare; return warning lines (a long computation; a large one let through).

    ``workers`` local processes hold a run each; with a ``scheduler`` the runs go
    elsewhere, and one run is checked against this machine as a stand-in for a worker.
    ``max_runs``, the most runs a results directory holds, is a limit ``allow_large``
    does not lift. ``override`` names the way to allow a large run where this is called
    (the command line's option, or ``simulate``'s keyword).
    """
    est = estimate(plan, frames)
    if max_runs is not None and est.runs > max_runs:
        raise ConfigError(
            f"{_runs_text(plan, est.runs)} is too many: a results directory holds at most "
            f"{max_runs:,} runs (split the experiment)"
        )
    in_flight = 1 if scheduler or workers <= 1 else min(workers, est.runs)
    need = est.main + est.worst.memory * in_flight
    warnings = []
    if need > MEMORY_SHARE * physical_memory():
        if est.worst.memory * in_flight >= est.main:
            culprit = est.worst.culprit or "a run"
            what = f"{culprit} would need about {_bytes(est.worst.memory)} per run"
            if in_flight > 1:
                what += f", {_bytes(need)} with {in_flight} workers"
        else:
            what = f"{_runs_text(plan, est.runs)} would need about {_bytes(need)}"
        line = f"{what}; this machine has {_bytes(physical_memory())} of memory in all"
        if not allow_large:
            more = f" (use --workers 1, or {override}" if in_flight > 1 else f" (use {override}"
            raise ConfigError(f"{line}{more} to run it anyway)")
        warnings.append(f"{line}: running it anyway ({override})")
    total = est.runs * est.seconds / (1 if scheduler else in_flight)
    if total > LONG:
        where = "" if scheduler else f" on {in_flight} worker{'s' if in_flight > 1 else ''}"
        warnings.append(
            f"{_runs_text(plan, est.runs)} would take about {_duration(total)}{where} "
            f"(about {_duration(est.seconds)} a run)"
        )
    return warnings


def check_run(
    params: ModelParams,
    allow_large: bool = False,
    frames: int = 0,
    override: str = "--allow-large",
) -> list[str]:
    """:func:`check` for one run of ``params`` in this process (the page; an animation,
    which draws it ``frames`` times; ``nicsim.simulate``)."""
    return check(Plan("run", params), allow_large=allow_large, frames=frames, override=override)


def _runs_text(plan: Plan, runs: int) -> str:
    points, reps = len(plan.points), plan.replications
    if runs == 1:
        return "one run"
    if points == 1:
        return f"replications = {reps} ({runs:,} runs)"
    return f"{runs:,} runs ({points:,} points x {reps} replication{'s' if reps > 1 else ''})"


def _bytes(amount: float) -> str:
    for unit, size in (("MB", MB), ("GB", GB), ("TB", 1e12), ("PB", 1e15), ("EB", 1e18)):
        if amount < 999.5 * size or unit == "EB":
            value = amount / size
            if value >= 1000:
                return f"{value:.1e} {unit}"
            return f"{value:.2g} {unit}" if value < 10 else f"{value:.0f} {unit}"
    raise AssertionError  # pragma: no cover


def _duration(seconds: float) -> str:
    for unit, size in (("years", 365 * 86400.0), ("days", 86400.0), ("hours", 3600.0)):
        if seconds >= size:
            return f"{seconds / size:.2g} {unit}" if seconds < 1e4 * size else "forever"
    if seconds >= 60:
        return f"{seconds / 60:.2g} minutes"
    return f"{seconds:.2g} s"
