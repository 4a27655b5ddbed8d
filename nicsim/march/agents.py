"""March's agents and their update rules: Individuals and the organisational Code (the hub).

Beliefs live in the model's ``(n, m)`` int8 array (one row per Individual) and the code in an
``m``-vector, so each rule is one vectorised numpy expression over every individual and
dimension at once; an Individual agent holds its row index. The rules are module functions
of arrays and uniform draws, so the tests can check each one exactly on hand-built cases.

Counting conventions (docs/VALIDATION.md, section 2):
- knowledge is scored in half units, ``2 * right + zeros_if_half``, so comparisons between
  an individual and the code are exact integer comparisons;
- the *dominant belief* on a dimension is the more common of +1 and -1 in the superior group
  (0 is no belief, the code never learns a 0); ``k`` is its margin (see :func:`dominant`).
"""

from __future__ import annotations

import mesa
import numpy as np

from ..core import libm


def score(beliefs: np.ndarray, reality: np.ndarray, zero_belief: str) -> np.ndarray:
    """Knowledge in half units along the last axis: 2 per right belief, 1 per 0 if ``half``."""
    s = 2 * (beliefs == reality).sum(axis=-1)
    if zero_belief == "half":
        s = s + (beliefs == 0).sum(axis=-1)
    return s


def performance(x: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """Agreement with reality along the last axis, counted -m..m (right minus wrong).

    This is the score of the original program (Christensen 2015): an action is judged by
    its outcome, so a 0 counts neither way, and the code is scored on the same scale.
    """
    return (x.astype(np.int32) * reality).sum(axis=-1)


def act(beliefs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Each individual's actions: its belief where it has one, a coin flip where it is 0.

    Individuals must do something on every dimension, so an open mind shows up as
    experiment; ``u[i, j] < 0.5`` is +1. Only 0 beliefs read their draw.
    """
    coin = np.where(u < 0.5, 1, -1)
    return np.where(beliefs == 0, coin, beliefs).astype(np.int8)


def superior_by_performance(
    actions: np.ndarray, code: np.ndarray, reality: np.ndarray
) -> np.ndarray:
    """Individuals whose actions did strictly better than the code's own score.

    Judged by outcomes rather than beliefs, a lucky coin flip can make an individual
    superior, which keeps the code learning from open-minded members.
    """
    return performance(actions, reality) > performance(code, reality)


def best_performance(beliefs: np.ndarray, reality: np.ndarray) -> np.ndarray:
    """The highest performance each individual's actions can reach: every coin lands right."""
    return performance(beliefs, reality) + (beliefs == 0).sum(axis=-1)


def socialise(
    beliefs: np.ndarray, code: np.ndarray, rates: np.ndarray, u: np.ndarray, mode: str
) -> np.ndarray:
    """Individuals learn from the code: new beliefs of every individual.

    On each dimension where the code is non-zero and differs from a belief, the individual
    moves with its own probability (``rates[i]``, drawn as ``u[i, j] < rates[i]``): to the
    code's value (``jump``) or one unit toward it (``step``: -1 -> 0 -> +1).
    """
    move = (code != 0) & (beliefs != code) & (u < rates[:, None])
    if mode == "jump":
        target = np.broadcast_to(code, beliefs.shape)
    else:
        target = beliefs + np.sign(code - beliefs).astype(np.int8)
    return np.where(move, target, beliefs).astype(np.int8)


def dominant(
    beliefs: np.ndarray, superior: np.ndarray, margin: str
) -> tuple[np.ndarray, np.ndarray]:
    """The superior group's dominant belief per dimension and its margin ``k``.

    ``value`` is +1 or -1, whichever more members of the superior group hold, and 0 on a
    tie (or an empty group). ``k`` is how many hold it in excess of those who do not:
    with ``margin = "opposite"`` those who hold the opposite belief (a 0 abstains), with
    ``"all"`` every other member of the superior group (0s included); a ``k`` of 0 or less
    means no dominant belief, so the code cannot move.
    """
    group = beliefs[superior]
    plus = (group == 1).sum(axis=0)
    minus = (group == -1).sum(axis=0)
    value = np.sign(plus - minus).astype(np.int8)
    held = np.maximum(plus, minus)
    others = np.minimum(plus, minus) if margin == "opposite" else len(group) - held
    k = np.maximum(held - others, 0)
    return np.where(k > 0, value, 0).astype(np.int8), k


def learn_code(
    code: np.ndarray, value: np.ndarray, k: np.ndarray, p2: float, u: np.ndarray
) -> np.ndarray:
    """The code learns from the superior group: its new beliefs.

    Where the dominant belief ``value`` differs from the code, the code adopts it with
    probability ``1 - (1 - p2) ** k`` (drawn as ``u[j] < that``).
    """
    chance = 1.0 - libm.power(1.0 - p2, k)  # the C library's pow: see core.libm
    adopt = (value != 0) & (value != code) & (u < chance)
    return np.where(adopt, value, code).astype(np.int8)


def code_cannot_learn(
    beliefs: np.ndarray, code: np.ndarray, reality: np.ndarray, p2: float
) -> bool:
    """Under ``superiority = "performance"``: no individual can ever act better than the code.

    With the individuals settled this is the original program's stopping rule, read on the
    current code. Otherwise someone can beat the code and, where the code is 0, usually be
    followed; the one miss is a stalemate of members who always beat the code and split
    evenly on every open dimension, which then runs to ``max_periods``.
    """
    return p2 == 0 or not np.any(best_performance(beliefs, reality) > performance(code, reality))


def individuals_settled(beliefs: np.ndarray, code: np.ndarray, rates: np.ndarray) -> bool:
    """No individual can change: each agrees with the code wherever the code is non-zero
    (individuals with a socialisation rate of 0 never change)."""
    return not np.any((code != 0) & (beliefs != code) & (rates[:, None] > 0))


def code_settled(code: np.ndarray, value: np.ndarray, p2: float) -> bool:
    """The code cannot change: it holds the dominant belief wherever there is one."""
    return p2 == 0 or not np.any((value != 0) & (value != code))


class Individual(mesa.Agent):
    """A member of the organisation: row ``row`` of the model's belief array."""

    def __init__(self, model: mesa.Model, row: int, p1: float) -> None:
        super().__init__(model)
        self.row = row
        self.p1 = p1

    @property
    def beliefs(self) -> np.ndarray:
        return self.model.beliefs[self.row]

    @property
    def knowledge(self) -> float:
        """Proportion of reality this individual's beliefs represent correctly."""
        return float(self.model.scores[self.row]) / (2 * self.model.p.m)

    def leave(self, newcomer_beliefs: np.ndarray) -> Individual:
        """Turnover: this individual leaves; a newcomer takes its place (its row and its
        socialisation rate) with fresh random beliefs."""
        self.model.beliefs[self.row] = newcomer_beliefs
        self.remove()
        return Individual(self.model, self.row, self.p1)

    @staticmethod
    def socialise_all(model: mesa.Model, u: np.ndarray) -> np.ndarray:
        """Every individual's beliefs after socialisation by the current code."""
        return socialise(model.beliefs, model.code, model.rates, u, model.p.socialisation)


class Code(mesa.Agent):
    """The organisational code: the hub that learns from its best members and socialises
    all of them. Its beliefs are the model's ``code`` vector (all 0 at the start)."""

    @property
    def beliefs(self) -> np.ndarray:
        return self.model.code

    @property
    def knowledge(self) -> float:
        return float(self.model.code_score) / (2 * self.model.p.m)

    def superior(self, scores: np.ndarray, code_score: int) -> np.ndarray:
        """Individuals whose knowledge strictly exceeds the code's."""
        return scores > code_score

    def learn(self, value: np.ndarray, k: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The code's beliefs after learning from the superior group's dominant beliefs."""
        return learn_code(self.model.code, value, k, self.model.p.p2, u)
