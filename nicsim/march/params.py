"""Parameters of March's (1991) mutual-learning model, validated like the NIC model's.

Fields are declared with the same ``_p`` helper and checked by the same
``nicsim.core.params.check_fields``, so a bad value gives the same one-line message naming the
key, the value and what is allowed. The defaults are the paper's base case (m = 30,
n = 50, no turnover, no turbulence, run to equilibrium).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..core.params import ConfigError, ModelParams, ReadIn, check_fields, param

SOCIALISATION = ("jump", "step")
ZERO_BELIEF = ("wrong", "half")
MARGIN = ("opposite", "all")
UPDATE = ("simultaneous", "sequential")
SUPERIORITY = ("knowledge", "performance")
# the runs that read a parameter only some runs read (nicsim.core.params.ReadIn)
WITH_FAST_LEARNERS = ReadIn("runs with n_fast > 0", lambda p: p.n_fast > 0)


@dataclass(frozen=True)
class MarchParams(ModelParams):
    """March (1991): reality, individuals, the organisational code and their learning rates."""

    MODEL: ClassVar[str] = "march"

    # -- reality and population --
    m: int = param(30, "dimensions of reality (each +1 or -1 with probability 1/2)", 1, None)
    n: int = param(50, "individuals (beliefs drawn uniformly from -1, 0, +1)", 1, None)
    # -- learning --
    p1: float = param(0.5, "socialisation rate: chance to adopt the code's belief on a dim", 0, 1)
    p2: float = param(
        0.5, "code learning rate: chance per unit of margin k to adopt a belief", 0, 1
    )
    n_fast: int = param(0, "fast learners: the first n_fast individuals socialise at p1_fast", 0)
    p1_fast: float = param(
        0.9, "socialisation rate of the fast learners", 0.0, 1.0, read_in=WITH_FAST_LEARNERS
    )
    # -- extensions --
    p3: float = param(0.0, "turnover: chance per period each individual is replaced", 0, 1)
    p4: float = param(0.0, "turbulence: chance per period each dim of reality flips", 0, 1)
    # -- choices where the paper is open --
    socialisation: str = param(
        "jump", "jump to the code's belief, or step one unit toward it", choices=SOCIALISATION
    )
    zero_belief: str = param(
        "wrong", "a 0 belief counts as wrong (never matches) or as half right", choices=ZERO_BELIEF
    )
    margin: str = param(
        "opposite",
        "k = dominant holders minus opposite holders, or minus all other superior members",
        choices=MARGIN,
    )
    update: str = param(
        "simultaneous",
        "both rules read the start of the period, or the code learns after socialisation",
        choices=UPDATE,
    )
    superiority: str = param(
        "knowledge",
        "superior group by beliefs' knowledge, or by the performance of actions (a 0 belief "
        "acts on a coin flip) against the code's, the code learning from those actions",
        choices=SUPERIORITY,
    )
    # -- run --
    max_periods: int = param(
        5000, "cap on periods; with p3 or p4 > 0 every run lasts exactly this long", 1, None
    )

    def __post_init__(self) -> None:
        check_fields(self)
        if self.n_fast > self.n:
            raise ConfigError(
                f"n_fast = {self.n_fast} is not allowed: expected at most n ({self.n})"
            )

    @property
    def fixed_horizon(self) -> bool:
        """With turnover or turbulence there is no equilibrium: run max_periods periods."""
        return self.p3 > 0 or self.p4 > 0
