"""Evaluators: run a plan's runs serially, on local processes or on a Dask cluster.

Every evaluator calls the same :func:`simulate` and hands each result to a callback as
soon as it completes, so results are stored durably one by one and never pile up in
memory. The number of runs in flight is bounded for the same reason. Because a run is a
pure function of its spec, every backend gives bit-identical results, and a run cut short
can simply be run again: a lost local worker costs the runs it had in hand, as a lost Dask
worker does (:func:`run_processes`).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import re
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.params import ConfigError
from .plans import RunSpec
from .registry import for_params


@dataclass
class RunResult:
    """One finished run: its ``runs.csv`` row and its ``timeseries.parquet`` rows."""

    run_id: int
    row: dict[str, Any]
    timeseries: pd.DataFrame


def simulate(spec: RunSpec) -> RunResult:
    """Run one model to its horizon and tabulate it, tagged with its seed and parameters.

    The registered model of ``spec.params`` (``nicsim.lab.registry``) says how to build, run and
    measure it, so every evaluator runs every model.
    """
    series, summary = for_params(spec.params).outcomes(spec.params, spec.seed)
    ident = {"run_id": spec.run_id, "seed": spec.seed, "replication": spec.replication}
    row = {**ident, **spec.params.to_dict(), **summary}
    n = len(series["step"])
    ts = pd.DataFrame(
        {
            **{k: [v] * n for k, v in ident.items()},
            **{k: [v] * n for k, v in spec.swept.items()},
            **series,
        }
    )
    return RunResult(spec.run_id, row, ts)


# Objects frozen before any caller could freeze some: none, except on Python 3.12.1,
# which starts with a few hundred of its own.
_FROZEN_AT_START = gc.get_freeze_count()
_settled = False  # this process has made its first run (see simulate_and_free)


def simulate_and_free(spec: RunSpec) -> RunResult:
    """:func:`simulate`, then free the run's model before returning.

    A model is a web of reference cycles (agents and their model, Mesa's registries), so
    reference counting frees none of it when the run ends. Left to the cyclic collector's
    own schedule, a process making run after run holds several dead models at a time and
    its memory grows with the runs it has made (by a whole model each time: hundreds of MB
    at 10,000 districts). A full collection after each run keeps it at one model; where the
    process's long-lived objects are frozen out of collections (``_start_worker``,
    ``run_serial``) it costs little more than freeing the model, which is due anyway.

    The first run of such a process also makes long-lived objects: what every later run
    uses (numba's compiled functions loaded from their cache, modules imported on first
    use, the landscape and networks kept between runs), about 100,000 objects for the
    default model. They are frozen after its collection, once: every later collection
    traversed them again, 22 ms a run, a third of a default run's own time.
    """
    global _settled
    result = simulate(spec)
    gc.collect()
    if not _settled and gc.get_freeze_count() > _FROZEN_AT_START:  # a caller froze its own
        gc.freeze()
        _settled = True
    return result


def _start_worker(parent: int) -> None:
    """Worker initializer: end this worker if the sweep that started it (pid ``parent``)
    is killed, and freeze what the worker has imported out of the collections that free
    each run's model (``simulate_and_free``).

    Without the watch a ``kill -9`` of the sweep leaves its workers computing runs no one
    saves. The pid comes from the sweep itself: a worker still starting up when the sweep
    died has already been adopted by another process, so its own ``getppid()`` would not do.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    gc.freeze()


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_serial(specs: Iterable[RunSpec]) -> Iterator[RunResult]:
    """In this process, each run's model freed before its result is handed on; the
    caller's objects are frozen out of those collections meanwhile, and thawed after."""
    # a caller who froze objects of its own keeps them frozen
    thaw = gc.get_freeze_count() <= _FROZEN_AT_START
    gc.freeze()
    try:
        for spec in specs:
            yield simulate_and_free(spec)
    finally:
        if thaw:
            gc.unfreeze()


MAX_BREAKS = 3  # a run that ends its worker this often will never finish


class RunBreaksWorkers(RuntimeError):
    """A run ended its worker process every time it was tried (a crash in native code, or
    more memory than the machine has): running it again will not help. ``others`` more
    runs did the same."""

    def __init__(self, spec: RunSpec, times: int, others: int = 0) -> None:
        super().__init__(f"run {spec.run_id} ended its worker process {times} times")
        self.spec, self.times, self.others = spec, times, others


def run_processes(
    specs: Iterable[RunSpec],
    workers: int,
    run: Callable[[RunSpec], RunResult] = simulate_and_free,
    max_breaks: int = MAX_BREAKS,
) -> Iterator[RunResult]:
    """Local worker processes; at most ``2 * workers`` runs are queued at any time.

    A worker that dies (killed, out of memory, a crash in native code) breaks the whole
    pool and every run in flight with it. A new pool takes over and the runs cut short are
    run again, one at a time, so that a run which breaks the pool while alone is known for
    certain to be the one that does; one that has broken it ``max_breaks`` times is given
    up, and once every other run is done :class:`RunBreaksWorkers` names it rather than
    try forever. ``run`` (a module-level function, as workers import it) is
    :func:`simulate_and_free` but in tests.
    """
    pending = iter(specs)
    alone: deque[RunSpec] = deque()  # runs cut short by a broken pool, to run one at a time
    breaks: Counter[int] = Counter()
    given_up: list[RunSpec] = []
    while True:
        in_flight: dict[Future, RunSpec] = {}
        yield from _until_broken(pending, alone, in_flight, workers, run)
        if not in_flight:
            break
        # The pool broke, and shutting it down has settled every future: some finished first.
        cut_short = []
        for future, spec in sorted(in_flight.items(), key=lambda item: item[1].run_id):
            if _broke(future) or not future.done():
                cut_short.append(spec)
                breaks[spec.run_id] += 1
            else:
                yield future.result()
        if len(in_flight) == 1 and cut_short and breaks[cut_short[0].run_id] >= max_breaks:
            given_up.append(cut_short.pop())
        alone.extend(cut_short)  # a run that broke the pool alone goes after the others
    if given_up:
        first = given_up[0]
        raise RunBreaksWorkers(first, breaks[first.run_id], len(given_up) - 1)


def _until_broken(
    pending: Iterator[RunSpec],
    alone: deque[RunSpec],
    in_flight: dict[Future, RunSpec],
    workers: int,
    run: Callable[[RunSpec], RunResult],
) -> Iterator[RunResult]:
    """Run specs on one pool of ``workers`` processes until every run is done (then
    ``in_flight`` is left empty) or the pool breaks (then it holds the runs in flight)."""
    ctx = mp.get_context("spawn")  # no inherited threads or state: the same on every OS
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_start_worker,
        initargs=(os.getpid(),),
    ) as pool:
        try:
            while True:
                if alone:
                    batch = [alone.popleft()] if not in_flight else []
                else:
                    batch = _take(pending, 2 * workers - len(in_flight))
                for spec in batch:
                    in_flight[_submit(pool, run, spec)] = spec
                if not in_flight:
                    return
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                if any(_broke(f) for f in done):
                    return
                for future in sorted(done, key=lambda f: in_flight[f].run_id):
                    del in_flight[future]
                    yield future.result()
        except BaseException:
            # Ctrl-C, or the caller has stopped taking results (its store cannot write):
            # the runs in flight would not be saved, so end the workers now rather than
            # wait for them to finish.
            _end_workers(pool)
            raise


def _broke(future: Future) -> bool:
    """Whether ``future``'s run was cut short by its pool breaking."""
    return (
        future.done()
        and not future.cancelled()
        and isinstance(future.exception(), BrokenProcessPool)
    )


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Stop ``pool`` at once: cancel what is queued and terminate its workers.

    ``shutdown`` alone would wait for every run in flight; Python 3.14's
    ``terminate_workers`` does this, earlier versions only through ``_processes``.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with suppress(OSError, ValueError):
            process.terminate()


def _submit(
    pool: ProcessPoolExecutor, run: Callable[[RunSpec], RunResult], spec: RunSpec
) -> Future:
    """``pool.submit(run, spec)``; on a pool already broken, a future that says so."""
    try:
        with _sigint_blocked():
            return pool.submit(run, spec)
    except BrokenProcessPool as exc:
        future: Future = Future()
        future.set_exception(exc)
        return future


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) meanwhile; it arrives as soon as the block ends.

    Workers start inside ``submit`` and inherit the signal mask: started in this block,
    they never see a Ctrl-C, which reaches the sweep alone (it ends them, see
    :func:`_end_workers`) instead of printing a traceback from each worker.
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
# [SCHEME://]HOST:PORT, the host a name, an IPv4 address or an IPv6 one in brackets
_ADDRESS = re.compile(
    r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+)"
    r":(?P<port>[0-9]{1,5})"
)


def check_scheduler_address(text: str) -> str:
    """``text`` if it is a Dask scheduler address, ``[SCHEME://]HOST:PORT``; else a ConfigError.

    Checked on the command line, before a results directory is made: Dask's ``Client``
    finds a malformed address only when the sweep connects, with a traceback, and an
    unreachable one only after its timeout.
    """
    found = _ADDRESS.fullmatch(text)
    scheme = (found and found["scheme"]) or "tcp"
    if not found or scheme not in DASK_SCHEMES or not 1 <= int(found["port"]) <= 65535:
        raise ConfigError(
            f"{text!r} is not allowed: expected a Dask scheduler address SCHEME://HOST:PORT "
            f"(scheme {', '.join(DASK_SCHEMES)}; port 1 to 65535), e.g. tcp://127.0.0.1:8786"
        )
    return text


SCHEDULER_TIMEOUT = "20s"  # how long to try to connect to a Dask scheduler


def run_dask(
    specs: Iterable[RunSpec], address: str, in_flight: int | None = None
) -> Iterator[RunResult]:
    """A Dask distributed scheduler at ``address`` (e.g. ``tcp://127.0.0.1:8786``)."""
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - depends on the install
        raise ConfigError("--scheduler needs Dask: pip install 'nicsim[dask]'") from None
    try:
        client = Client(address, timeout=SCHEDULER_TIMEOUT)
    except OSError as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {address} ({exc})") from None
    with client:
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
    specs: Collection[RunSpec],
    workers: int = 1,
    scheduler: str | None = None,
    on_result: Callable[[RunResult], None] | None = None,
) -> int:
    """Run ``specs`` on the chosen backend, handing each result to ``on_result``.

    ``specs`` needs only a length and an order (a plan's missing runs are made one at a
    time as they are handed out, so a sweep of a million runs never lists them)."""
    if scheduler:
        results = run_dask(specs, scheduler)
    elif workers > 1 and len(specs) > 1:
        results = run_processes(specs, min(workers, len(specs)))
    else:
        results = run_serial(specs)
    count = 0
    try:
        for result in results:
            if on_result is not None:
                on_result(result)
            count += 1
    finally:
        # When on_result fails (a full disk) or a Ctrl-C arrives, stop the backend now (local
        # workers are ended), not whenever the exception that holds it is freed.
        results.close()
    return count
