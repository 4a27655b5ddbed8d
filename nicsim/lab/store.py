"""The result store: every finished run on disk at once, final tables only when all are in.

Layout of a results directory (README.md, "Outputs")::

    params.toml          resolved base parameters
    plan.json            the experiment's fingerprint and description (for resuming)
    manifest.json        versions, command, seeds, times, runs done, complete or not
    runs.csv             one row per run            (written last, atomically)
    timeseries.parquet   one row per run and step   (written last, atomically)
    .runs/NNNNNNN.parquet, .runs/NNNNNNN.json   one pair per finished run
    .nicsim              the marker: written first, it says nicsim made this directory
    .nicsim.lock         the lock: held by the one command writing here
    comparison.md, sensitivity.md, figures/outcome.png, figures/compare_*.png,
    figures/sensitivity_*.png   the reports drawn from the tables (:data:`REPORTS`)

nicsim writes only into a directory that is new or empty, or that its marker (or, for
results made before 0.4, its ``plan.json``) shows it made; and it only ever deletes or
replaces the files listed above. A user's own files beside them are never touched. In a
directory nicsim made, a file of one of these names is nicsim's: ``--force`` removes the
reports of the experiment it replaces with its tables, so that no comparison or figure is
left describing runs the directory no longer holds.

One command at a time: :meth:`RunStore.claim` takes an exclusive ``flock`` on
``.nicsim.lock`` before anything is read or written, and the command holds it until it
ends (a second ``nicsim run`` or ``--force`` on the same directory would otherwise mix two
experiments' files). The kernel releases the lock when its process ends, however it ends,
so a ``kill -9`` never leaves the directory locked. With Dask the lock is the client's: it
is the only process that writes here, workers only compute. A second command is refused
at once, naming the holder's pid, rather than kept waiting without a word.

Every file is written whole or not at all (:mod:`nicsim.lab.atomic`), and the temporary
files of a process that was killed are removed when the directory is next opened (see
:meth:`RunStore.remove_leftovers`).

A run counts as done when its ``.json`` part exists, names this plan's fingerprint and
matches its checksum (of the row and the time series); the part is written after the time
series and both are renamed into place after an fsync, so a kill at any instant leaves
either a whole run or none. A part that fails the check (damaged, edited, of another
experiment, or a stray file) is moved to ``.runs/damaged/`` and its run is run again.
Re-running the same command skips done runs; a different
experiment in the same directory is refused unless ``force``. Complete final tables without
their parts (committed results: git does not track ``.runs/``) are this plan's whole
result: the command analyses them again, deleting and running nothing.
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

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, so no lock
    fcntl = None  # type: ignore[assignment]

import pyarrow as pa
import pyarrow.parquet as pq

from ..core.params import ConfigError
from .atomic import TEMPORARY, atomic_write, replacing, running
from .config import to_toml
from .evaluators import RunResult
from .plans import Plan

OUTPUTS = ("runs.csv", "timeseries.parquet", "manifest.json", "plan.json", "params.toml")
# The reports nicsim draws from the tables (README.md, "Outputs"): the Markdown beside
# them, and the figures in figures/ (nicsim.analysis.report) whose names match FIGURE.
REPORTS = ("comparison.md", "sensitivity.md")
FIGURE = re.compile(r"(outcome|compare_.+|sensitivity_.+)\.png")
PARTS = ".runs"
MARKER = ".nicsim"
LOCK = ".nicsim.lock"
# Rows of timeseries.parquet written together: a row group per run made the file of a
# 400-run sweep 3.5 times as large (2.1 MB, not 0.6 MB) and slower to read.
ROW_GROUP = 65_536
PART_NAME = re.compile(r"\d{7}\.(parquet|json)")
MAX_RUNS = 10**7  # parts are named by run id in seven digits: ids 0 .. 9,999,999
MANIFEST_EVERY = 10.0  # seconds between updates of manifest.json's runs_done during runs


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


def file_in_the_way(path: Path) -> Path | None:
    """The file (not a folder) at ``path`` or at the nearest of its parents that exists,
    which stops a folder being made or used there; None when there is none."""
    for place in (path, *path.parents):
        if place.exists():
            return None if place.is_dir() else place
    return None


def check_folder(path: Path) -> None:
    """Refuse, in one line, an output directory that is a file or that a file stands in the
    way of (``--out r/afile/study`` where ``r/afile`` is a file)."""
    blocking = file_in_the_way(path)
    if blocking == path:
        raise ConfigError(f"output directory {path} is a file, not a directory")
    if blocking is not None:
        raise ConfigError(
            f"output directory {path} is not writable: {blocking} is a file, not a folder"
        )


def _left_over(name: str) -> bool:
    """Whether ``name`` is a temporary file of nicsim's whose writer has gone."""
    match = TEMPORARY.fullmatch(name)
    if match is None:
        return False
    if match["pid"] is not None:
        return not running(int(match["pid"]))
    old = match["name"]
    return old in OUTPUTS or old == MARKER or PART_NAME.fullmatch(old) is not None


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
    """A results directory that takes runs one at a time and survives being killed.

    Use it as a context manager (or call :meth:`close`): the directory stays locked from
    :meth:`open` until then, so that no other command writes here meanwhile.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.parts = self.root / PARTS
        self.damaged: list[str] = []  # parts set aside as untrustworthy, by file name
        self.complete = False  # final tables written from every planned run
        self.from_tables = False  # the final tables stand in for the runs' parts (committed)
        self._lock: int | None = None  # the lock file's descriptor while this store holds it
        self._saved: set[int] | None = None  # ids of the saved runs, once opened
        self._about: dict[str, Any] = {}  # what manifest.json says of the experiment
        self._manifest_due = 0.0
        # the directory was new (made) or empty when this store claimed it (see :meth:`discard`)
        self.made = self.was_empty = False

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- opening -----------------------------------------------------------------------------
    def open(self, plan: Plan, force: bool = False, command: list[str] | None = None) -> set[int]:
        """Lock the directory and prepare it for ``plan``; return the ids of runs already done."""
        self.plan = plan
        self.claim()
        self.remove_leftovers()
        fingerprint = plan.fingerprint()
        existing = self._read_json("plan.json")
        other = None  # what the directory holds instead of this plan's results, if anything
        if existing is not None and existing.get("fingerprint") != fingerprint:
            other = (
                f"results of a different experiment ({existing.get('name')}, "
                f"{existing.get('runs')} runs{self._changed(existing, plan)})"
            )
        elif existing is None and any((self.root / f).exists() for f in OUTPUTS[:2]):
            other = "results not made by this command"
        if other and not force:
            raise ConfigError(
                f"{self.root} holds {other}: use --force to replace them, or --out to write "
                "elsewhere"
            )
        if other:
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
        done = self.done()
        whole = not done or len(done) == len(plan.runs)  # parts gone (git), or all there
        if whole and other is None and self._tables_hold_every_run(existing):
            # Committed results: git keeps the final tables, not ``.runs/``. They are this
            # plan's whole result, so the command analyses them again instead of deleting
            # them to run everything anew; manifest.json keeps describing the run that
            # made them (its times and versions), as it does for a finished sweep's folder
            # entered again.
            self.from_tables = self.complete = True
            self._saved = set(range(len(plan.runs)))
            return self._saved
        self._saved = set(done)
        # Outputs of an earlier complete run would be stale once more runs arrive.
        if len(done) < len(plan.runs):
            for name in ("runs.csv", "timeseries.parquet"):
                (self.root / name).unlink(missing_ok=True)
        atomic_write(self.root / "params.toml", to_toml(plan.base.to_dict()).encode())
        desc = {
            "fingerprint": fingerprint,
            "name": plan.name,
            "runs": len(plan.runs),
            "swept": list(plan.swept),
            "seed": plan.seed,
            "replications": plan.replications,
            "source": plan.source,
        }
        atomic_write(self.root / "plan.json", json.dumps(desc, indent=2, default=str).encode())
        self._about = {
            **versions(),
            "command": command or sys.argv,
            "experiment": plan.name,
            "fingerprint": fingerprint,
            "inputs": plan.inputs,
            "base_seed": plan.seed,
            "seeds": plan.seeds,
            "replications": plan.replications,
            "swept": list(plan.swept),
            "runs_planned": len(plan.runs),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        self.write_manifest()
        return done

    def _tables_hold_every_run(self, existing: dict | None) -> bool:
        """Whether runs.csv and timeseries.parquet are this plan's complete final tables:
        plan.json names the plan (checked by the caller), the manifest says complete, and
        runs.csv holds run ids 0 .. runs - 1, in order (read a row at a time)."""
        manifest = self._read_json("manifest.json") or {}
        series = self.root / "timeseries.parquet"
        if existing is None or not manifest.get("complete") or not series.is_file():
            return False
        try:
            with open(self.root / "runs.csv", newline="") as fh:
                count = 0
                for count, row in enumerate(csv.DictReader(fh), start=1):
                    if row.get("run_id") != str(count - 1):
                        return False
                return count == len(self.plan.runs)
        except (OSError, csv.Error, UnicodeDecodeError):
            return False

    def claim(self) -> None:
        """Make sure nicsim may write here, and lock the directory for this command: the
        directory is new or empty (then it is marked as nicsim's before anything else is
        written), or nicsim made it.

        A directory of a user's own files is refused whatever the options, so no command
        can delete or overwrite what nicsim did not write; nicsim does not even put its lock
        file there. Whether the directory is nicsim's is checked again once the lock is held,
        when no other nicsim command can be changing it.
        """
        root = self.root
        check_folder(root)
        shared = shared_place(root)
        if shared:
            raise ConfigError(f"output directory {root} is {shared}: choose a folder of its own")
        self._check_made_by_nicsim()
        try:
            self.made = not root.exists()
            self.was_empty = self.made or not any(root.iterdir())
            root.mkdir(parents=True, exist_ok=True)
            self._take_lock()
            self._check_made_by_nicsim()
            if not (root / MARKER).is_file():
                atomic_write(root / MARKER, b"made by nicsim: a results directory\n")
        except OSError as exc:
            self.close()
            raise ConfigError(f"output directory {root} is not writable ({exc.strerror})") from None
        except BaseException:
            self.close()
            raise

    def _check_made_by_nicsim(self) -> None:
        root = self.root
        if (root / MARKER).is_file():
            return
        made_before_markers = "fingerprint" in (self._read_json("plan.json") or {})
        if (
            root.is_dir()
            and any(p.name != LOCK for p in root.iterdir())
            and not made_before_markers
        ):
            raise ConfigError(
                f"output directory {root} is not empty and was not made by nicsim: nicsim "
                "writes only into a new or empty directory, or one it made (choose another --out)"
            )

    def _take_lock(self) -> None:
        """Hold an exclusive ``flock`` on the lock file, or refuse at once naming its holder.

        The lock file is never deleted or replaced (``--force`` keeps it): a lock is on a
        file, and a new file of the same name would let two commands each hold one.
        """
        if fcntl is None or self._lock is not None:
            return
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            pid = f" (pid {holder})" if holder.isdigit() else ""
            raise ConfigError(
                f"{self.root} is in use by another nicsim command{pid}; wait for it to finish "
                "or use another --out"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        self._lock = fd
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)

    def close(self) -> None:
        """Let other commands write here again (the kernel also does when the process ends)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def remove_leftovers(self) -> None:
        """Remove the temporary files that writers killed mid-write left (``kill -9`` and
        power cuts skip every clean-up): in the directory, ``.runs/`` and ``figures/``.

        Only nicsim's own temporary names count (:func:`~nicsim.lab.atomic.temporary`), and
        only those whose writer is no longer running: a ``nicsim compare`` may be writing
        its report beside us, since it does not take the lock. Names of earlier versions
        (``runs.csv.tmp`` and the like) carry no pid; they are removed under the lock.
        """
        for folder in (self.root, self.parts, self.root / "figures"):
            if folder.is_dir():
                for path in folder.iterdir():
                    if _left_over(path.name) and not path.is_dir():
                        path.unlink(missing_ok=True)

    def discard(self) -> bool:
        """Remove what this store wrote in a directory that was new or empty, if no run was
        saved in it: a command refused once its runs were being built (a graph file's
        universities against the parameters, a connected random graph never drawn) leaves
        nothing half-written behind. A directory this store made goes too (if nothing else
        arrived meanwhile). Returns whether the files went; a directory that held anything
        before, or holds a run, is left as it is."""
        if not self.was_empty or self.saved():
            return False
        try:
            self.clear()
            self.parts.rmdir()
            # the lock file goes too: any command that tried to take it meanwhile was refused
            # at once (the lock is never waited for), and the directory is about to go
            for name in (MARKER, LOCK):
                (self.root / name).unlink(missing_ok=True)
            self.close()
            if self.made:
                self.root.rmdir()
        except OSError:
            return False
        return True

    def clear(self) -> None:
        """Remove the results of another experiment: only files nicsim writes (its outputs,
        run parts and the reports drawn from them: :data:`REPORTS`, figures named as
        :data:`FIGURE`); a user's own files, in figures/ too, stay."""
        for name in (*OUTPUTS, *REPORTS):
            (self.root / name).unlink(missing_ok=True)
        figures = self.root / "figures"
        if figures.is_dir():
            for figure in figures.iterdir():
                if FIGURE.fullmatch(figure.name) and figure.is_file():
                    figure.unlink()
        if self.parts.is_dir():
            for part in self.parts.iterdir():
                if PART_NAME.fullmatch(part.name):
                    part.unlink()

    def _changed(self, existing: dict, plan: Plan) -> str:
        """What makes ``plan`` another experiment than the one the directory holds, where the
        directory's plan.json and manifest.json say (``"; the graph file g.csv has changed
        since"``), else ``""``: the user who edited a network or upgraded nicsim learns why
        a resume is refused."""
        made = self._read_json("manifest.json") or {}
        old_inputs, inputs = made.get("inputs"), plan.inputs
        if isinstance(old_inputs, dict) and old_inputs != inputs:
            edited = [path for path, sha in inputs.items() if old_inputs.get(path, sha) != sha]
            if edited:
                return f"; the graph file {edited[0]} has changed since"
        from ..core.version import __version__

        if made.get("nicsim") not in (None, __version__):
            return f"; made by nicsim {made['nicsim']}, this is {__version__}"
        if (existing.get("seed"), existing.get("replications")) != (plan.seed, plan.replications):
            return (
                f"; seed {existing.get('seed')} and {existing.get('replications')} replications "
                f"there, {plan.seed} and {plan.replications} here"
            )
        if existing.get("source") != json.loads(json.dumps(plan.source, default=str)):
            return "; the sweep file has changed since"
        return ""

    def _read_json(self, name: str) -> dict | None:
        try:
            return json.loads((self.root / name).read_text())
        except (OSError, ValueError):
            return None

    # -- runs ---------------------------------------------------------------------------------
    def done(self) -> set[int]:
        """Ids of the runs whose parts are whole and belong to this plan (see :meth:`check`)."""
        return {run_id for run_id, _ in self.valid_parts()}

    def saved(self) -> int:
        """How many runs of the plan are saved. Before :meth:`open` has counted them (a
        command interrupted while starting), the parts on disk are judged without moving
        any, since the lock may not be held yet."""
        if self._saved is not None:
            return len(self._saved)
        if not hasattr(self, "plan"):
            return 0
        return sum(1 for _ in self.valid_parts(set_aside=False))

    def valid_parts(self, set_aside: bool = True) -> Iterator[tuple[int, dict[str, Any]]]:
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
            if row is not None:
                yield row["run_id"], row
            elif set_aside:
                self.set_aside(path)

    def set_aside(self, path: Path) -> None:
        """Move a part that cannot be trusted (and its time series) to ``.runs/damaged/``."""
        damaged = self.parts / "damaged"
        damaged.mkdir(exist_ok=True)
        for file in (path, path.with_suffix(".parquet")):
            if file.exists():
                os.replace(file, damaged / file.name)
        self.damaged.append(path.name)

    def save(self, result: RunResult) -> None:
        """Save one finished run; every ``MANIFEST_EVERY`` seconds also tell manifest.json,
        so that it is never far behind even when the command is killed."""
        stem = self.parts / f"{result.run_id:07d}"
        sink = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pandas(result.timeseries, preserve_index=False), sink)
        series = sink.getvalue().to_pybytes()
        atomic_write(stem.with_suffix(".parquet"), series)
        row = {k: _json_value(v) for k, v in result.row.items()}
        part = {"plan": self.plan.fingerprint(), "checksum": _checksum(row, series), "row": row}
        atomic_write(stem.with_suffix(".json"), json.dumps(part).encode())
        if self._saved is not None:
            self._saved.add(result.run_id)
        if time.monotonic() >= self._manifest_due:
            self.write_manifest()

    # -- final tables -------------------------------------------------------------------------
    def finalize(self) -> int:
        """Write runs.csv and timeseries.parquet from the parts, streaming, in run order
        (the rows are read again one at a time, so memory holds only the runs' ids).

        The manifest is brought up to date first, so that it tells the truth about the
        saved runs even when the tables cannot be written (a full disk).
        """
        if self.from_tables:
            return len(self.plan.runs)
        ids = sorted(self.done())
        self._saved, self.complete = set(ids), False
        self.write_manifest()
        rows = (json.loads((self.parts / f"{i:07d}.json").read_bytes())["row"] for i in ids)
        with replacing(self.root / "runs.csv") as tmp, open(tmp, "w", newline="") as fh:
            writer = None
            for row in rows:
                if writer is None:
                    writer = csv.DictWriter(fh, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
            fh.flush()
            os.fsync(fh.fileno())
        if ids:
            with replacing(self.root / "timeseries.parquet") as tmp:
                series = None
                batch: list[pa.Table] = []
                try:
                    for run_id in ids:
                        table = pq.read_table(self.parts / f"{run_id:07d}.parquet")
                        if series is None:
                            series = pq.ParquetWriter(tmp, table.schema)
                        batch.append(table.cast(series.schema))
                        if sum(len(t) for t in batch) >= ROW_GROUP:
                            series.write_table(pa.concat_tables(batch))
                            batch = []
                    if batch:
                        series.write_table(pa.concat_tables(batch))
                finally:
                    if series is not None:
                        series.close()
        self.complete = len(ids) == len(self.plan.runs)
        self.write_manifest()
        return len(ids)

    def write_manifest(self) -> None:
        """Write manifest.json: the experiment, and the truth about its runs: how many are
        saved, and ``complete`` once the final tables hold every planned run. (Nothing
        before :meth:`open` has described the experiment.)"""
        if not self._about:
            return
        about = dict(self._about)
        started = about.pop("started")
        manifest = {
            **about,
            "runs_done": self.saved(),
            "complete": self.complete,
            "started": started,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z") if self.complete else None,
        }
        atomic_write(self.root / "manifest.json", json.dumps(manifest, indent=2).encode())
        self._manifest_due = time.monotonic() + MANIFEST_EVERY
