"""numba's and matplotlib's caches for an installation nobody can write to
(nicsim/core/caches.py).

Tests run as any user, root included, who may write anywhere: a folder is made unwritable
here by putting it under a regular file, which no one can make a folder in."""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nicsim.core.caches import matplotlib_config, numba_cache

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def blocked(tmp_path: Path) -> Path:
    """A regular file: nothing can be made under it."""
    path = tmp_path / "a file"
    path.write_text("")
    return path


def test_numbas_own_choice_where_a_usual_place_can_be_written(tmp_path, blocked):
    writable_package = tmp_path / "site" / "nicsim"
    assert numba_cache(writable_package, {"HOME": str(blocked)}) is None
    unwritable_package = blocked / "nicsim"
    user_cache = tmp_path / "cache"
    assert numba_cache(unwritable_package, {"XDG_CACHE_HOME": str(user_cache)}) is None
    assert (user_cache / "numba").is_dir()
    # the user's own setting always wins
    environ = {"NUMBA_CACHE_DIR": "/somewhere", "HOME": str(blocked)}
    assert numba_cache(unwritable_package, environ) is None


def test_a_private_temporary_folder_where_neither_can(tmp_path, blocked):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    environ = {"HOME": str(blocked), "TMPDIR": str(temporary)}
    path = numba_cache(blocked / "nicsim", environ)
    assert Path(path).parent == temporary and Path(path).is_dir()
    if hasattr(os, "getuid"):  # kept between runs, closed to other users
        assert path == numba_cache(blocked / "nicsim", environ)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="folders owned by a user id: POSIX")
def test_a_shared_folder_is_never_used(tmp_path, blocked):
    """A per-user folder others can write into (made by someone else, or opened up) could
    hold machine code numba would load: a new private folder is used instead."""
    temporary = tmp_path / "tmp"
    shared = temporary / f"nicsim-numba-{os.getuid()}"
    shared.mkdir(parents=True)
    shared.chmod(0o777)
    path = numba_cache(blocked / "nicsim", {"HOME": str(blocked), "TMPDIR": str(temporary)})
    assert Path(path).parent == temporary and Path(path) != shared
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700


CHILD = """
import nicsim  # first, as the command line imports it
import matplotlib, numba
from nicsim.nic.model import NICModel
NICModel(seed=1, steps=2).run()
print(numba.config.CACHE_DIR)
print(matplotlib.get_configdir())
"""


@pytest.mark.slow
def test_a_read_only_installation_runs(tmp_path, blocked):
    """nicsim copied where no cache can be written beside its modules, run by a user whose
    home cannot be written either: it runs, numba caches in the temporary folder (it raised
    "cannot cache function" at import before), and matplotlib does not warn."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "nicsim", site / "nicsim", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("core", "nic"):  # a file where numba would make its cache folder
        (site / "nicsim" / folder / "__pycache__").write_text("")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    unset = ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "MPLCONFIGDIR", "XDG_CONFIG_HOME")
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    environ |= {"PYTHONPATH": str(site), "HOME": str(blocked), "TMPDIR": str(temporary)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=environ, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    cache, config = (Path(line) for line in done.stdout.split())
    assert cache.parent == temporary and any(cache.rglob("*.nbi"))
    assert config.parent == temporary and "Matplotlib created a temporary" not in done.stderr


def test_matplotlibs_folder(tmp_path, blocked):
    """matplotlib's own folder where it can be written or is set; else a private one."""
    assert matplotlib_config({"XDG_CONFIG_HOME": str(tmp_path / "config")}) is None
    assert matplotlib_config({"MPLCONFIGDIR": "/somewhere", "HOME": str(blocked)}) is None
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    path = matplotlib_config({"HOME": str(blocked), "TMPDIR": str(temporary)})
    assert Path(path).parent == temporary and "matplotlib" in Path(path).name
