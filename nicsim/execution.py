"""Evaluators: run a plan's runs serially, on local processes or on a Dask cluster.

Every evaluator calls the same :func:`simulate` and hands each result to a callback as
soon as it completes, so results are stored durably one by one and never pile up in
memory. The number of runs in flight is bounded for the same reason. Because a run is a
pure function of its spec, every backend gives bit-identical results.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .experiments import RunSpec
from .models import for_params


@dataclass
class RunResult:
    """One finished run: its ``runs.csv`` row and its ``timeseries.parquet`` rows."""

    run_id: int
    row: dict[str, Any]
    timeseries: pd.DataFrame


def simulate(spec: RunSpec) -> RunResult:
    """Run one model to its horizon and tabulate it, tagged with its seed and parameters.

    The registered model of ``spec.params`` (``nicsim.models``) says how to build, run and
    measure it, so every evaluator runs every model.
    """
    entry = for_params(spec.params)
    model = entry.factory(spec.params, spec.seed)
    model.run()
    series = entry.timeseries(model)
    model.release()
    ident = {"run_id": spec.run_id, "seed": spec.seed, "replication": spec.replication}
    row = {**ident, **spec.params.to_dict(), **entry.summary(series, spec.params)}
    n = len(series["step"])
    ts = pd.DataFrame(
        {
            **{k: [v] * n for k, v in ident.items()},
            **{k: [v] * n for k, v in spec.swept.items()},
            **series,
        }
    )
    return RunResult(spec.run_id, row, ts)


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: end this worker if the sweep that started it (pid ``parent``)
    is killed.

    Without it a ``kill -9`` of the sweep leaves its workers computing runs no one saves.
    The pid comes from the sweep itself: a worker still starting up when the sweep died
    has already been adopted by another process, so its own ``getppid()`` would not do.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_serial(specs: Iterable[RunSpec]) -> Iterator[RunResult]:
    for spec in specs:
        yield simulate(spec)


def run_processes(specs: Iterable[RunSpec], workers: int) -> Iterator[RunResult]:
    """Local worker processes; at most ``2 * workers`` runs are queued at any time."""
    pending = iter(specs)
    ctx = mp.get_context("spawn")  # no inherited threads or state: the same on every OS
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        running = set()
        try:
            while True:
                running.update(
                    pool.submit(simulate, s) for s in _take(pending, 2 * workers - len(running))
                )
                if not running:
                    return
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: f.result().run_id):
                    yield future.result()
        finally:
            for future in running:
                future.cancel()


def run_dask(
    specs: Iterable[RunSpec], address: str, in_flight: int | None = None
) -> Iterator[RunResult]:
    """A Dask distributed scheduler at ``address`` (e.g. ``tcp://127.0.0.1:8786``)."""
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - depends on the install
        from .params import ConfigError

        raise ConfigError("--scheduler needs Dask: pip install 'nicsim[dask]'") from None
    with Client(address, timeout="20s") as client:
        limit = in_flight or 4 * max(1, sum(client.nthreads().values()))
        pending = iter(specs)
        first = [client.submit(simulate, s, pure=False) for s in _take(pending, limit)]
        queue = as_completed(first)
        for future in queue:
            result = future.result()
            future.release()
            for spec in _take(pending, 1):
                queue.add(client.submit(simulate, spec, pure=False))
            yield result


def _take(it: Iterator, n: int) -> list:
    out = []
    for _ in range(n):
        item = next(it, None)
        if item is None:
            break
        out.append(item)
    return out


def evaluate(
    specs: list[RunSpec],
    workers: int = 1,
    scheduler: str | None = None,
    on_result: Callable[[RunResult], None] | None = None,
) -> int:
    """Run ``specs`` on the chosen backend, handing each result to ``on_result``."""
    if scheduler:
        results = run_dask(specs, scheduler)
    elif workers > 1 and len(specs) > 1:
        results = run_processes(specs, min(workers, len(specs)))
    else:
        results = run_serial(specs)
    count = 0
    for result in results:
        if on_result is not None:
            on_result(result)
        count += 1
    return count
