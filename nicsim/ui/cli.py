"""The ``nicsim`` command: run, sweep, compare, sensitivity, replicate, params, app, animate.

A user's mistake ends with one line on stderr naming what is wrong and exit status 2;
an interrupted run or sweep keeps every finished run and says how to resume.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..core.params import ConfigError
from ..lab import budget
from ..lab.config import load_config, parse_overrides
from ..lab.evaluators import default_workers, evaluate
from ..lab.plans import Plan, check_inputs, load_sweep, read_sweep, replications_plan
from ..lab.registry import NIC, REGISTRY, get_model
from ..lab.store import RunStore
from .progress import Progress

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
SUMMARY_METRICS = list(NIC.report_metrics)  # each model's are in nicsim.lab.registry


def _int_at_least(low: int):
    """An argparse type: an integer >= ``low``, with a message naming the bad value."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is not allowed: expected >= {low}")
        return value

    return parse


def _set_option(p: argparse.ArgumentParser) -> None:
    """``--set KEY=VALUE``, repeatable; parsed by ``nicsim.lab.config.parse_overrides``."""
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter (repeatable), validated like the config",
    )


def _execution_options(p: argparse.ArgumentParser, default_w: int | None) -> None:
    _set_option(p)
    p.add_argument(
        "--replications", type=_int_at_least(1), help="replications (seeds seed..seed+R-1)"
    )
    p.add_argument("--seed", type=_int_at_least(0), help="base seed")
    p.add_argument("--out", type=user_path, help="results directory (default results/<name>)")
    p.add_argument(
        "--workers",
        type=_int_at_least(1),
        default=default_w,
        help="local worker processes (default: %(default)s)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask distributed scheduler, e.g. tcp://127.0.0.1:8786",
    )
    p.add_argument(
        "--force", action="store_true", help="replace results of a different experiment in --out"
    )
    _allow_large_option(p)


def _allow_large_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-large",
        action="store_true",
        help="run even when the estimated memory is more than half of this machine's",
    )


def user_path(text: str) -> str:
    """A path as the user meant it: a leading ``~`` is their home even when quoted, so that
    every later step (ours, pyarrow's) reads and writes the same place."""
    return os.path.expanduser(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nicsim", description="Simulate networked improvement communities."
    )
    from ..core.version import __version__

    parser.add_argument("--version", action="version", version=f"nicsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run R replications of one config")
    run.add_argument("config", help="TOML config, e.g. configs/default.toml")
    _execution_options(run, 1)
    sweep = sub.add_parser("sweep", help="run a parameter sweep that survives a crash")
    sweep.add_argument("sweep", help="sweep TOML file")
    _execution_options(sweep, default_workers())
    sens = sub.add_parser("sensitivity", help="Morris or Sobol sensitivity analysis (SALib)")
    sens.add_argument("sweep", help="sweep TOML file with [sample] points and [sample.ranges]")
    sens.add_argument("--method", choices=("morris", "sobol"), default="morris")
    sens.add_argument(
        "--output",
        default="mean_outcome",
        help="final metric to analyse (a runs.csv column; default %(default)s)",
    )
    _execution_options(sens, default_workers())
    compare = sub.add_parser("compare", help="compare groups of runs in a results directory")
    compare.add_argument("dir", type=user_path, help="results directory of a run or sweep")
    compare.add_argument("--by", help="runs.csv column to group by (default: first swept)")
    compare.add_argument("--reference", help="value of --by to compare with (default: first)")
    params = sub.add_parser(
        "params", help="print the parameter table (name, meaning, default, range)"
    )
    params.add_argument(
        "--model", choices=list(REGISTRY), default="nic", help="model (default: %(default)s)"
    )
    app = sub.add_parser("app", help="serve the classroom page (needs the app extra)")
    app.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    app.add_argument("--port", type=_int_at_least(1), default=8765, help="port (%(default)s)")
    app.add_argument("--config", help="TOML config whose values the page starts from")
    _allow_large_option(app)
    anim = sub.add_parser("animate", help="render one run as an animated GIF for slides")
    anim.add_argument("config", help="TOML config, e.g. configs/default.toml")
    anim.add_argument(
        "--out", type=user_path, required=True, help="GIF file to write, e.g. results/demo.gif"
    )
    _set_option(anim)
    anim.add_argument("--seed", type=_int_at_least(0), help="seed (default: the config's)")
    anim.add_argument("--fps", type=_positive_float, default=4.0, help="frames (months) a second")
    _allow_large_option(anim)
    from ..analysis.replications import STUDIES

    rep = sub.add_parser("replicate", help="run a published model's replication and report it")
    rep.add_argument("study", choices=sorted(STUDIES), help="the paper to replicate")
    rep.add_argument("--only", nargs="+", metavar="SWEEP", help="run only these sweep files")
    rep.add_argument(
        "--report-only", action="store_true", help="redraw figures and summary.md without running"
    )
    rep.add_argument(
        "--configs", help="folder of the sweep files (default configs/replications/STUDY)"
    )
    _execution_options(rep, default_workers())
    rep.set_defaults(out="results/replications")
    return parser


def _positive_float(text: str) -> float:
    """An argparse type: a number > 0, with a message naming the bad value."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{value:g} is not allowed: expected a number > 0")
    return value


def serve_app(host: str, port: int, config: str | None, allow_large: bool = False) -> int:
    """Check the config and the app extra, print the address, then become Solara's server.

    A classroom page must make no call off the machine: Solara's telemetry and its check
    for a newer release are switched off (its browser assets come from solara-assets).
    """
    env = dict(
        os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", SOLARA_THEME_SHOW_BANNER="False"
    )
    if config:
        # a bad or too large config is reported here, in one line, not in the page
        _warn(budget.check_run(load_config(config).params, allow_large))
        env["NICSIM_APP_CONFIG"] = str(Path(config).resolve())
    try:
        import solara  # noqa: F401
        import solara_assets  # noqa: F401  # type: ignore[import-not-found]
    except ImportError as exc:
        raise ConfigError(
            f"the page needs the app extra ({exc.name} is missing): "
            'python3 -m pip install -e ".[app]"'
        ) from None
    shown = f"[{host}]" if ":" in host else host
    print(f"nicsim app: serving the classroom page at http://{shown}:{port}/ (Ctrl+C stops it)")
    sys.stdout.flush()
    args = ["-m", "solara", "run", "nicsim.ui.app", "--host", host, "--port", str(port)]
    args += ["--production", "--no-open", "--no-check-version", "--log-level", "warning"]
    os.execve(sys.executable, [sys.executable, *args], env)
    return 0  # not reached: the process is now the server


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "params":
        from ..lab.config import parameter_table

        print(parameter_table(get_model(args.model).params))
        return 0
    try:
        if args.command == "app":
            return serve_app(args.host, args.port, args.config, args.allow_large)
        if args.command == "animate":
            cfg = load_config(args.config, parse_overrides(args.set))
            if Path(args.out).suffix.lower() != ".gif" or Path(args.out).is_dir():
                raise ConfigError(
                    f"--out {args.out!r} is not allowed: expected a file name ending in .gif"
                )
            seed = cfg.seed if args.seed is None else args.seed
            _warn(budget.check_run(cfg.params, args.allow_large, frames=cfg.params.steps + 1))
            from .animate import render_gif  # matplotlib: once the run is known to fit

            try:
                out = render_gif(cfg.params, seed, args.out, fps=args.fps)
            except OSError as exc:
                raise ConfigError(f"--out {args.out!r} cannot be written: {exc.strerror}") from None
            print(f"wrote {out} ({cfg.params.steps + 1} frames, seed {seed})")
            return 0
        if args.command == "compare":
            from ..analysis.report import write_comparison

            print(write_comparison(args.dir, args.by, args.reference), end="")
            return 0
        if args.command == "replicate":
            return replicate(args)
        if args.command == "run":
            overrides = parse_overrides(args.set)
            for key in ("replications", "seed"):
                if getattr(args, key) is not None:
                    overrides[key] = getattr(args, key)
            plan = replications_plan(load_config(args.config, overrides))
        elif args.command == "sensitivity":
            from ..lab import sensitivity

            sweep = read_sweep(args.sweep, parse_overrides(args.set), args.replications, args.seed)
            design = sensitivity.design(sweep, args.method)
            guard(design.plan, args)
            code, out = execute(design.plan, args)
            if code == 0:
                from ..analysis.report import write_sensitivity

                print(write_sensitivity(out, design, args.output))
            return code
        else:
            plan = load_sweep(args.sweep, parse_overrides(args.set), args.replications, args.seed)
        guard(plan, args)
        code, out = execute(plan, args)
        if code == 0:
            from ..analysis.report import summary_text

            print(summary_text(out, plan))
        return code
    except ConfigError as exc:
        print(f"nicsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def guard(plan: Plan, args: argparse.Namespace) -> None:
    """Refuse a plan that would need more memory than this machine has, before anything
    is built or read (``nicsim.lab.budget``); print its warnings."""
    from ..lab.store import MAX_RUNS

    _warn(
        budget.check(plan, args.workers, bool(args.scheduler), args.allow_large, max_runs=MAX_RUNS)
    )


def _warn(lines: list[str]) -> None:
    for line in lines:
        print(f"nicsim: warning: {line}", file=sys.stderr)


def execute(plan: Plan, args: argparse.Namespace, by_seed: bool = False) -> tuple[int, Path]:
    """Run what is missing from the plan's directory, then write the final tables.

    ``by_seed`` hands the runs out seed by seed (all grid points of replication 0, then 1,
    ...), so a worker's next run usually shares its landscape with the last one and finds it
    in the model's one-landscape cache. Results are the same in any order.
    """
    check_inputs(plan)
    out = Path(args.out) if args.out else Path("results") / plan.name
    store = RunStore(out)
    done = store.open(plan, force=args.force, command=["nicsim", *sys.argv[1:]])
    todo = plan.runs.missing(done, by_seed)  # made one at a time as they are handed out
    if store.damaged:
        print(
            f"set aside {len(store.damaged)} damaged or foreign run file(s) in "
            f"{out / '.runs' / 'damaged'}; their runs run again",
            file=sys.stderr,
        )
    if done:
        print(f"resuming {out}: {len(done)} of {len(plan.runs)} runs already done", file=sys.stderr)
    progress = Progress(len(plan.runs), len(done), label=plan.name)

    def save(result) -> None:
        store.save(result)
        progress.update()

    try:
        evaluate(todo, workers=args.workers, scheduler=args.scheduler, on_result=save)
    except KeyboardInterrupt:
        progress.close()
        n = len(store.done())
        store.write_manifest(complete=False, runs_done=n)
        print(
            f"\ninterrupted: {n} of {len(plan.runs)} runs are saved in {out}; run the same "
            "command again to finish the rest",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED, out
    except OSError as exc:
        raise ConfigError(f"cannot reach the scheduler or write results: {exc}") from None
    progress.close()
    store.finalize()
    return 0, out


def replicate(args: argparse.Namespace) -> int:
    """Run a study's sweeps, each into OUT/STUDY/SWEEP (resuming what is done), then report."""
    from ..analysis.replications import STUDIES

    study = STUDIES[args.study]
    folder = Path(args.configs or Path("configs") / "replications" / study.name)
    unknown = sorted(set(args.only or ()) - set(study.sweeps))
    if unknown:
        raise ConfigError(
            f"--only {' '.join(unknown)} is not allowed: expected sweeps of {study.name}: "
            f"{', '.join(study.sweeps)}"
        )
    root = Path(args.out) / study.name
    names = () if args.report_only else (args.only or study.sweeps)
    plans = {
        name: load_sweep(
            folder / f"{name}.toml", parse_overrides(args.set), args.replications, args.seed
        )
        for name in names
    }
    for plan in plans.values():  # every sweep's estimate before the first is run
        guard(plan, args)
    for name, plan in plans.items():
        if _complete(root / name, plan):
            # re-finalising would only rewrite the same tables and lose the manifest's times
            print(f"{name}: complete in {root / name}, not run again", file=sys.stderr)
            continue
        code, _ = execute(
            plan, argparse.Namespace(**{**vars(args), "out": root / name}), by_seed=True
        )
        if code:
            return code
    study.report(root)
    print(f"{study.name}: figures and summary.md in {root}")
    return 0


def _complete(out: Path, plan: Plan) -> bool:
    """Whether ``out`` already holds every run of this very plan, finalised."""
    try:
        made = json.loads((out / "plan.json").read_text())["fingerprint"]
        manifest = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError, KeyError):
        return False
    return made == plan.fingerprint() and manifest.get("complete") is True


def entry() -> None:
    """The console command: `nicsim ... | head` ends quietly when head closes the pipe."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    entry()
