"""The benchmark scripts run and report in the agreed format (no timing is checked here)."""

import shutil
import subprocess
import sys


def test_quick_benchmarks_report_median_target_and_ratio(root):
    cmd = [
        sys.executable,
        str(root / "benchmarks/run.py"),
        "--quick",
        "--only",
        "lazer_friedman",
        "nic_default",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=root)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    reports = [line for line in lines if "median" in line and "target" in line]
    assert len(reports) == 2
    for line in reports:
        assert "ratio" in line and "min" in line and "max" in line
    assert "faster" in proc.stdout  # the straightforward reference ran beside nicsim
    assert "nothing about time was checked" in lines[-1]


def test_identical_tells_a_changed_rule_from_unchanged_ones(root, tmp_path):
    """A copy of nicsim whose PDSA draws one fewer local try: PDSA runs differ from this
    tree's, copy_best and conformity runs (which never read it) stay identical."""
    tree = tmp_path / "tree"
    shutil.copytree(root / "nicsim", tree / "nicsim", ignore=shutil.ignore_patterns("__pycache__"))
    learning = tree / "nicsim" / "nic" / "learning.py"
    source = learning.read_text()
    assert "\nLOCAL_TRIES = 4" in source
    learning.write_text(source.replace("\nLOCAL_TRIES = 4", "\nLOCAL_TRIES = 3"))
    cmd = [sys.executable, str(root / "benchmarks/identical.py"), str(tree), "--seeds", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=root)
    assert proc.returncode == 1, proc.stderr
    verdicts = dict(line.rsplit(": ", 1) for line in proc.stdout.splitlines() if ": " in line)
    assert verdicts["defaults"] == "DIFFERS at seeds [0]"
    assert verdicts['{"learning": "copy_best", "design": "networked"}'] == "identical (1 seed)"
    assert verdicts['{"learning": "conformity", "design": "hub"}'] == "identical (1 seed)"
    assert proc.stdout.splitlines()[-1] == "3 of 10 configurations give the same outputs"
