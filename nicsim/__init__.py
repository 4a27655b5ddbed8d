"""nicsim: agent-based simulation of networked improvement communities (NICs)."""

from .core.version import __version__
from .lab.config import load_config
from .nic.params import Params

__all__ = ["NICModel", "Params", "load_config", "__version__"]


def __getattr__(name: str):
    # The model (and Mesa, SciPy and pandas behind it) loads on first use: the command
    # line, and a sweep's main process that only hands runs to workers, start without it.
    if name == "NICModel":
        from .nic.model import NICModel

        return NICModel
    raise AttributeError(f"module 'nicsim' has no attribute {name!r}")
