"""The ``nicsim`` command's grammar: its subcommands, options and their types.

Each type names the bad value in its message, and a mistake is one line (exit status 2)
like every other mistake the command reports (:mod:`nicsim.ui.cli`).
"""

from __future__ import annotations

import argparse
import os

from ..core.params import ConfigError
from ..lab.evaluators import check_scheduler_address, default_workers
from ..lab.registry import REGISTRY

EXIT_USAGE = 2  # the user's input is wrong


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake on the command line is one line like every other mistake
    (argparse's usage block before it would make two or more)."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"nicsim: error: {message} (see {self.prog} --help)\n")


def _int_at_least(low: int, high: int | None = None):
    """An argparse type: an integer >= ``low`` (and <= ``high`` if given), with a message
    naming the bad value."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if high is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{value} is not allowed: expected an integer in [{low}, {high}]"
            )
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is not allowed: expected >= {low}")
        return value

    return parse


def _scheduler(text: str) -> str:
    """An argparse type: a Dask scheduler address, checked before anything is written."""
    try:
        return check_scheduler_address(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _set_option(p: argparse.ArgumentParser) -> None:
    """``--set KEY=VALUE``, repeatable; parsed by ``nicsim.lab.config.parse_overrides``."""
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter (repeatable), validated like the config",
    )


def _execution_options(
    p: argparse.ArgumentParser,
    default_w: int | None,
    out_help: str = "results directory (default results/<name>)",
) -> None:
    _set_option(p)
    p.add_argument(
        "--replications", type=_int_at_least(1), help="replications (seeds seed..seed+R-1)"
    )
    p.add_argument("--seed", type=_int_at_least(0), help="base seed")
    p.add_argument("--out", type=user_path, help=out_help)
    p.add_argument(
        "--workers",
        type=_int_at_least(1),
        default=default_w,
        help="local worker processes (default: %(default)s)",
    )
    p.add_argument(
        "--scheduler",
        type=_scheduler,
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
    parser = _Parser(prog="nicsim", description="Simulate networked improvement communities.")
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
        action="append",
        help="final metric to analyse (a runs.csv column; default mean_outcome); repeat it "
        "to analyse several, with each parameter's verdict across them",
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
    app.add_argument(
        "--port", type=_int_at_least(1, 65535), default=8765, help="port (%(default)s)"
    )
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
    from ..analysis.studies import STUDIES

    rep = sub.add_parser("replicate", help="run a published model's replication and report it")
    rep.add_argument("study", choices=sorted(STUDIES), help="the paper to replicate")
    rep.add_argument("--only", nargs="+", metavar="SWEEP", help="run only these sweep files")
    rep.add_argument(
        "--report-only", action="store_true", help="redraw figures and summary.md without running"
    )
    rep.add_argument(
        "--configs", help="folder of the sweep files (default configs/replications/STUDY)"
    )
    _execution_options(
        rep,
        default_workers(),
        out_help="where the study's folder goes: OUT/STUDY/SWEEP (default results/replications)",
    )
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
