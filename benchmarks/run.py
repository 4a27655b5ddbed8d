"""nicsim's speed targets (issue 4), each measured in one run of this script.

    python benchmarks/run.py            # every benchmark, full size (about 15 minutes)
    python benchmarks/run.py --only lazer_friedman nic_default
    python benchmarks/run.py --quick    # tiny sizes for CI: checks that it runs, not times
    python benchmarks/run.py --only nic_default --config configs/model1.toml  # another config

Each benchmark prints its median, min and max over repeated runs, its target and the
ratio of the median to the target (<= 1 meets a time target; >= 1 a speed-up target).
nic_default's target is relative: its median time per agent-step over that of the plain Mesa
model of plain_mesa.py, timed in the same run, at most 2.5x.
The exit code is 0 only when every target is met (always 0 with --quick).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the yardsticks beside this script, and this tree's nicsim rather than whichever is
# installed (an editable install of another checkout would win): `python
# OTHER/benchmarks/run.py` measures OTHER
sys.path[:0] = [str(HERE), str(HERE.parent)]

import reference_lf  # noqa: E402
from plain_mesa import PlainNetworkModel  # noqa: E402

from nicsim.core.params import ConfigError  # noqa: E402
from nicsim.core.release import forget_model  # noqa: E402
from nicsim.lab.config import load_config  # noqa: E402
from nicsim.nic.model import NICModel  # noqa: E402
from nicsim.nic.params import DESIGNS, Params  # noqa: E402


@dataclass
class Result:
    name: str
    unit: str
    samples: list[float]
    target: float
    at_least: bool = False  # a speed-up target (higher is better) rather than a time
    notes: list[str] = field(default_factory=list)
    # a target relative to a yardstick timed in the same run: the measured value is then
    # median(samples) / median(baseline), in "x", and `unit` is that of the samples
    baseline: list[float] | None = None
    baseline_name: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def value(self) -> float:
        """What the target is for: the median, or the ratio of the medians to the yardstick."""
        if self.baseline is None:
            return self.median
        return self.median / statistics.median(self.baseline)

    @property
    def ratio(self) -> float:
        return self.value / self.target

    @property
    def met(self) -> bool:
        return self.ratio >= 1 if self.at_least else self.ratio <= 1

    def report(self, quick: bool) -> str:
        goal = ">=" if self.at_least else "<="
        verdict = "(quick: not checked)" if quick else ("MET" if self.met else "NOT MET")
        if self.baseline is None:
            head = (
                f"{self.name}: median {self.median:.4g} {self.unit} "
                f"(min {min(self.samples):.4g}, max {max(self.samples):.4g}, "
                f"n = {len(self.samples)}); target {goal} {self.target:g} {self.unit}"
            )
        else:
            base = self.baseline
            head = (
                f"{self.name}: {self.value:.3f}x the {self.baseline_name} "
                f"(median {self.median:.4g} {self.unit} / {statistics.median(base):.4g} "
                f"{self.unit}; min {min(self.samples):.4g} / {min(base):.4g}, "
                f"max {max(self.samples):.4g} / {max(base):.4g}; "
                f"n = {len(self.samples)} / {len(base)}); target {goal} {self.target:g}x"
            )
        lines = [f"{head}; ratio to the target {self.ratio:.2f}  {verdict}"]
        lines += [f"    {note}" for note in self.notes]
        return "\n".join(lines)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# -- 1. Lazer & Friedman ----------------------------------------------------------------------
def lf_params(n: int, k: int, agents: int, rounds: int) -> Params:
    return Params(
        n_components=n,
        k=k,
        h=0.0,
        n_contexts=1,
        n_districts=agents,
        learning="copy_best",
        leaders_per_district=0,
        turnover_rate=0.0,
        steps=rounds,
        design="line",
    )


def total_network(p: Params) -> Params:
    """Every district tied to every other (a ring lattice reaching halfway is complete)."""
    if "full" in DESIGNS:
        return p.replace(design="full")
    return p.replace(design="lattice", lattice_k=p.n_districts // 2)


def lazer_friedman(quick: bool) -> list[Result]:
    n, k, agents, rounds = (12, 5, 30, 20) if quick else (20, 5, 100, 100)
    line = lf_params(n, k, agents, rounds)
    total = total_network(line)

    def one(seed: int) -> None:  # a fresh seed: the landscape is built, not reused
        for p in (line, total):
            NICModel(p, seed=seed).run().release()

    one(10**6)  # warm-up: imports and first-call costs
    ours = [timed(lambda s=s: one(s)) for s in range(1 if quick else 25)]
    ref = [
        timed(lambda s=s: reference_lf.one_landscape(s, n, k, agents, rounds))
        for s in range(1 if quick else 5)
    ]
    speedup = statistics.median(ref) / statistics.median(ours)
    result = Result("lazer_friedman: seconds per landscape", "s", ours, 0.08)
    result.notes = [
        f"N = {n}, K = {k}, {agents} agents, linear and totally connected, {rounds} rounds "
        "each, landscape construction and data collection included",
        f"straightforward numpy reference in this process: median {statistics.median(ref):.3f} s"
        f" per landscape (n = {len(ref)}): {speedup:.1f}x nicsim's time",
        f"1000 landscapes (the paper) at this median: {1000 * statistics.median(ours):.0f} s "
        "on one core",
    ]
    return [result]


# -- 2. the NIC model at the default scale, against a plain Mesa model ------------------------
def nic_default(
    quick: bool, params: Params | None = None, label: str = "NIC default"
) -> list[Result]:
    """A default NIC run's time per agent-step as a ratio to that of the plain Mesa model of
    `plain_mesa.py` with as many agents, run for as many steps (``params``: another
    config's, named ``label`` in the report).

    The two are timed in turn, sample by sample (which goes first alternates), so that the
    host's speed, which drifts by up to 1.8x within minutes on the shared development
    machine, weighs on both alike. Each sample starts after a full garbage collection, so
    neither is charged for the other's garbage; building a model is not timed.
    """
    p = params or Params()
    p = p.replace(steps=6) if quick else p
    steps = p.steps
    warm = NICModel(p, seed=10**6)  # warm-up of both: imports and first-call costs
    agents = len(warm.agents)
    warm.run()
    warm.release()
    forget_model(PlainNetworkModel(n=agents, rng=10**6).run(steps))

    def nic(seed: int) -> tuple[float, float, float, float]:
        gc.collect()
        start = time.perf_counter()
        model = NICModel(p, seed=1000 + seed)
        built, cpu = time.perf_counter(), time.process_time()
        model.run()
        done, cpu = time.perf_counter(), time.process_time() - cpu
        agent_steps = len(model.agents) * steps
        model.release()
        return (
            (done - built) / agent_steps * 1e6,
            cpu / agent_steps * 1e6,
            built - start,
            done - start,
        )

    def plain(seed: int) -> tuple[float, float]:
        gc.collect()
        model = PlainNetworkModel(n=agents, rng=1000 + seed)
        start, cpu = time.perf_counter(), time.process_time()
        model.run(steps)
        done, cpu = time.perf_counter(), time.process_time() - cpu
        agent_steps = len(model.agents) * steps
        forget_model(model)
        return (done - start) / agent_steps * 1e6, cpu / agent_steps * 1e6

    ours, ours_cpu, builds, runs, yardstick, yardstick_cpu = [], [], [], [], [], []
    # three rounds of the same 20 seeds: the samples span several seconds, so a burst of
    # load on this shared machine moves fewer of them
    seeds = range(2) if quick else [s for _ in range(3) for s in range(20)]
    for i, seed in enumerate(seeds):
        for which in ("plain", "nic") if i % 2 else ("nic", "plain"):
            if which == "plain":
                wall, cpu = plain(seed)
                yardstick.append(wall)
                yardstick_cpu.append(cpu)
            else:
                wall, cpu, build, run = nic(seed)
                ours.append(wall)
                ours_cpu.append(cpu)
                builds.append(build)
                runs.append(run)
    pairs = [a / b for a, b in zip(ours, yardstick, strict=True)]
    cpu_ratio = statistics.median(ours_cpu) / statistics.median(yardstick_cpu)
    result = Result(
        "nic_default: time per agent-step",
        "us",
        ours,
        2.5,
        baseline=yardstick,
        baseline_name="plain Mesa model (benchmarks/plain_mesa.py)",
    )
    result.notes = [
        f"{label}: {agents} agents (districts, universities, leaders, hub), {steps} steps, "
        f"data collection included: median {statistics.median(ours):.2f} us per agent-step "
        f"(min {min(ours):.2f}, max {max(ours):.2f})",
        f"plain Mesa model: {agents} agents on a {agents}-node networkx graph (mean degree 5), "
        f"each reading its neighbours, 3 reporters collected, {steps} steps: median "
        f"{statistics.median(yardstick):.2f} us per agent-step (min {min(yardstick):.2f}, "
        f"max {max(yardstick):.2f})",
        f"sample by sample, interleaved: NIC / plain median {statistics.median(pairs):.2f} "
        f"(min {min(pairs):.2f}, max {max(pairs):.2f}); in this process's CPU time rather "
        f"than wall-clock time (blind to other processes' load): {cpu_ratio:.2f}x",
        f"building the NIC model (landscape, network, agents): median "
        f"{1000 * statistics.median(builds):.1f} ms; a whole NIC run: median "
        f"{1000 * statistics.median(runs):.1f} ms",
    ]
    return [result]


# -- 3. scaling to 10,000 districts --------------------------------------------------------------
SCALING_CHILD = """
import json, resource, sys, time
from nicsim.nic.model import NICModel
from nicsim.nic.params import Params
p = Params(**json.loads(sys.argv[1]))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
model = NICModel(p, seed=int(sys.argv[2]))
built = time.perf_counter()
model.run()
done = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"districts": len(model.districts), "build": built - start,
                  "steps": done - built, "peak_kib": peak, "base_kib": base}))
"""


def scaling_params(districts: int, steps: int) -> dict:
    """`networked`, 3 leaders, N = 16; partnerships of 4 districts. Tie probabilities shrink
    with size so that each district keeps about 3 cross ties and gains about 0.3 a
    convening, as at 33 districts: per-district work stays the same, only n grows."""
    return {
        "design": "networked",
        "partnerships": districts // 4,
        "districts_per_partnership": 4,
        "leaders_per_district": 3,
        "n_components": 16,
        "cross_ties": 3 / (districts - 4),
        "tie_formation": 0.3 / (districts - 4),
        "steps": steps,
    }


def scaling_run(districts: int, steps: int, seed: int) -> dict:
    cmd = [
        sys.executable,
        "-c",
        SCALING_CHILD,
        json.dumps(scaling_params(districts, steps)),
        str(seed),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def scaling(quick: bool) -> list[Result]:
    small, large, steps = (100, 1000, 3) if quick else (100, 10_000, 12)
    smalls = [scaling_run(small, steps, s) for s in range(1 if quick else 5)]
    larges = [scaling_run(large, steps, s) for s in range(1 if quick else 2)]

    def per_district_step(r: dict) -> float:
        return r["steps"] / (r["districts"] * steps) * 1e6

    base = statistics.median(per_district_step(r) for r in smalls)
    ratios = [per_district_step(r) / base for r in larges]
    mem = [(r["peak_kib"] - r["base_kib"]) / r["districts"] for r in larges]
    result = Result(
        f"scaling: time per district-step, {large} / {small} districts", "x", ratios, 1.5
    )
    result.notes = [
        f"{small} districts: median {base:.1f} us per district-step; {large}: "
        + ", ".join(f"{per_district_step(r):.1f}" for r in larges)
        + " us",
        f"building {large} districts: "
        + ", ".join(f"{r['build']:.1f}" for r in larges)
        + " s (exact maxima of one landscape per district)",
        f"memory per district at {large}: "
        + ", ".join(f"{m:.1f}" for m in mem)
        + " KiB (peak resident set above the interpreter's)",
    ]
    return [result]


# -- 4. sweeps on 1 and 2 workers ------------------------------------------------------------------
SWEEP_CHILD = """
import resource, sys
from nicsim.ui.cli import main
code = main(sys.argv[1:])
print(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), file=sys.stderr)
sys.exit(code)
"""


def sweep_file(folder: Path, runs: int, steps: int, partnerships: int) -> Path:
    root = HERE.parent
    path = folder / f"bench-{runs}.toml"
    path.write_text(
        f'base = "{root / "configs/default.toml"}"\nreplications = {runs // 2}\nseed = 1\n'
        f"[params]\nsteps = {steps}\npartnerships = {partnerships}\n"
        '[grid]\ndesign = ["siloed", "networked"]\n'
    )
    return path


def sweep_once(sweep: Path, out: Path, workers: int) -> tuple[float, float, float]:
    """Seconds from the start of `nicsim sweep` to its last run saved and to its end, and the
    peak resident set (MiB) of the sweep or any of its workers.

    Runs per second are counted up to the last run saved: the tables and report that follow
    take the same few seconds however many runs there were and however many workers made
    them, so over a real sweep of thousands of runs they vanish, while over this one they
    would dilute the comparison. The whole command's time is reported beside it.
    """
    cmd = [
        sys.executable,
        "-c",
        SWEEP_CHILD,
        "sweep",
        str(sweep),
        "--workers",
        str(workers),
        "--out",
        str(out),
    ]
    start, clock = time.perf_counter(), time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    # each run is saved as a file pair, the .json last (nicsim.lab.store): its time is the run's
    saved = max(path.stat().st_mtime for path in (out / ".runs").glob("*.json"))
    return saved - clock, wall, int(proc.stderr.strip().splitlines()[-1]) / 1024


def sweep(quick: bool) -> list[Result]:
    # a sweep long enough that starting the workers (about 1.5 s to import) is amortised,
    # as in any real sweep; runs of about a second each
    runs, steps, partnerships, repeat = (4, 6, 11, 1) if quick else (120, 250, 22, 2)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = sweep_file(tmp, runs, steps, partnerships)
        small = sweep_file(tmp, max(2, runs // 4), steps, partnerships)
        making: dict[int, list[float]] = {1: [], 2: []}  # start to last run saved
        walls: dict[int, list[float]] = {1: [], 2: []}  # the whole command
        peaks: list[float] = []
        for r in range(repeat):
            for workers in (1, 2):
                saved, wall, peak = sweep_once(big, tmp / f"out-{workers}-{r}", workers)
                making[workers].append(saved)
                walls[workers].append(wall)
                peaks.append(peak) if workers == 2 else None
        small_peak = sweep_once(small, tmp / "small", 2)[2]
    speedups = [a / b for a, b in zip(making[1], making[2], strict=True)]
    whole = [a / b for a, b in zip(walls[1], walls[2], strict=True)]
    per_run = statistics.median(making[1]) / runs
    result = Result(
        "sweep: runs per second, 2 workers / 1 worker", "x", speedups, 1.8, at_least=True
    )
    result.notes = [
        f"{runs} runs of about {per_run:.2f} s each (default model, {partnerships * 3} "
        f"districts, {steps} steps); start to last run saved: 1 worker median "
        f"{statistics.median(making[1]):.1f} s, 2 workers {statistics.median(making[2]):.1f} s",
        f"the whole command, tables and report included: 1 worker median "
        f"{statistics.median(walls[1]):.1f} s, 2 workers {statistics.median(walls[2]):.1f} s; "
        f"ratio median {statistics.median(whole):.3f} (min {min(whole):.3f}, max {max(whole):.3f})",
        f"peak memory, 2 workers: {max(peaks):.0f} MiB for {runs} runs, {small_peak:.0f} MiB "
        f"for {max(2, runs // 4)} runs (ratio {max(peaks) / small_peak:.2f}: flat if ~1)",
    ]
    return [result]


# -- the machine's own speed ----------------------------------------------------------------------
def _fixed_python_work() -> int:
    total = 0
    for i in range(400_000):
        total += i * i % 7
    return total


def machine_gauge(repeats: int = 7) -> str:
    """How fast this machine runs plain Python right now: the median time of a fixed loop.

    The host of a shared virtual machine lends it more or less speed from minute to minute
    (on the development machine this loop has taken from 45 to 158 ms within three quiet
    minutes), and every benchmark's figures move with it. Printed before and after the
    benchmarks, it says whether a run's figures were measured in a fast or a slow spell.
    """
    times = [timed(_fixed_python_work) * 1000 for _ in range(repeats)]
    return f"median {statistics.median(times):.1f} ms (min {min(times):.1f}, max {max(times):.1f})"


def interpreter() -> str:
    """Which Python runs the benchmarks, and whether its interpreter lives in a shared libpython.

    Builds of the same Python differ in speed: on the development machine pyenv's CPython
    3.11.7 (interpreter in a shared library, no profile-guided optimisation) ran the NIC
    model 1.2 to 1.27 times as long as Debian's own 3.11 build (statically linked, optimised with
    profiles), same code, paired runs (docs/PERFORMANCE.md, "Which Python").
    """
    maps = Path("/proc/self/maps")
    if not maps.exists():
        shared = "not known on this system"
    else:
        shared = "yes" if "libpython" in maps.read_text() else "no"
    return (
        f"{platform.python_implementation()} {platform.python_version()} at {sys.executable}; "
        f"interpreter in a shared libpython: {shared}"
    )


BENCHMARKS = {
    "lazer_friedman": lazer_friedman,
    "nic_default": nic_default,
    "scaling": scaling,
    "sweep": sweep,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes; no time is checked")
    ap.add_argument("--only", nargs="+", choices=list(BENCHMARKS), default=list(BENCHMARKS))
    ap.add_argument(
        "--config",
        metavar="FILE",
        help="time nic_default on this config's parameters rather than the defaults "
        "(for example configs/model1.toml); the target stays 2.5x",
    )
    args = ap.parse_args(argv)
    benchmarks = dict(BENCHMARKS)
    if args.config:
        try:
            params = load_config(args.config).params
        except ConfigError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        benchmarks["nic_default"] = partial(nic_default, params=params, label=f"NIC {args.config}")
    results = []
    print(f"python: {interpreter()}")
    print(f"machine gauge before, a fixed pure-Python loop: {machine_gauge()}", flush=True)
    for name in args.only:
        for result in benchmarks[name](args.quick):
            print(result.report(args.quick), flush=True)
            results.append(result)
    print(f"machine gauge after: {machine_gauge()} (smaller is a faster machine)", flush=True)
    if args.quick:
        print("quick mode: sizes too small for the targets; nothing about time was checked")
        return 0
    missed = [r.name for r in results if not r.met]
    print("every target met" if not missed else f"targets not met: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
