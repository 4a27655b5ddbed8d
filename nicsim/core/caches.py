"""Where numba and matplotlib keep their caches, so that a read-only installation works.

numba caches nicsim's compiled loops beside the source (``__pycache__``) or, failing that,
in the user's cache folder (``~/.cache/numba``). With neither writable (nicsim installed
read-only in a shared environment and run by an account without a writable home: a
cluster's batch job, a container run as another user, a Dask worker's service account) it
raised ``RuntimeError: cannot cache function ...`` as soon as nicsim's models were imported.
matplotlib, whose configuration folder (``~/.config/matplotlib``) holds its font cache,
warns there and rebuilds that cache in a new temporary folder in every process.
:func:`use_writable_caches`, called when ``nicsim`` is imported, then points each at a
folder of the user's own under the system's temporary directory. It changes nothing where
the usual places can be written or ``NUMBA_CACHE_DIR`` and ``MPLCONFIGDIR`` are set, and it
imports neither library.
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


def use_writable_caches() -> None:
    """Give numba and matplotlib cache folders where their usual ones cannot be written."""
    package = Path(__file__).resolve().parents[1]
    numba = numba_cache(package, os.environ)
    if numba is not None:
        os.environ["NUMBA_CACHE_DIR"] = numba
        if "numba" in sys.modules:  # imported before nicsim: its config is read already
            sys.modules["numba"].config.CACHE_DIR = numba
    matplotlib = matplotlib_config(os.environ)
    if matplotlib is not None:  # read when matplotlib is imported (if it is not already)
        os.environ["MPLCONFIGDIR"] = matplotlib


def numba_cache(package: Path, environ: Mapping[str, str]) -> str | None:
    """The cache folder numba should use for the nicsim at ``package``, or None to leave
    numba's own choice: the user's ``NUMBA_CACHE_DIR``, else ``__pycache__`` beside the
    compiled modules if it can be written, else the user's cache folder."""
    if environ.get("NUMBA_CACHE_DIR"):
        return None
    if all(_writable(package / folder / "__pycache__") for folder in COMPILED):
        return None
    user_cache = environ.get("XDG_CACHE_HOME") or os.path.join(_home(environ), ".cache")
    if _writable(Path(user_cache) / "numba"):
        return None
    return _private_temporary("numba", environ)


def matplotlib_config(environ: Mapping[str, str]) -> str | None:
    """The configuration folder matplotlib should use, or None to leave its own choice:
    ``MPLCONFIGDIR``, else ``~/.config/matplotlib`` (``XDG_CONFIG_HOME``) if it can be
    written."""
    if environ.get("MPLCONFIGDIR"):
        return None
    user_config = environ.get("XDG_CONFIG_HOME") or os.path.join(_home(environ), ".config")
    if _writable(Path(user_config) / "matplotlib"):
        return None
    return _private_temporary("matplotlib", environ)


def _home(environ: Mapping[str, str]) -> str:
    return environ.get("HOME") or os.path.expanduser("~")


def _writable(folder: Path) -> bool:
    """Whether ``folder`` exists or can be made, and a file can be written in it: numba's
    own test of a cache location."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _private_temporary(name: str, environ: Mapping[str, str]) -> str:
    """A folder only this user can write: ``nicsim-NAME-UID`` in the temporary directory,
    kept between runs, if it is (or can be made) the user's own and closed to others; a
    new one for this process otherwise. numba loads machine code from its cache, so a
    folder another user could write into is never used."""
    base = environ.get("TMPDIR") or tempfile.gettempdir()
    if hasattr(os, "getuid"):
        path = os.path.join(base, f"nicsim-{name}-{os.getuid()}")
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
            info = os.lstat(path)
        except OSError:
            pass
        else:
            owned = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            if owned and not info.st_mode & 0o077:
                return path
    return tempfile.mkdtemp(prefix=f"nicsim-{name}-", dir=base)
