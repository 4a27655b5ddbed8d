"""Paired timing of the NIC model: this tree against another version, in one process.

This machine's speed varies by up to 1.8x within minutes, which hides a 5% change between
two benchmark runs. Here both versions run in the same process, alternating seed by seed
(and which goes first), so drift hits both alike; the median of the per-seed ratios is
the comparison. The other version is a source tree (for example a ``git worktree`` of an
older commit); its ``nicsim`` package is copied and imported under another name.

    git worktree add /tmp/old 1cd1415
    python benchmarks/paired.py /tmp/old --rounds 8
    python benchmarks/paired.py /tmp/old --set 'judgment="model1"' novice_capacity=1.0
"""

from __future__ import annotations

import importlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from trees import THIS, comparison_parser, modules

from nicsim.core.params import ConfigError
from nicsim.lab.config import from_dict, parse_overrides


def load(tree: Path, name: str, into: Path):
    """The model and params modules of ``tree``'s nicsim, imported as package ``name``."""
    shutil.copytree(tree / "nicsim", into / name)
    return tuple(importlib.import_module(f"{name}.{module}") for module in modules(tree))


def per_agent_step(model_module, params_module, seed: int, changes: dict) -> float:
    params = params_module.Params(**changes)
    model = model_module.NICModel(params, seed=seed)
    start = time.perf_counter()
    model.run()
    elapsed = time.perf_counter() - start
    agents = len(model.agents)
    model.release()
    return elapsed / (agents * params.steps) * 1e6


def main(argv: list[str] | None = None) -> int:
    ap = comparison_parser(__doc__)
    ap.add_argument("--rounds", type=int, default=5, help="rounds of 10 seeds (default 5)")
    ap.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="parameters other than the defaults, for both trees",
    )
    args = ap.parse_args(argv)
    try:
        changes = parse_overrides(args.set)
        from_dict(changes)  # checked here, by this tree's rules, before anything runs
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, tmp)
        versions = {
            "other": load(args.other, "nicsim_other", Path(tmp)),
            "this": load(THIS, "nicsim_this", Path(tmp)),
        }
        times: dict[str, list[float]] = {"other": [], "this": []}
        for r in range(args.rounds):
            for seed in range(1000, 1010):
                order = ("other", "this") if (r + seed) % 2 == 0 else ("this", "other")
                for name in order:
                    times[name].append(per_agent_step(*versions[name], seed, changes))
    ratios = [b / a for a, b in zip(times["other"], times["this"], strict=True)]
    print(
        f"NIC {' '.join(args.set) or 'default'}, microseconds per agent-step over "
        f"{len(ratios)} paired runs: "
        f"other median {statistics.median(times['other']):.2f}, "
        f"this median {statistics.median(times['this']):.2f}; "
        f"median paired ratio this/other {statistics.median(ratios):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
