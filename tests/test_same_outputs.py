"""The same seed and parameters give the same ``runs.csv`` and ``timeseries.parquet`` on every
supported Python and Mesa (3.11 with Mesa 3.3, 3.12 and 3.13 with Mesa 3.5).

Each case runs ``nicsim run`` as a user would and compares both tables, value for value,
with the reference tables committed in ``tests/reference/`` (written as CSV with
round-trip float formatting, so equality is bit for bit). Either Python alone can check it;
CI runs it on both. A deliberate change to the model's outputs rewrites the references:

    python tests/test_same_outputs.py --write
"""

from __future__ import annotations

import sys
from itertools import zip_longest
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path(__file__).resolve().parent / "reference"

# name -> (config, extra arguments): every design family, each learning rule, turnover,
# several contexts, a network read from a file, and the March model.
CASES: dict[str, tuple[str, list[str]]] = {
    "default": ("configs/default.toml", []),
    "networked_turnover": (
        "configs/networked.toml",
        ["--set", "turnover_rate=0.5", "--set", "tests_per_leader=2", "--set", "min_tests=3"],
    ),
    "siloed_contexts": (
        "configs/siloed.toml",
        ["--set", "h=0.8", "--set", "n_contexts=3", "--set", "partnerships=4"],
    ),
    "small_world_conformity": (
        "configs/default.toml",
        ["--set", 'design="small_world"', "--set", 'learning="conformity"'],
    ),
    "line_copy_best": (
        "configs/replications/lazer_friedman_2007/base.toml",
        ["--set", "steps=20", "--set", "n_districts=30"],
    ),
    "my_network": ("configs/my_network.toml", []),
    # model 2's people switched off: model 1's rules in model 1's units
    "model1": ("configs/model1.toml", ["--set", "steps=12"]),
    # model 2's universities learning and preparing: research quality below 1, a hub
    "universities": (
        "configs/hub.toml",
        ["--set", "research_quality=0.3", "--set", "preparation=0.8", "--set", "steps=12"],
    ),
    "march": ("configs/replications/march_1991/base.toml", ["--set", "max_periods=60"]),
    # the paper's text alone: superiority by knowledge of beliefs, socialisation by jumps
    "march_knowledge": (
        "configs/replications/march_1991/base.toml",
        [
            "--set",
            "max_periods=60",
            "--set",
            'superiority="knowledge"',
            "--set",
            'socialisation="jump"',
        ],
    ),
}


def tables(config: str, extra: list[str], out: Path) -> dict[str, str]:
    """Both output tables of one ``nicsim run``, as CSV text with the clone's path removed."""
    from nicsim.ui.cli import main

    code = main(["run", str(ROOT / config), *extra, "--replications", "2", "--out", str(out)])
    assert code == 0, f"nicsim run {config} failed"
    runs = pd.read_csv(out / "runs.csv", keep_default_na=False, dtype=str)
    series = pd.read_parquet(out / "timeseries.parquet")
    return {
        "runs.csv": runs.to_csv(index=False).replace(str(ROOT), "<repo>"),
        "timeseries.csv": series.to_csv(index=False),
    }


@pytest.mark.parametrize("name", CASES)
def test_outputs_equal_the_committed_reference(name, tmp_path, capsys):
    config, extra = CASES[name]
    got = tables(config, extra, tmp_path / name)
    capsys.readouterr()  # the run's summary table is not under test here
    for table, text in got.items():
        expected = (REFERENCE / f"{name}.{table}").read_text()
        assert text == expected, (
            f"{name}: {table} differs from tests/reference/{name}.{table} at "
            + first_difference(expected, text)
        )


def first_difference(expected: str, got: str) -> str:
    pairs = zip_longest(expected.splitlines(), got.splitlines(), fillvalue="<no line>")
    for i, (a, b) in enumerate(pairs, start=1):
        if a != b:
            return f"line {i}:\n  expected {a[:300]}\n  got      {b[:300]}"
    return "no line"


def write_references() -> None:
    import tempfile

    REFERENCE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (config, extra) in CASES.items():
            for table, text in tables(config, extra, Path(tmp) / name).items():
                (REFERENCE / f"{name}.{table}").write_text(text)
    print(f"wrote {2 * len(CASES)} reference tables to {REFERENCE}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(__doc__)
    write_references()
