"""March (1991): the replication pipeline, end to end at a tiny scale (the full runs live in
``nicsim replicate march_1991`` and validation/march_1991/, not in tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nicsim.analysis.march_plots import REFERENCE, reference_table
from nicsim.analysis.replications import MARCH_SWEEPS
from nicsim.analysis.studies import STUDIES
from nicsim.lab.sweeps import load_sweep
from nicsim.ui.cli import main

MARCH = Path(__file__).resolve().parents[1] / "configs" / "replications" / "march_1991"


def test_every_sweep_file_loads_and_figure1_reads_the_original_program():
    plans = {n: load_sweep(MARCH / f"{n}.toml") for n in MARCH_SWEEPS}
    assert set(STUDIES["march_1991"].sweeps) == set(plans)
    base = plans["figure1"].base
    assert (base.superiority, base.socialisation) == ("performance", "step")
    old = plans["figure1_knowledge"].base
    assert (old.superiority, old.socialisation) == ("knowledge", "jump")


def test_published_levels_cover_the_figure1_grid():
    table = reference_table()
    assert len(table) == 27 and set(table["p2"]) == set(REFERENCE)
    assert table["reference"].between(0.7, 1.0).all()


@pytest.mark.slow
def test_replicate_march_runs_reports_and_redraws_from_the_committed_files(tmp_path):
    args = ["replicate", "march_1991", "--only", "figure1", "turbulence", "--replications", "1"]
    small = ["--set", "m=10", "--set", "n=10", "--workers", "1", "--out", str(tmp_path)]
    assert main([*args, *small]) == 0
    root = tmp_path / "march_1991"
    summary = (root / "summary.md").read_text()
    assert "Figure 1 against the published levels" in summary
    assert "Not run (or not finished) yet: figure1_jump" in summary
    for fig in ("figure1/figures/figure1.png", "turbulence/figures/turbulence.png"):
        assert (root / fig).stat().st_size > 0
    (root / "figure1" / "timeseries.parquet").unlink()  # not committed
    (root / "summary.md").unlink()
    assert main(["replicate", "march_1991", "--report-only", "--out", str(tmp_path)]) == 0
    assert (root / "summary.md").read_text() == summary
