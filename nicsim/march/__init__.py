"""March (1991) mutual learning: an organisational code and the individuals it socialises.

Registered as model ``"march"`` in :mod:`nicsim.models`; a config with ``model = "march"``
runs it through the same plans, evaluators and store as the NIC model.
"""

from .model import MarchModel
from .params import MarchParams

__all__ = ["MarchModel", "MarchParams"]
