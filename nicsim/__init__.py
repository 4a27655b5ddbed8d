"""nicsim: agent-based simulation of networked improvement communities (NICs)."""

__version__ = "0.2.0"

from .model import NICModel  # noqa: E402
from .params import Params, load_config  # noqa: E402

__all__ = ["NICModel", "Params", "load_config", "__version__"]
