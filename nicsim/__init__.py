"""nicsim: agent-based simulation of networked improvement communities (NICs).

From Python (docs/python.md): ``nicsim.simulate(seed=1, **params)`` runs once and returns
the final metrics; ``nicsim.NICModel(seed=1, **params)`` and ``nicsim.MarchModel`` are Mesa
models (``step``, ``run_model``, ``datacollector``, ``mesa.batch_run``); a bad parameter
raises ``nicsim.ConfigError`` with the text the command line prints.
"""

from .core.caches import use_writable_caches
from .core.params import ConfigError
from .core.version import __version__
from .lab.config import load_config
from .march.params import MarchParams
from .nic.params import Params

use_writable_caches()  # before numba or matplotlib is imported (nicsim/core/caches.py)

__all__ = [
    "ConfigError",
    "MarchModel",
    "MarchParams",
    "NICModel",
    "Params",
    "load_config",
    "simulate",
    "__version__",
]


def __getattr__(name: str):
    # The models (and Mesa, SciPy and pandas behind them) load on first use: the command
    # line, and a sweep's main process that only hands runs to workers, start without them.
    if name == "NICModel":
        from .nic.model import NICModel

        return NICModel
    if name == "MarchModel":
        from .march.model import MarchModel

        return MarchModel
    if name == "simulate":
        from .lab.single_run import simulate

        return simulate
    raise AttributeError(f"module 'nicsim' has no attribute {name!r}")
