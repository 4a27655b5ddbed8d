"""Shared fixtures: small, fast parameter sets and the repository root."""

from pathlib import Path

import pytest

from nicsim.nic.params import Params

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small() -> Params:
    """A small NIC: 3 partnerships of 2 districts, N = 8, 6 months."""
    return Params(
        partnerships=3,
        districts_per_partnership=2,
        leaders_per_district=2,
        n_components=8,
        k=2,
        steps=6,
    )


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tiny_sweep(tmp_path_factory):
    """``nicsim sweep`` of tiny runs (tests/tiny_runs.py): runs.csv rows, timeseries."""
    from tiny_runs import sweep_tiny

    return sweep_tiny(tmp_path_factory.mktemp("tiny_sweep"))


@pytest.fixture(scope="session")
def tiny_march(tmp_path_factory):
    """``nicsim run`` of a small March config (tests/tiny_runs.py)."""
    from tiny_runs import run_march

    return run_march(tmp_path_factory.mktemp("tiny_march"))
