"""The ``nicsim`` command: run, sweep, compare, sensitivity, replicate, params, app, animate.

A user's mistake ends with one line on stderr naming what is wrong and exit status 2; a
run or sweep that is interrupted (130) or cannot finish (a full disk, a run that ends its
worker every time: 1) keeps every finished run and says in one line how to resume
(:func:`execute`).
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import json
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from ..core.params import ConfigError, unread_settings, unread_warnings
from ..lab import budget
from ..lab.config import load_config, merge_run_options, parse_overrides, to_toml
from ..lab.evaluators import RunBreaksWorkers, RunResult, evaluate
from ..lab.plans import Plan, check_inputs, never_read_in, replications_plan
from ..lab.registry import NIC, get_model
from ..lab.store import RunStore, check_folder, file_in_the_way
from ..lab.sweeps import load_sweep, read_sweep
from .arguments import EXIT_USAGE, build_parser
from .progress import Progress

EXIT_FAILED = 1  # could not finish (a full disk, a run that crashes): saved runs stay
EXIT_INTERRUPTED = 130  # Ctrl-C: saved runs stay
SUMMARY_METRICS = list(NIC.report_metrics)  # each model's are in nicsim.lab.registry


def serve_app(host: str, port: int, config: str | None, allow_large: bool = False) -> int:
    """Check the config, the app extra and the address, print it, then become Solara's server.

    Everything that can stop the page is checked before "serving" is printed, so a mistake
    is one line here rather than a traceback in the page or after the promise of a page.
    A classroom page must make no call off the machine: Solara's telemetry and its check
    for a newer release are switched off (its browser assets come from solara-assets).
    """
    env = dict(
        os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", SOLARA_THEME_SHOW_BANNER="False"
    )
    if config:
        from ..nic.graphs import named_graph

        # a bad or too large config is reported here, in one line, not in the page
        params = load_config(config).params
        _warn([*unread_settings([params]), *budget.check_run(params, allow_large)])
        named_graph(params)  # the graph file too, read as the page will
        env["NICSIM_APP_CONFIG"] = str(Path(config).resolve())
    try:
        import solara  # noqa: F401
        import solara_assets  # noqa: F401  # type: ignore[import-not-found]
    except ImportError as exc:
        raise ConfigError(
            f"the page needs the app extra ({exc.name} is missing): "
            'python3 -m pip install -e ".[app]"'
        ) from None
    if not check_listen(host, port):
        print(
            f"nicsim app: warning: --host {host} is not a loopback address: the page will be "
            "reachable from other machines on the network (use 127.0.0.1 to keep it on this one)",
            file=sys.stderr,
        )
    shown = f"[{host}]" if ":" in host else host
    print(f"nicsim app: serving the classroom page at http://{shown}:{port}/ (Ctrl+C stops it)")
    sys.stdout.flush()
    args = ["-m", "solara", "run", "nicsim.ui.app", "--host", host, "--port", str(port)]
    args += ["--production", "--no-open", "--no-check-version", "--log-level", "warning"]
    os.execve(sys.executable, [sys.executable, *args], env)
    return 0  # not reached: the process is now the server


def check_listen(host: str, port: int) -> bool:
    """Refuse (one line) an address the page's server could not listen on; whether it is
    loopback only, i.e. out of other machines' reach.

    Each address ``host`` stands for is bound and released at once, as the server will bind
    it (asyncio's ``create_server``: SO_REUSEADDR, IPv6 sockets IPv6-only), so a port in use
    is found before "serving" is printed, not by the server after it.
    """
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(f"--host {host!r} is not allowed: no such address ({reason})") from None
    for family, kind, proto, _, address in found:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise ConfigError(
                        f"--port {port} is not allowed: port {port} on {host} is in use by "
                        "another program; choose another port with --port"
                    ) from None
                raise ConfigError(
                    f"--host {host} --port {port}: cannot listen there ({exc.strerror})"
                ) from None
    return all(ipaddress.ip_address(a[4][0].partition("%")[0]).is_loopback for a in found)


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
            blocking = file_in_the_way(Path(args.out).parent)
            if blocking is not None:
                raise ConfigError(
                    f"--out {args.out!r} cannot be written: {blocking} is a file, not a folder"
                )
            seed = cfg.seed if args.seed is None else args.seed
            frames = cfg.params.steps + 1
            _warn(
                [
                    *unread_settings([cfg.params]),
                    *budget.check_run(cfg.params, args.allow_large, frames=frames),
                ]
            )
            from .animate import render_gif  # matplotlib: once the run is known to fit

            try:
                out = render_gif(cfg.params, seed, args.out, fps=args.fps)
            except OSError as exc:
                raise ConfigError(f"--out {args.out!r} cannot be written: {exc.strerror}") from None
            print(f"wrote {out} ({cfg.params.steps + 1} frames, seed {seed})")
            return 0
        if args.command == "compare":
            from ..analysis.report import NotSaved, write_comparison

            try:
                print(write_comparison(args.dir, args.by, args.reference), end="")
            except NotSaved as exc:
                print(exc.text, end="")  # the comparison is still the answer asked for
                raise
            return 0
        if args.command == "replicate":
            return replicate(args)
        if args.command == "run":
            overrides = merge_run_options(parse_overrides(args.set), args.replications, args.seed)
            plan = replications_plan(load_config(args.config, overrides))
        elif args.command == "sensitivity":
            from ..lab import sensitivity

            sweep = read_sweep(args.sweep, parse_overrides(args.set), args.replications, args.seed)
            metrics = args.output or ["mean_outcome"]
            for metric in metrics:  # before hours of runs, not after
                sensitivity.check_output(sweep.base, metric)
            design = sensitivity.design(sweep, args.method)
            guard([design.plan], args)

            def analyse(out: Path) -> str:
                from ..analysis.report import write_sensitivity

                return write_sensitivity(out, design, metrics)

            return execute(design.plan, args, report=analyse)[0]
        else:
            plan = load_sweep(args.sweep, parse_overrides(args.set), args.replications, args.seed)
        guard([plan], args)

        def summary(out: Path) -> str:
            from ..analysis.report import summary_text

            return summary_text(out, plan)

        return execute(plan, args, report=summary)[0]
    except ConfigError as exc:
        one_line = " ".join(str(exc).splitlines())  # a value may quote a line break
        print(f"nicsim: error: {one_line}", file=sys.stderr)
        return EXIT_USAGE


def guard(plans: list[Plan], args: argparse.Namespace) -> None:
    """Refuse a plan that would need more memory than this machine has, before anything
    is built or read (``nicsim.lab.budget``); print the warnings of each, and those of
    settings no run of the plans reads (:func:`nicsim.lab.plans.never_read_in`)."""
    from ..lab.store import MAX_RUNS

    _warn(unread_warnings(never_read_in(plans)))
    for plan in plans:
        _warn(
            budget.check(
                plan, args.workers, bool(args.scheduler), args.allow_large, max_runs=MAX_RUNS
            )
        )


def _warn(lines: list[str]) -> None:
    for line in lines:
        print(f"nicsim: warning: {line}", file=sys.stderr)


def execute(
    plan: Plan,
    args: argparse.Namespace,
    report: Callable[[Path], str] | None = None,
) -> tuple[int, Path]:
    """Run what is missing from the plan's directory, write the final tables, then print
    ``report(out)`` (the summary, which draws the figures), all with the directory locked.

    Whatever stops the command early, it ends with one line saying how many runs are saved
    (they all stay) and what to do, never a traceback, and manifest.json says the same:
    Ctrl-C at any moment, exit 130; a write that fails (a full disk) before the final
    tables are complete, or a run that ends its worker process every time, exit 1. Once the
    tables are complete the results are, so a failed summary or figure is a warning.
    """
    check_inputs(plan)
    out = Path(args.out) if args.out else default_out(plan)
    total = len(plan.runs)
    with RunStore(out) as store:
        try:
            try:
                done = store.open(plan, force=args.force, command=["nicsim", *sys.argv[1:]])
            except OSError as exc:
                raise _NotWritten(exc) from None
            try:
                _run_missing(plan, args, store, done)
            except ConfigError:
                store.discard()  # refused before any run was saved: nothing left behind
                raise
            try:
                store.finalize()
            except OSError as exc:
                return _failed(
                    store,
                    f"{_saved(store, total)} in {out / '.runs'}, but the final tables could "
                    f"not be written ({_reason(exc)}); run the same command again {_when(exc)}",
                )
            if report is not None:
                try:
                    text = report(out)
                except OSError as exc:
                    print(
                        f"nicsim: warning: the results in {out} are complete, but the summary "
                        f"and figures could not be written ({_reason(exc)})",
                        file=sys.stderr,
                    )
                else:
                    print(text)
            return 0, out
        except KeyboardInterrupt:
            then = "for the summary and figures" if store.complete else "to finish the rest"
            print(
                f"\ninterrupted: {store.saved()} of {total} runs are saved in {out}; run the "
                f"same command again {then}{_record(store)}",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED, out
        except _NotWritten as failed:
            exc = failed.args[0]
            return _failed(
                store,
                f"cannot write in {out} ({_reason(exc)}); {_saved(store, total)}; run the "
                f"same command again {_when(exc)}",
            )
        except RunBreaksWorkers as exc:
            spec = exc.spec
            about = to_toml({"seed": spec.seed, **spec.swept}).strip().replace("\n", ", ")
            others = f" (and {exc.others} other runs)" if exc.others else ""
            return _failed(
                store,
                f"run {spec.run_id} ({about}){others} ended its worker process {exc.times} times "
                "(a crash in native code, or more memory than the machine has?): it will never "
                f"finish; {_saved(store, total)} in {out}",
            )


def _run_missing(plan: Plan, args: argparse.Namespace, store: RunStore, done: set[int]) -> None:
    """Run the plan's runs that ``store`` does not hold yet, saving each as it ends."""
    out = store.root
    todo = plan.runs.missing(done)  # made one at a time, seed by seed
    if store.damaged:
        print(
            f"set aside {len(store.damaged)} damaged or foreign run file(s) in "
            f"{out / '.runs' / 'damaged'}"
            + ("" if store.from_tables else "; their runs run again"),
            file=sys.stderr,
        )
    if store.from_tables:
        print(f"{out} holds all {len(done)} runs' final tables: nothing to run", file=sys.stderr)
    elif done:
        print(f"resuming {out}: {len(done)} of {len(plan.runs)} runs already done", file=sys.stderr)
    progress = Progress(len(plan.runs), len(done), label=plan.name)

    def save(result: RunResult) -> None:
        try:
            store.save(result)
        except OSError as exc:
            raise _NotWritten(exc) from None
        progress.update()

    try:
        evaluate(todo, workers=args.workers, scheduler=args.scheduler, on_result=save)
    except OSError as exc:  # the scheduler's connection once made (reaching it: evaluate)
        _record(store)
        where = f"the Dask scheduler at {args.scheduler}" if args.scheduler else "a run"
        raise ConfigError(f"{where} failed: {exc}") from None
    finally:
        progress.close()


class _NotWritten(Exception):
    """A write into the results directory failed (args[0]: the OSError), as opposed to an
    OSError of the scheduler's connection or of a run."""


def _failed(store: RunStore, message: str) -> tuple[int, Path]:
    """End the command with one line (and the manifest brought up to date): status 1."""
    print(f"nicsim: error: {message}{_record(store)}", file=sys.stderr)
    return EXIT_FAILED, store.root


def _record(store: RunStore) -> str:
    """Bring manifest.json up to date with the runs saved; '' or a clause saying it could
    not be (so the line printed never leaves a stale manifest unmentioned)."""
    if store.complete:
        return ""  # already true, with its finishing time
    try:
        store.write_manifest()
    except OSError as exc:
        return f" (manifest.json could not be updated: {_reason(exc)})"
    return ""


def _saved(store: RunStore, total: int) -> str:
    n = store.saved()
    return f"all {n} runs are saved" if n == total else f"{n} of {total} runs are saved"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _when(exc: OSError) -> str:
    return "when there is space" if exc.errno == errno.ENOSPC else "once it can write there"


def default_out(plan: Plan) -> Path:
    """Where a run or sweep writes without ``--out``: ``results/<name>``, which git ignores, so
    a command works as written in a fresh clone (committed results live elsewhere)."""
    return Path("results") / plan.name


def replicate(args: argparse.Namespace) -> int:
    """Run a study's sweeps, each into OUT/STUDY/SWEEP (resuming what is done), then report."""
    from ..analysis.studies import STUDIES

    study = STUDIES[args.study]
    folder = Path(args.configs or Path("configs") / "replications" / study.name)
    unknown = sorted(set(args.only or ()) - set(study.sweeps))
    if unknown:
        raise ConfigError(
            f"--only {' '.join(unknown)} is not allowed: expected sweeps of {study.name}: "
            f"{', '.join(study.sweeps)}"
        )
    root = Path(args.out) / study.name
    check_folder(root)  # --report-only writes there too
    names = () if args.report_only else (args.only or study.sweeps)
    plans = {
        name: load_sweep(
            folder / f"{name}.toml", parse_overrides(args.set), args.replications, args.seed
        )
        for name in names
    }
    guard(list(plans.values()), args)  # every sweep's estimate before the first is run
    for name, plan in plans.items():
        if _complete(root / name, plan):
            # re-finalising would only rewrite the same tables and lose the manifest's times
            print(f"{name}: complete in {root / name}, not run again", file=sys.stderr)
            continue
        code, _ = execute(plan, argparse.Namespace(**{**vars(args), "out": root / name}))
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


if __name__ == "__main__":  # the installed command is nicsim.ui.console:entry
    sys.exit(main())
