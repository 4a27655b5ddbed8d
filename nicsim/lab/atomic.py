"""Writing a file so that a reader sees the old file or the whole new one, never half.

Every file is written under a temporary name of its own (the writer's pid and a random
token: :func:`temporary`), fsynced and renamed into place; a failure or Ctrl-C removes the
temporary file. A process killed mid-write leaves its temporary file behind; the pid in the
name tells a later command whether the writer is gone (:func:`running`), so that the
results store can remove it (:meth:`nicsim.lab.store.RunStore.remove_leftovers`).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

# temporary(): NAME.PID-TOKEN.tmp; earlier nicsim wrote NAME.tmp
TEMPORARY = re.compile(r"(?P<name>.+?)(\.(?P<pid>\d+)-[0-9a-f]{8})?\.tmp")


def temporary(path: Path) -> Path:
    """A name beside ``path`` to write it under, unique to this process and this write.

    Two processes writing the same file (two commands on one directory, or ``compare``
    beside a sweep) never write into each other's temporary file, and the pid in the name
    tells a later command whether its writer is still running (:meth:`RunStore.remove_leftovers`).
    """
    return path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary name to write ``path`` under; rename it into place when the block
    ends, or remove it when the block fails or is interrupted.

    So a reader sees the old file or the whole new one, and a full disk or a Ctrl-C leaves
    no half-written file, under either name (the caller fsyncs what must survive a crash).
    """
    tmp = temporary(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise


def atomic_write(path: Path, data: bytes) -> None:
    with replacing(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_text(path: Path, text: str) -> None:
    """Write a small text output (a report) so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode())


def running(pid: int) -> bool:
    """Whether process ``pid`` is running on this machine. This process counts as not: it
    has no write under way when it asks (:meth:`RunStore.remove_leftovers`)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True
