"""Where numba keeps nicsim's compiled loops, so that an installation nobody can write to works.

numba caches compiled code beside the source (``__pycache__``) or, failing that, in the
user's cache directory (``~/.cache/numba``). With neither writable (nicsim installed
read-only in a shared environment and run by an account without a writable home: a
cluster's batch job, a container run as another user, a Dask worker's service account) it
raised ``RuntimeError: cannot cache function ...`` as soon as nicsim's models were imported.
:func:`use_a_writable_cache`, called when ``nicsim`` is imported, then points numba at a
directory of the user's own under the system's temporary directory. It changes nothing when
either usual place is writable or ``NUMBA_CACHE_DIR`` is set, and it does not import numba.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

# the folders whose modules hold cached compiled code (numba caches beside each source)
COMPILED = ("core", "nic")


def use_a_writable_cache() -> None:
    """Give numba a cache directory where its usual ones cannot be written (see the module)."""
    path = cache_dir(Path(__file__).resolve().parents[1], os.environ)
    if path is None:
        return
    os.environ["NUMBA_CACHE_DIR"] = path
    if "numba" in sys.modules:  # imported before nicsim: its config is read already
        sys.modules["numba"].config.CACHE_DIR = path


def cache_dir(package: Path, environ: Mapping[str, str]) -> str | None:
    """The cache directory numba should use for the nicsim at ``package``, or None to leave
    numba's own choice: the user's ``NUMBA_CACHE_DIR``, else ``__pycache__`` beside the
    compiled modules if it can be written, else the user's cache directory."""
    if environ.get("NUMBA_CACHE_DIR"):
        return None
    if all(_writable(package / folder / "__pycache__") for folder in COMPILED):
        return None
    home = environ.get("HOME") or os.path.expanduser("~")
    user_cache = environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    if _writable(Path(user_cache) / "numba"):
        return None
    return _private_temporary(environ)


def _writable(folder: Path) -> bool:
    """Whether ``folder`` exists or can be made, and a file can be written in it: numba's
    own test of a cache location."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _private_temporary(environ: Mapping[str, str]) -> str:
    """A cache folder only this user can write: ``nicsim-numba-UID`` in the temporary
    directory, kept between runs, if it is (or can be made) the user's own and closed to
    others; a new one for this process otherwise. numba loads machine code from its cache,
    so a folder another user could write into is never used."""
    base = environ.get("TMPDIR") or tempfile.gettempdir()
    if hasattr(os, "getuid"):
        path = os.path.join(base, f"nicsim-numba-{os.getuid()}")
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
            info = os.lstat(path)
        except OSError:
            pass
        else:
            owned = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            if owned and not info.st_mode & 0o077:
                return path
    return tempfile.mkdtemp(prefix="nicsim-numba-", dir=base)
