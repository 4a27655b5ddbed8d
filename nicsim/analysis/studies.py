"""The replicated papers that ``nicsim replicate`` knows: each one's sweep files (in run
order), the rounds kept per run and the report that turns the sweeps into figures and
``summary.md``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .barkoczi_galesic import report as barkoczi_galesic_report
from .barkoczi_galesic_tables import BG_STEPS, BG_SWEEPS
from .replications import (
    LF_STEPS,
    LF_SWEEPS,
    MARCH_SWEEPS,
    lazer_friedman_report,
    march_report,
)


@dataclass(frozen=True)
class Study:
    """A replicated paper: its sweep files (in run order) and how to report them."""

    name: str
    sweeps: tuple[str, ...]
    report: Callable[[Path], str]
    steps: tuple[int, ...]  # rounds kept per run in at_steps.csv


STUDIES = {
    "lazer_friedman_2007": Study("lazer_friedman_2007", LF_SWEEPS, lazer_friedman_report, LF_STEPS),
    "march_1991": Study("march_1991", MARCH_SWEEPS, march_report, ()),
    "barkoczi_galesic_2016": Study(
        "barkoczi_galesic_2016", BG_SWEEPS, barkoczi_galesic_report, BG_STEPS
    ),
}
