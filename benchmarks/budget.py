"""Measure runs' peak memory and time beside nicsim.lab.budget's estimates of them.

    python benchmarks/budget.py            # every case (about 5 minutes on 2 cores)
    python benchmarks/budget.py --quick    # two small cases

Each case runs in a fresh process: it imports nicsim and the model, notes its peak
resident memory (``ru_maxrss``), runs ``simulate`` on one run of the case's parameters,
and reports the growth of the peak and the wall time. Beside them it prints the estimate
and the ratio measured / estimated: near 1 (within 2 or 3: the estimate is rough) means
the constants in nicsim/lab/budget.py still hold; re-measure them when it is far off.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CASES = [
    {},
    {"partnerships": 1000, "design": "siloed", "n_contexts": 1, "leaders_per_district": 1},
    {"partnerships": 1000, "design": "siloed", "n_contexts": 1, "leaders_per_district": 6},
    {
        "partnerships": 1000,
        "design": "siloed",
        "n_contexts": 1,
        "learning": "copy_best",
        "leaders_per_district": 0,
    },
    {"partnerships": 3000, "design": "siloed", "steps": 1},
    {
        "design": "full",
        "n_districts": 1000,
        "learning": "copy_best",
        "leaders_per_district": 0,
        "steps": 1,
        "n_contexts": 1,
    },
    {"partnerships": 300, "design": "networked", "cross_ties": 0.5, "n_contexts": 1, "steps": 6},
    {"partnerships": 1, "steps": 20000},
    {"model": "march", "n": 1000, "m": 1000, "max_periods": 100, "p3": 0.1},
]
QUICK = CASES[:1] + CASES[-1:]

CHILD = """
import json, resource, sys, time, gc
import nicsim.nic.model, nicsim.march.model  # imported before the baseline
import pandas, pyarrow
from nicsim.lab.config import from_dict
from nicsim.lab.evaluators import simulate
from nicsim.lab.plans import RunSpec

params = from_dict(json.loads(sys.argv[1]))
gc.collect()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
start = time.perf_counter()
simulate(RunSpec(0, 1, 0, params))
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"bytes": after - before, "seconds": seconds}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small cases")
    args = parser.parse_args()
    from nicsim.lab.budget import run_need
    from nicsim.lab.config import from_dict

    for case in QUICK if args.quick else CASES:
        need = run_need(from_dict(case))
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps(case)],
            capture_output=True,
            text=True,
            check=True,
        )
        got = json.loads(proc.stdout)
        print(
            f"{json.dumps(case) or 'defaults'}: memory {got['bytes'] / 1e6:.0f} MB, estimate "
            f"{need.memory / 1e6:.0f} MB (ratio {got['bytes'] / need.memory:.2f}); time "
            f"{got['seconds']:.2f} s, estimate {need.seconds:.2f} s "
            f"(ratio {got['seconds'] / need.seconds:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
