"""MarchModel: reality, the individuals, the code, the period schedule and data collection.

Randomness: one integer seed spawns independent streams for reality, the initial beliefs,
the learning draws (the Mesa model's ``rng``), the newcomers of turnover and the flips of
turbulence. Reality and the initial beliefs depend only on the seed, ``m`` and ``n``, and
every period draws the same number of uniforms whatever the rates, so two settings run with
the same seed start from the same place and share their random numbers (common random
numbers, as in the NIC model: docs/ODD.md section 4).
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from ..core.params import model_inputs
from ..core.release import forget_model
from ..core.streams import spawn_streams
from ..march import metrics
from .agents import (
    Code,
    Individual,
    act,
    code_cannot_learn,
    code_settled,
    dominant,
    individuals_settled,
    score,
    superior_by_performance,
)
from .params import MarchParams

STREAMS = ("reality", "beliefs", "dynamics", "newcomers", "turbulence")


def streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent generators for each source of randomness, all spawned from ``seed``."""
    return spawn_streams(seed, STREAMS)


class MarchModel(mesa.Model):
    """March's (1991) mutual learning between an organisational code and its members.

    ``beliefs`` is ``(n, m)`` int8 in {-1, 0, +1}, ``code`` and ``reality`` are ``m``-vectors.
    Each period (one ``step``): socialisation and code learning, both reading the state at
    the start of the period (``update = "simultaneous"``) or the code learning after the
    individuals (``"sequential"``); then turnover (p3) and turbulence (p4). With
    ``superiority = "performance"`` the code learns from the actions the individuals take on
    the beliefs it reads (a coin flip on each 0), judged against the code's own score.
    ``running`` turns False at equilibrium, when no change is possible any more, or at
    ``max_periods``, so ``run_model()`` and ``mesa.batch_run`` stop where :meth:`run` does.

    Built Mesa's way, ``MarchModel(seed=1, p1=0.1)``, or nicsim's, ``MarchModel(MarchParams(),
    seed=1)``, as :class:`nicsim.nic.model.NICModel` is: keywords are checked as a config
    file's keys, ``rng`` is Mesa's name for the seed, and ``None`` for both is seed 1.
    """

    def __init__(
        self,
        params: MarchParams | None = None,
        seed: int | None = None,
        *,
        rng: int | None = None,
        **values: Any,
    ) -> None:
        p, seed = model_inputs(MarchParams, params, values, seed, rng)
        rngs = streams(seed)
        super().__init__(rng=rngs["dynamics"])
        self.p = p
        self.seed = seed
        self._newcomers = rngs["newcomers"]
        self._turbulence = rngs["turbulence"]
        self.reality = (2 * rngs["reality"].integers(0, 2, p.m) - 1).astype(np.int8)
        self.beliefs = rngs["beliefs"].integers(-1, 2, (p.n, p.m)).astype(np.int8)
        self.code = np.zeros(p.m, dtype=np.int8)
        self.rates = np.where(np.arange(p.n) < p.n_fast, p.p1_fast, p.p1)
        self.individuals = [Individual(self, row, rate) for row, rate in enumerate(self.rates)]
        self.hub = Code(self)
        self.counts = {"belief_changes": 0, "code_changes": 0, "newcomers": 0}
        self.equilibrium = False
        # under "performance" the superior group is who acted better in the last period:
        # before the first, nobody has acted
        self.superior = np.zeros(p.n, dtype=bool)
        self.observe()
        self.datacollector = mesa.DataCollector(model_reporters=metrics.STEP_REPORTERS)
        self.datacollector.collect(self)

    # -- state ------------------------------------------------------------------------------
    def read_superior(self, beliefs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Superior group, dominant belief and margin for ``beliefs`` against the code."""
        scores = score(beliefs, self.reality, self.p.zero_belief)
        code_score = score(self.code, self.reality, self.p.zero_belief)
        superior = self.hub.superior(scores, code_score)
        value, k = dominant(beliefs, superior, self.p.margin)
        return superior, value, k

    def read_actions(self, beliefs: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, ...]:
        """Superior group, dominant action and margin when members are judged by what they do.

        The code learns from the superior group's actions, so ``dominant`` reads actions,
        where no one abstains: its margin is the majority minus the minority, as in the
        original program (either ``margin`` reading gives the same ``k``).
        """
        actions = act(beliefs, u)
        superior = superior_by_performance(actions, self.code, self.reality)
        value, k = dominant(actions, superior, self.p.margin)
        return superior, value, k

    def observe(self) -> None:
        """Score the current state and decide whether it is an equilibrium."""
        p = self.p
        self.scores = score(self.beliefs, self.reality, p.zero_belief)
        self.code_score = int(score(self.code, self.reality, p.zero_belief))
        if p.superiority == "performance":
            code_stuck = code_cannot_learn(self.beliefs, self.code, self.reality, p.p2)
        else:
            self.superior, self.value, self.k = self.read_superior(self.beliefs)
            code_stuck = code_settled(self.code, self.value, p.p2)
        self.equilibrium = (
            not p.fixed_horizon
            and individuals_settled(self.beliefs, self.code, self.rates)
            and code_stuck
        )
        self.running = not self.equilibrium and self.steps < p.max_periods

    # -- the schedule -----------------------------------------------------------------------
    def step(self) -> None:
        """One period: mutual learning, turnover, turbulence, then measure."""
        p = self.p
        u_social = self.rng.random((p.n, p.m))
        u_code = self.rng.random(p.m)
        beliefs = Individual.socialise_all(self, u_social)
        learn_from = beliefs if p.update == "sequential" else self.beliefs
        if p.superiority == "performance":
            # drawn last, so the other readings keep their random numbers
            u_act = self.rng.random((p.n, p.m))
            self.superior, value, k = self.read_actions(learn_from, u_act)
        elif p.update == "sequential":
            _, value, k = self.read_superior(beliefs)
        else:
            value, k = self.value, self.k
        code = self.hub.learn(value, k, u_code)
        self.counts["belief_changes"] = int((beliefs != self.beliefs).sum())
        self.counts["code_changes"] = int((code != self.code).sum())
        self.beliefs, self.code = beliefs, code
        self.turnover()
        self.turbulence()
        self.observe()
        self.datacollector.collect(self)

    def turnover(self) -> None:
        """Each individual leaves with probability p3; a newcomer has random beliefs."""
        self.counts["newcomers"] = 0
        if self.p.p3 == 0:
            return
        leaving = self._newcomers.random(self.p.n) < self.p.p3
        fresh = self._newcomers.integers(-1, 2, (self.p.n, self.p.m)).astype(np.int8)
        for row in np.flatnonzero(leaving):
            self.individuals[row] = self.individuals[row].leave(fresh[row])
        self.counts["newcomers"] = int(leaving.sum())

    def turbulence(self) -> None:
        """Each dimension of reality flips with probability p4."""
        if self.p.p4 > 0:
            flip = self._turbulence.random(self.p.m) < self.p.p4
            self.reality = np.where(flip, -self.reality, self.reality).astype(np.int8)

    def run(self, periods: int | None = None) -> MarchModel:
        """Run to equilibrium or to ``max_periods`` (exactly ``max_periods`` with p3 or p4)."""
        limit = self.p.max_periods if periods is None else periods
        while not self.equilibrium and self.steps < limit:
            self.step()
        return self

    def run_model(self) -> None:
        """Mesa's "run until ``running`` turns False": :meth:`run` to its end."""
        self.run()

    def release(self) -> None:
        """Let this finished model be freed (see ``nicsim.core.release.forget_model``)."""
        forget_model(self)
