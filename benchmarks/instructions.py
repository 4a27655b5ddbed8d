"""Instructions executed by default NIC runs: this tree against another, counted by valgrind.

Time on this shared machine varies by up to 1.8x within minutes, which hides a change of a
few percent even in paired timing. An instruction count does not drift: the same code,
seeds and inputs execute the same instructions whatever else the machine is doing. It is
not time (a numpy call and a cache miss weigh differently), but it tells reliably whether a
change to the Python work of a month made it cheaper, in one run of about a minute.

    git worktree add /tmp/old HEAD~3
    python benchmarks/instructions.py /tmp/old --runs 2

Needs valgrind (``callgrind`` and ``callgrind_control``). Only the runs are counted: each
tree is imported, its models built and warmed up uninstrumented, and counting is switched
on just before the first run and off after the last.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from trees import THIS, comparison_parser, modules

CHILD = """
import os, subprocess, sys
sys.path.insert(0, sys.argv[1])
import importlib
model_module, params_module = sys.argv[-2:]  # where this tree keeps them (trees.modules)
NICModel = importlib.import_module("nicsim." + model_module).NICModel
Params = importlib.import_module("nicsim." + params_module).Params
runs = int(sys.argv[2])
models = [NICModel(Params(), seed=1000 + s) for s in range(runs + 1)]
models[0].run(1)  # first-call costs, uninstrumented
def count(state):
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], capture_output=True)
count("on")
for m in models[1:]:
    m.run()
count("off")
"""


def instructions(tree: Path, runs: int) -> int:
    """Instructions executed by ``runs`` default runs of ``tree``'s nicsim (seeds 1001...)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={tmp}/callgrind.out",
            sys.executable,
            "-c",
            CHILD,
            str(tree),
            str(runs),
            *modules(tree),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
    found = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
    if proc.returncode != 0 or not found:
        sys.exit(f"valgrind failed on {tree}:\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    ap = comparison_parser(__doc__)
    ap.add_argument("--runs", type=int, default=2, help="default runs counted (default 2)")
    args = ap.parse_args(argv)
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        ap.error("needs valgrind (callgrind and callgrind_control): apt-get install valgrind")
    other = instructions(args.other, args.runs)
    this = instructions(THIS, args.runs)
    print(
        f"NIC default, instructions per run over {args.runs} runs: "
        f"other {other / args.runs / 1e6:.1f} M, this {this / args.runs / 1e6:.1f} M; "
        f"ratio this/other {this / other:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
