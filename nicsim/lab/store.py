"""The result store: every finished run on disk at once, final tables only when all are in.

Layout of a results directory (README.md, "Outputs")::

    params.toml          resolved base parameters
    plan.json            the experiment's fingerprint and description (for resuming)
    manifest.json        versions, command, seeds, times, runs done, complete or not
    runs.csv             one row per run            (written last, atomically)
    timeseries.parquet   one row per run and step   (written last, atomically)
    .runs/NNNNNNN.parquet, .runs/NNNNNNN.json   one pair per finished run
    .nicsim              the marker: written first, it says nicsim made this directory

nicsim writes only into a directory that is new or empty, or that its marker (or, for
results made before 0.4, its ``plan.json``) shows it made; and it only ever deletes or
replaces the files listed above. A user's own files beside them are never touched.

A run counts as done when its ``.json`` part exists, names this plan's fingerprint and
matches its checksum (of the row and the time series); the part is written after the time
series and both are renamed into place after an fsync, so a kill at any instant leaves
either a whole run or none. A part that fails the check (damaged, edited, of another
experiment, or a stray file) is moved to ``.runs/damaged/`` and its run is run again.
Re-running the same command skips done runs; a different
experiment in the same directory is refused unless ``force``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import platform
import re
import sys
import time
from collections.abc import Container, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..core.params import ConfigError
from .config import to_toml
from .evaluators import RunResult
from .plans import Plan

OUTPUTS = ("runs.csv", "timeseries.parquet", "manifest.json", "plan.json", "params.toml")
PARTS = ".runs"
MARKER = ".nicsim"
PART_NAME = re.compile(r"\d{7}\.(parquet|json)(\.tmp)?")
MAX_RUNS = 10**7  # parts are named by run id in seven digits: ids 0 .. 9,999,999


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    """Write a small text output (a report) so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, text.encode())


def _json_value(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def versions() -> dict[str, str]:
    from importlib.metadata import version  # not ``import mesa``: a sweep's main never needs it

    import numpy

    from ..core.version import __version__

    return {
        "nicsim": __version__,
        "mesa": version("mesa"),
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }


def shared_place(path: Path) -> str | None:
    """What ``path`` is when it is no place for results whatever it holds: a filesystem
    root or a home directory (None otherwise)."""
    resolved = path.expanduser().resolve()
    if resolved == Path(resolved.anchor):
        return "the filesystem root"
    if resolved == Path.home().resolve():
        return "your home directory"
    return None


def _checksum(row: dict[str, Any], series: bytes) -> str:
    text = json.dumps(row, sort_keys=True).encode()
    return hashlib.sha256(text + b"\0" + series).hexdigest()


def _read_part(path: Path, fingerprint: str, planned: Container[int]) -> dict[str, Any] | None:
    """The row of the part at ``path`` if it is a whole part of run ``NNNNNNN`` of the plan
    with ``fingerprint``, else None."""
    if not PART_NAME.fullmatch(path.name) or path.suffix != ".json":
        return None
    try:
        part = json.loads(path.read_bytes())
        row, series = part["row"], path.with_suffix(".parquet").read_bytes()
        whole = (
            part["plan"] == fingerprint
            and row["run_id"] == int(path.stem)
            and row["run_id"] in planned
            and part["checksum"] == _checksum(row, series)
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return row if whole else None


class RunStore:
    """A results directory that takes runs one at a time and survives being killed."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.parts = self.root / PARTS
        self.damaged: list[str] = []  # parts set aside as untrustworthy, by file name

    # -- opening -----------------------------------------------------------------------------
    def open(self, plan: Plan, force: bool = False, command: list[str] | None = None) -> set[int]:
        """Prepare the directory for ``plan``; return the ids of runs already done."""
        self.claim()
        fingerprint = plan.fingerprint()
        existing = self._read_json("plan.json")
        if existing is not None and existing.get("fingerprint") != fingerprint:
            if not force:
                raise ConfigError(
                    f"{self.root} holds results of a different experiment "
                    f"({existing.get('name')}, {existing.get('runs')} runs): use --force to "
                    "replace them, or --out to write elsewhere"
                )
            self.clear()
        elif existing is None and any((self.root / f).exists() for f in OUTPUTS[:2]):
            if not force:
                raise ConfigError(
                    f"{self.root} holds results not made by this command: use "
                    "--force to replace them, or --out to write elsewhere"
                )
            self.clear()
        try:
            self.parts.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise ConfigError(
                f"output directory {self.root} is not writable ({exc.strerror})"
            ) from None
        self.plan = plan
        done = self.done()
        self.started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.command = command or sys.argv
        # Outputs of an earlier complete run would be stale once more runs arrive.
        if len(done) < len(plan.runs):
            for name in ("runs.csv", "timeseries.parquet"):
                (self.root / name).unlink(missing_ok=True)
        _atomic_write(self.root / "params.toml", to_toml(plan.base.to_dict()).encode())
        desc = {
            "fingerprint": fingerprint,
            "name": plan.name,
            "runs": len(plan.runs),
            "swept": list(plan.swept),
            "seed": plan.seed,
            "replications": plan.replications,
            "source": plan.source,
        }
        _atomic_write(self.root / "plan.json", json.dumps(desc, indent=2, default=str).encode())
        self.write_manifest(complete=False, runs_done=len(done))
        return done

    def claim(self) -> None:
        """Make sure nicsim may write here: the directory is new or empty (then it is marked
        as nicsim's before anything else is written), or nicsim made it.

        A directory of a user's own files is refused whatever the options, so no command
        can delete or overwrite what nicsim did not write.
        """
        root = self.root
        if root.exists() and not root.is_dir():
            raise ConfigError(f"output directory {root} is a file, not a directory")
        shared = shared_place(root)
        if shared:
            raise ConfigError(f"output directory {root} is {shared}: choose a folder of its own")
        if (root / MARKER).is_file():
            return
        made_before_markers = "fingerprint" in (self._read_json("plan.json") or {})
        if root.is_dir() and any(root.iterdir()) and not made_before_markers:
            raise ConfigError(
                f"output directory {root} is not empty and was not made by nicsim: nicsim "
                "writes only into a new or empty directory, or one it made (choose another --out)"
            )
        try:
            root.mkdir(parents=True, exist_ok=True)
            _atomic_write(root / MARKER, b"made by nicsim: a results directory\n")
        except OSError as exc:
            raise ConfigError(f"output directory {root} is not writable ({exc.strerror})") from None

    def clear(self) -> None:
        """Remove the results of another experiment: only files nicsim writes (its outputs
        and run parts); figures are redrawn, under the same names, when the new run ends."""
        for name in OUTPUTS:
            (self.root / name).unlink(missing_ok=True)
        if self.parts.is_dir():
            for part in self.parts.iterdir():
                if PART_NAME.fullmatch(part.name):
                    part.unlink()

    def _read_json(self, name: str) -> dict | None:
        try:
            return json.loads((self.root / name).read_text())
        except (OSError, ValueError):
            return None

    # -- runs ---------------------------------------------------------------------------------
    def done(self) -> set[int]:
        """Ids of the runs whose parts are whole and belong to this plan (see :meth:`check`)."""
        return {run_id for run_id, _ in self.valid_parts()}

    def valid_parts(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(run id, ``runs.csv`` row) of every part that belongs to this plan and is whole,
        one at a time: resuming a sweep of a million runs holds their ids, not their rows.

        Each part names its plan's fingerprint and carries a checksum of its row and time
        series, so a part of another experiment, an edited or truncated one, or a stray
        file is never taken for a run of this one: it is set aside (:meth:`set_aside`) and
        its run is run again.
        """
        if not self.parts.is_dir():
            return
        fingerprint = self.plan.fingerprint()
        planned = range(len(self.plan.runs))  # run ids are 0 .. runs - 1
        for path in sorted(self.parts.iterdir()):
            if path.is_dir() or path.suffix == ".tmp":
                continue
            if PART_NAME.fullmatch(path.name) and path.suffix == ".parquet":
                continue  # judged with its row; without one, a run cut short (run again)
            row = _read_part(path, fingerprint, planned)
            if row is None:
                self.set_aside(path)
            else:
                yield row["run_id"], row

    def set_aside(self, path: Path) -> None:
        """Move a part that cannot be trusted (and its time series) to ``.runs/damaged/``."""
        damaged = self.parts / "damaged"
        damaged.mkdir(exist_ok=True)
        for file in (path, path.with_suffix(".parquet")):
            if file.exists():
                os.replace(file, damaged / file.name)
        self.damaged.append(path.name)

    def save(self, result: RunResult) -> None:
        stem = self.parts / f"{result.run_id:07d}"
        sink = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pandas(result.timeseries, preserve_index=False), sink)
        series = sink.getvalue().to_pybytes()
        _atomic_write(stem.with_suffix(".parquet"), series)
        row = {k: _json_value(v) for k, v in result.row.items()}
        part = {"plan": self.plan.fingerprint(), "checksum": _checksum(row, series), "row": row}
        _atomic_write(stem.with_suffix(".json"), json.dumps(part).encode())

    # -- final tables -------------------------------------------------------------------------
    def finalize(self) -> int:
        """Write runs.csv and timeseries.parquet from the parts, streaming, in run order
        (the rows are read again one at a time, so memory holds only the runs' ids)."""
        ids = sorted(self.done())
        rows = (json.loads((self.parts / f"{i:07d}.json").read_bytes())["row"] for i in ids)
        tmp_csv = self.root / "runs.csv.tmp"
        with open(tmp_csv, "w", newline="") as fh:
            writer = None
            for row in rows:
                if writer is None:
                    writer = csv.DictWriter(fh, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_csv, self.root / "runs.csv")

        tmp_pq = self.root / "timeseries.parquet.tmp"
        writer = None
        try:
            for run_id in ids:
                table = pq.read_table(self.parts / f"{run_id:07d}.parquet")
                if writer is None:
                    writer = pq.ParquetWriter(tmp_pq, table.schema)
                writer.write_table(table.cast(writer.schema))
        finally:
            if writer is not None:
                writer.close()
        if writer is not None:
            os.replace(tmp_pq, self.root / "timeseries.parquet")
        self.write_manifest(complete=len(ids) == len(self.plan.runs), runs_done=len(ids))
        return len(ids)

    def write_manifest(self, complete: bool, runs_done: int | None = None) -> None:
        plan = self.plan
        seeds = plan.seeds
        manifest = {
            **versions(),
            "command": self.command,
            "experiment": plan.name,
            "fingerprint": plan.fingerprint(),
            "inputs": plan.inputs,
            "base_seed": plan.seed,
            "seeds": seeds,
            "replications": plan.replications,
            "swept": list(plan.swept),
            "runs_planned": len(plan.runs),
            "runs_done": len(self.done()) if runs_done is None else runs_done,
            "complete": complete,
            "started": self.started,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z") if complete else None,
        }
        _atomic_write(self.root / "manifest.json", json.dumps(manifest, indent=2).encode())
