"""March (1991) mutual learning: an organisational code and the individuals it socialises.

Registered as model ``"march"`` in :mod:`nicsim.lab.registry`; a config with ``model = "march"``
runs it through the same plans, evaluators and store as the NIC model.
"""

from .params import MarchParams

__all__ = ["MarchModel", "MarchParams"]


def __getattr__(name: str):
    if name == "MarchModel":  # Mesa loads on first use, as in ``nicsim``
        from .model import MarchModel

        return MarchModel
    raise AttributeError(f"module 'nicsim.march' has no attribute {name!r}")
