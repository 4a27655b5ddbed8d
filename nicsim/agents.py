"""The organisations and people of a NIC as Mesa agents (DESIGN.md section 3.2).

Districts, universities and the hub are fixed on their network node; leaders are cell
agents placed on their district's node. A district's practice and outcome live in the
model's numpy arrays (indexed by the district's node id) so that whole-population work,
scoring and metrics, stays vectorised; agents hold what is theirs alone: inboxes, test
records, skills and partners.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import CellAgent, FixedAgent

from .ideas import ChangeIdea, Evidence, pool

if TYPE_CHECKING:
    from .model import NICModel


@dataclass
class Trial:
    """A district's own PDSA record on one idea: (leader id, observed gain) per test."""

    idea: ChangeIdea
    results: list[tuple[int, float]] = field(default_factory=list)
    status: str = "testing"  # testing, adopted or rejected
    total: float = 0.0  # running sum of the gains: evidence is read far more than written

    def add(self, leader_id: int, gain: float) -> None:
        self.results.append((leader_id, gain))
        self.total += gain

    def keep(self, results: list[tuple[int, float]]) -> None:
        """Replace the results (a leader left, or the practice changed under the test)."""
        self.results = results
        self.total = sum(g for _, g in results)

    @property
    def evidence(self) -> Evidence:
        n = len(self.results)
        return Evidence(n, self.total / n) if n else Evidence()


class District(FixedAgent):
    """A school district (LEA): tests ideas in its own context and adopts what works there."""

    def __init__(self, model: NICModel, node: int, partnership: int) -> None:
        super().__init__(model)
        self.node = node
        self.partnership = partnership
        self.cell = model.space[node]
        # idea key -> (idea, {sender node: evidence}); evidence from one sender is replaced,
        # never added again, so repeated sharing does not inflate it. Senders' bodies of
        # evidence overlap (the hub's pool contains a partner's own tests), so they are not
        # summed: the district goes by the largest one (see ``strongest``).
        self.inbox: dict[tuple[int, int], tuple[ChangeIdea, dict[int, Evidence]]] = {}
        self.trials: dict[tuple[int, int], Trial] = {}
        self.research: list[ChangeIdea] = []
        self.leaders: list[Leader] = []

    @property
    def practice(self) -> int:
        return int(self.model.practice[self.node])

    @property
    def outcome(self) -> float:
        return float(self.model.outcome[self.node])

    @property
    def context(self) -> int:
        return int(self.model.context[self.node])

    def receive(self, idea: ChangeIdea, evidence: Evidence, sender: int) -> None:
        entry = self.inbox.get(idea.key)
        if entry is None:
            self.inbox[idea.key] = (idea, {sender: evidence})
        else:
            entry[1][sender] = evidence

    def pending_ideas(self) -> list[tuple[ChangeIdea, Evidence]]:
        """Received ideas this district has not tested and does not already practise."""
        practice = self.practice
        out = []
        for key, (idea, by_sender) in self.inbox.items():
            if key in self.trials or idea.apply(practice) == practice:
                continue
            out.append((idea, strongest(by_sender.values())))
        return out

    def embodied_adoptions(self) -> list[tuple[ChangeIdea, Evidence]]:
        """Adopted ideas still part of the practice, with this district's own evidence."""
        practice = self.practice
        return [
            (t.idea, t.evidence)
            for t in self.trials.values()
            if t.status == "adopted" and t.idea.apply(practice) == practice
        ]

    def forget_tests_of(self, leader_id: int) -> None:
        """A departing leader takes the knowledge of tests not yet adopted."""
        for key in list(self.trials):
            trial = self.trials[key]
            if trial.status == "adopted":
                continue
            kept = [r for r in trial.results if r[0] != leader_id]
            if len(kept) < len(trial.results):
                trial.keep(kept)
                if not kept:
                    del self.trials[key]


class Leader(CellAgent):
    """An improvement leader: runs PDSA tests for a district; skill lowers measurement noise."""

    def __init__(self, model: NICModel, district: District, skill: float) -> None:
        super().__init__(model)
        self.district = district
        self.skill = float(skill)
        self.cell = district.cell
        district.leaders.append(self)

    def noise_sd(self) -> float:
        p = self.model.p
        return p.measurement_noise * (1 - (1 - p.expert_noise_ratio) * self.skill)

    def learn_by_doing(self, tests: int) -> None:
        self.skill = 1 - (1 - self.skill) * (1 - self.model.p.learning_by_doing) ** tests

    def leave(self) -> Leader:
        """Leave the district; a novice takes the post. Returns the replacement."""
        district = self.district
        district.forget_tests_of(self.unique_id)
        district.leaders.remove(self)
        self.remove()
        return Leader(self.model, district, self.model.p.novice_skill)


class University(FixedAgent):
    """A university (IHE): offers research-based ideas, coaches leaders, relays ideas."""

    def __init__(self, model: NICModel, node: int, partners: list[District]) -> None:
        super().__init__(model)
        self.node = node
        self.cell = model.space[node]
        self.partners = partners

    def offer_research(self) -> None:
        """Offer each partner the best of a few 2-3 component changes, judged on S only.

        Research knows the general problem (the shared landscape) and the district's current
        practice, not its local context: what it offers can fail locally when h is high.
        """
        m = self.model
        p, rng = m.p, m.rng
        n = p.n_components
        for district in self.partners:
            if rng.random() >= p.research_rate:
                continue
            x = district.practice
            ideas = [
                random_change(rng, n, x, int(rng.integers(2, 4)), "university", self.node)
                for _ in range(p.research_candidates)
            ]
            codes = np.array([idea.apply(x) for idea in ideas] + [x], dtype=np.int64)
            s = m.landscape.shared_fitness(codes)
            best = int(np.argmax(s[:-1]))
            if s[best] > s[-1]:
                district.research.append(ideas[best])

    def train(self) -> None:
        rate = self.model.p.training_rate
        for district in self.partners:
            for leader in district.leaders:
                leader.skill += rate * (1 - leader.skill)

    def relay(self, idea: ChangeIdea, evidence: Evidence, sender: int) -> None:
        """Pass a partner's idea to the other partners; a non-partner's is not relayed."""
        if all(d.node != sender for d in self.partners):
            return
        for district in self.partners:
            if district.node != sender:
                district.receive(idea, evidence, sender)


class Hub(FixedAgent):
    """The NIC hub: convenes members, pools their evidence and spreads what works."""

    def __init__(self, model: NICModel, node: int, members: list[District]) -> None:
        super().__init__(model)
        self.node = node
        self.cell = model.space[node]
        self.members = members

    def pooled_evidence(self) -> list[tuple[ChangeIdea, Evidence]]:
        """Every idea any member has tested, with the test-weighted mean of all members."""
        ideas: dict[tuple[int, int], ChangeIdea] = {}
        found: dict[tuple[int, int], list[Evidence]] = {}
        for district in self.members:
            for key, trial in district.trials.items():
                if trial.results:
                    ideas.setdefault(key, trial.idea)
                    found.setdefault(key, []).append(trial.evidence)
        return [(ideas[k], pool(found[k])) for k in sorted(found)]

    def convene(self) -> None:
        p = self.model.p
        ranked = [
            (idea, ev)
            for idea, ev in self.pooled_evidence()
            if ev.tests >= p.min_tests and ev.mean_gain > p.adoption_threshold
        ]
        ranked.sort(key=lambda item: (-item[1].mean_gain, -item[1].tests, item[0].key))
        for idea, ev in ranked[: p.hub_broadcast]:
            for district in self.members:
                district.receive(idea._replace(origin="hub", source=self.node), ev, self.node)
        self.form_ties()

    def form_ties(self) -> None:
        """Members of different partnerships meet at the convening and may form a tie."""
        m = self.model
        if m.p.tie_formation <= 0:
            return
        pairs = [
            (a, b)
            for i, a in enumerate(self.members)
            for b in self.members[i + 1 :]
            if a.partnership != b.partnership and not m.graph.has_edge(a.node, b.node)
        ]
        draws = m.rng.random(len(pairs))
        for (a, b), u in zip(pairs, draws, strict=True):
            if u < m.p.tie_formation:
                m.add_tie(a.node, b.node, "cross")


def strongest(evidence) -> Evidence:
    """The body of evidence with the most tests (ties: the higher mean gain)."""
    return max(evidence, key=lambda e: (e.tests, e.mean_gain))


def random_change(
    rng: np.random.Generator, n: int, practice: int, size: int, origin: str, source: int
) -> ChangeIdea:
    """An idea that flips ``size`` random components of ``practice``."""
    if size == 1:  # the common case (local variation): avoid choice()'s permutation cost
        mask = 1 << int(rng.integers(n))
    else:
        mask = int(sum(1 << int(c) for c in rng.choice(n, size=min(size, n), replace=False)))
    return ChangeIdea(mask, ~practice & mask, origin, source)
