"""Whether this tree's runs give bit-identical outputs to another tree's, config by config.

An optimisation should change how fast a run is, not what it computes. This runs the same
configurations and seeds under both trees, each in its own process, and compares a hash of
everything a run reports (every step's metrics, and the final practices, outcomes and
skills) bit for bit. It covers the PDSA rule in every design, heavy turnover, several
contexts, copy_best and conformity, and a Lazer & Friedman landscape.

    git worktree add /tmp/old HEAD~3
    python benchmarks/identical.py /tmp/old

Exit status 0 when every configuration is identical, 1 otherwise. Both trees run on this
machine with the same numpy, so a difference is the code's, not the platform's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from trees import THIS, comparison_parser, modules

CONFIGS: list[dict] = [
    {},
    {"design": "networked"},
    {"design": "siloed"},
    {"design": "complete"},
    {"design": "networked", "turnover_rate": 0.5, "tests_per_leader": 2, "min_tests": 3},
    {"design": "hub", "partnerships": 4, "hub_broadcast": 5, "h": 0.8, "n_contexts": 3},
    {"design": "small_world", "n_districts": 30},
    # the leaders' judgment: exact ties (no judgment noise, prior beliefs score 0), several
    # picks by one leader, a research offer every month from a learning university
    {"judgment_noise": 0.0},
    {"tests_per_leader": 3, "min_tests": 1, "novice_capacity": 1.0, "research_rate": 1.0},
    {"learning": "copy_best", "design": "networked"},
    {"learning": "conformity", "design": "hub"},
    {
        "learning": "copy_best",
        "design": "line",
        "n_districts": 100,
        "n_components": 20,
        "k": 5,
        "h": 0.0,
        "n_contexts": 1,
        "outcome_units": "power",  # model 1's units, as the paper
        "outcome_exponent": 1.0,
        "target": 0.9,
        "leaders_per_district": 0,
        "steps": 30,
    },
]

CHILD = """
import hashlib, json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import importlib
model_module, params_module = sys.argv[-2:]  # where this tree keeps them (trees.modules)
NICModel = importlib.import_module("nicsim." + model_module).NICModel
Params = importlib.import_module("nicsim." + params_module).Params
for config in json.loads(sys.argv[2]):
    try:
        params = Params(**config)
    except Exception as exc:  # a parameter the other tree does not know; a crash in a run
        print(json.dumps(f"{type(exc).__name__}: {exc}"), flush=True)  # fails loudly below
        continue
    hashes = []
    for seed in range(int(sys.argv[3])):
        model = NICModel(params, seed=seed).run()
        h = hashlib.sha256()
        for name, column in sorted(model.datacollector.columns().items()):
            h.update(name.encode())
            h.update(np.ascontiguousarray(column).tobytes())
        for values in (model.practice, model.outcome, model.skill):
            h.update(np.ascontiguousarray(values).tobytes())
        hashes.append(h.hexdigest())
        model.release()
    print(json.dumps(hashes), flush=True)
"""


def run_hashes(tree: Path, seeds: int) -> list[list[str] | str]:
    """Per configuration: one hash per seed, or the error that stopped it in ``tree``."""
    cmd = [sys.executable, "-c", CHILD, str(tree), json.dumps(CONFIGS), str(seeds), *modules(tree)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"the runs failed under {tree}:\n{proc.stderr[-2000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines()]


def main(argv: list[str] | None = None) -> int:
    ap = comparison_parser(__doc__)
    ap.add_argument("--seeds", type=int, default=4, help="seeds per configuration (default 4)")
    args = ap.parse_args(argv)
    if args.seeds < 1:
        ap.error(f"--seeds must be at least 1, not {args.seeds}")
    other, this = run_hashes(args.other, args.seeds), run_hashes(THIS, args.seeds)
    differ = skipped = 0
    for config, a, b in zip(CONFIGS, other, this, strict=True):
        label = json.dumps(config) if config else "defaults"
        if isinstance(a, str) or isinstance(b, str):
            skipped += 1
            verdict = f"not compared: {a if isinstance(a, str) else b}"
        elif a == b:
            verdict = f"identical ({args.seeds} seed{'s' if args.seeds > 1 else ''})"
        else:
            differ += 1
            seeds = [s for s, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
            verdict = f"DIFFERS at seeds {seeds}"
        print(f"{label}: {verdict}")
    print(
        f"{len(CONFIGS) - differ - skipped} of {len(CONFIGS)} configurations give the same outputs"
        if differ or skipped
        else "every configuration gives bit-identical outputs"
    )
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
