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
