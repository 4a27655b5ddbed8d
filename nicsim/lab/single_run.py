"""One run from Python: ``nicsim.simulate(seed=1, **params)``, a function of parameters and a
seed that returns outcomes, which is what the EMA Workbench, SALib, Optuna and ABC
libraries call.

It is the command line's run, not a copy of it: the parameters are read as a config
file's keys are (a mistake raises the ``ConfigError`` whose text ``nicsim run`` prints),
and the registered model runs and is measured as a sweep's worker does it
(:meth:`nicsim.lab.registry.ModelSpec.outcomes`), so its numbers are a ``runs.csv`` row's.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..core.params import check_run_key, unread_settings
from . import budget
from .config import from_dict
from .registry import for_params


def simulate(
    seed: int = 1, *, timeseries: bool = False, allow_large: bool = False, **params: Any
) -> dict[str, Any]:
    """Run the model once and return its final metrics as a flat dict.

    ``params`` are any of the model's parameters (``nicsim params`` lists them), and
    ``model="march"`` picks the March model. The keys are the metric columns of
    ``runs.csv`` (``mean_outcome``, ``average_outcome``, ``steps_to_target``, ...), with the
    same values that ``nicsim run`` writes for the same seed and parameters
    (``steps_to_target`` is None where ``runs.csv`` is empty). ``timeseries=True`` adds
    ``"timeseries"``: a DataFrame with one row per step (step 0 is the initial state), the
    columns of ``timeseries.parquet``.

    A run that would need more memory than this machine can spare is refused before it
    starts, as ``nicsim run`` refuses it (``allow_large=True`` runs it anyway); a run of
    more than a day is a warning, and so is a parameter set that this run does not read
    (``velocity`` in a PDSA run), as ``nicsim run`` warns of it.

    Pure: it writes nothing, and its result depends on its arguments only (what it keeps
    between calls, the last landscape and fixed networks, only saves rebuilding them), so it
    can run in any process, in any order (the function and its result pickle).
    """
    seed = check_run_key("seed", seed)
    p = from_dict(params)
    for line in [
        *unread_settings([p]),
        *budget.check_run(p, allow_large, override="allow_large=True"),
    ]:
        warnings.warn(line, stacklevel=2)
    series, summary = for_params(p).outcomes(p, seed)
    if timeseries:
        import pandas as pd

        summary["timeseries"] = pd.DataFrame(series)
    return summary
