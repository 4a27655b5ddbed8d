"""The organisations and people of a NIC as Mesa agents (docs/ODD.md, section 7).

Districts, universities and the hub are fixed on their network node; leaders are cell
agents placed on their district's node. A district's practice and outcome live in the
model's numpy arrays (indexed by the district's node id) so that whole-population work,
scoring and metrics, stays vectorised; agents hold what is theirs alone: inboxes, test
records, skills and partners.
"""

from __future__ import annotations

import heapq

import mesa
import numpy as np
from mesa.discrete_space import CellAgent, FixedAgent

from ..core import libm
from .ideas import ChangeIdea, Evidence, hub_rank, strongest
from .knowledge import graduate, learn_at_convening
from .networks import random_cross_pairs
from .records import Key, Pool, Trial


class Organisation(FixedAgent):
    """A district, university or hub: an agent fixed on its node of the network."""

    def __init__(self, model: mesa.Model, node: int) -> None:
        super().__init__(model)
        self.node = node
        self.cell = model.space[node]


class District(Organisation):
    """A school district (LEA): tests ideas in its own context and adopts what works there.

    Besides the full records (``inbox``, ``trials``) it keeps ``testing`` and ``adopted``,
    the trials with that status, because every month reads them.
    """

    def __init__(self, model: mesa.Model, node: int, partnership: int) -> None:
        super().__init__(model, node)
        self.partnership = partnership
        # idea key -> (idea, {sender node: evidence}). A sender's new evidence replaces its
        # old, so repeated sharing does not inflate it. Senders' evidence overlaps (the
        # hub's pool contains a partner's own tests), so it is never summed: the district
        # goes by the largest body (see ``strongest``).
        self.inbox: dict[Key, tuple[ChangeIdea, dict[int, Evidence]]] = {}
        self.trials: dict[Key, Trial] = {}
        self.testing: dict[Key, Trial] = {}
        self.adopted: dict[Key, Trial] = {}
        self.research: list[ChangeIdea] = []  # offers from partner universities, oldest first
        self.leaders: list[Leader] = []
        # ``pending`` as worked out for ``_pending_practice`` (-1: not yet), kept in step as
        # ideas arrive and records open or go: rebuilding it from a long inbox at every
        # read made a run 1.7 times as long (benchmarks/paired.py)
        self._pending: dict[Key, tuple[ChangeIdea, Evidence]] = {}
        self._pending_practice = -1
        self._variations: dict[Key, ChangeIdea] = {}  # made once: the same few recur
        # the test slots of a month of full capacity, kept until a leader leaves or
        # joins: working them out every month cost 6% of a run's time
        self._slots: tuple[list[int], list[int]] | None = None

    @property
    def practice(self) -> int:
        return int(self.model.practice[self.node])

    @property
    def outcome(self) -> float:
        return float(self.model.outcome[self.node])

    @property
    def context(self) -> int:
        return int(self.model.context[self.node])

    # -- ideas received -----------------------------------------------------------------
    def receive(self, idea: ChangeIdea, evidence: Evidence, sender: int) -> None:
        """Note an idea shared with this district, replacing the sender's earlier evidence."""
        if idea.key not in self.inbox:
            self.inbox[idea.key] = (idea, {})
        self.inbox[idea.key][1][sender] = evidence
        self._update_pending(idea.key)

    @property
    def pending(self) -> dict[Key, tuple[ChangeIdea, Evidence]]:
        """Received ideas this district has not tested and does not already practise,
        with their strongest evidence."""
        return self.pending_at(self.practice)

    def pending_at(self, practice: int) -> dict[Key, tuple[ChangeIdea, Evidence]]:
        """:attr:`pending`, given the current practice (a caller walking many districts
        reads all practices at once)."""
        if practice != self._pending_practice:
            self._pending_practice = practice
            self._pending = {}
            for key in self.inbox:
                self._update_pending(key)
        return self._pending

    def _update_pending(self, key: Key) -> None:
        """Add a received idea to ``pending`` if it is untested and would change the practice."""
        practice = self._pending_practice
        idea, by_sender = self.inbox[key]
        if practice >= 0 and key not in self.trials and idea.apply(practice) != practice:
            self._pending[key] = (idea, strongest(by_sender.values()))

    # -- own tests ----------------------------------------------------------------------
    def test_slots(self, per_leader: int, capacity: list[int] | None = None):
        """This month's test slots: the leader id and post of each, a leader's tests
        together, leaders in the order they joined. Each leader has ``per_leader`` slots,
        or, given ``capacity`` (tests by post this month), its capacity."""
        if capacity is not None:
            slots = [x for x in self.leaders for _ in range(capacity[x.post])]
            return [x.unique_id for x in slots], [x.post for x in slots]
        if self._slots is None:
            slots = [leader for leader in self.leaders for _ in range(per_leader)]
            self._slots = [x.unique_id for x in slots], [x.post for x in slots]
        return self._slots

    def join(self, leader: Leader) -> None:
        self.leaders.append(leader)
        self._slots = None

    def part(self, leader: Leader) -> None:
        self.leaders.remove(leader)
        self._slots = None

    def variation(self, component: int, practice: int) -> ChangeIdea:
        """This district's own idea of flipping one ``component`` of ``practice``."""
        bit = 1 << component
        key = (bit, ~practice & bit)
        if key not in self._variations:
            self._variations[key] = ChangeIdea(bit, ~practice & bit, "district", self.node)
        return self._variations[key]

    def start_trial(self, idea: ChangeIdea) -> Trial:
        """A new, empty record for ``idea``, replacing a closed one: a re-test starts
        afresh, and the old results leave the pool."""
        old = self.trials.get(idea.key)
        if old is not None and old.gains:
            self.model.pool.change(old.idea, -old.tests, -old.total)
        if old is not None and old.status == "adopted":
            del self.adopted[idea.key]
        self._pending.pop(idea.key, None)
        trial = self.trials[idea.key] = self.testing[idea.key] = Trial(idea)
        return trial

    def record(
        self, runs: list[tuple[ChangeIdea, int]], leader_ids: list[int], gains: list[float]
    ) -> None:
        """Study: file this month's results. ``runs`` are (idea, tests) in the order the
        slots ran them; ``leader_ids`` and ``gains`` have one entry per slot."""
        first, practice = 0, self.practice
        for idea, tests in runs:
            last = first + tests
            trial = self.testing.get(idea.key) or self.start_trial(idea)
            trial.base = practice
            total = trial.add(leader_ids[first:last], gains[first:last])
            self.model.pool.change(trial.idea, tests, total)
            first = last

    def revise(self, trial: Trial, leader_ids: list[int], gains: list[float]) -> None:
        """Replace a record's results (a leader left, or the practice changed under the
        tests), keeping the pool in step."""
        tests, total = trial.tests, trial.total
        trial.replace(leader_ids, gains)
        self.model.pool.change(trial.idea, trial.tests - tests, trial.total - total)

    def reject(self, trial: Trial) -> None:
        """Close an idea under test as rejected."""
        del self.testing[trial.idea.key]
        trial.status = "rejected"

    def adopt(self, trial: Trial) -> None:
        """Close an idea under test as adopted; it starts on its way out."""
        del self.testing[trial.idea.key]
        self.adopted[trial.idea.key] = trial
        trial.adopt(self.share_ties())
        self.model.outbox[trial] = self

    def forget_tests_of(self, leader_id: int) -> None:
        """A departing leader takes the knowledge of tests not yet adopted with them. A
        record left with no tests is gone, so its idea is untested again."""
        lost = [t for t in self.trials.values() if leader_id in t.leaders and t.status != "adopted"]
        for trial in lost:
            kept = [
                (x, g) for x, g in zip(trial.leaders, trial.gains, strict=True) if x != leader_id
            ]
            self.revise(trial, [x for x, _ in kept], [g for _, g in kept])
            if not kept:
                del self.trials[trial.idea.key]
                self.testing.pop(trial.idea.key, None)
                if trial.idea.key in self.inbox:
                    self._update_pending(trial.idea.key)

    # -- sharing ------------------------------------------------------------------------
    def embodied_adoptions(self) -> list[tuple[ChangeIdea, Evidence]]:
        """Adopted ideas still part of the practice, with this district's own evidence."""
        practice = self.practice
        return [
            (t.idea, t.evidence)
            for t in self.adopted.values()
            if t.idea.apply(practice) == practice
        ]

    def share_ties(self) -> list[int]:
        """Ties an adopted idea is shared along (all but the hub's), in node order."""
        kind = self.model.kind
        return [v for v in self.model.ties(self.node) if kind[v] != "hub"]

    def new_tie(self, other: int) -> None:
        """A tie formed after adoptions: what this district adopted may cross it too."""
        for trial in self.adopted.values():
            trial.unsent.append(other)
        self.refresh_outbox()

    def refresh_outbox(self) -> None:
        """Offer for sharing every adopted idea that is part of the practice again (after a
        change of practice) and has ties still to cross."""
        practice = self.practice
        for trial in self.adopted.values():
            if trial.unsent and trial.idea.apply(practice) == practice:
                self.model.outbox[trial] = self


class Leader(CellAgent):
    """An improvement leader: runs PDSA tests for a district; skill lowers measurement noise.

    A leader holds a post (``model.skill[post]``); the novice who replaces a leaver takes
    the same post, so coaching and learning by doing update every skill in one array.
    """

    def __init__(self, model: mesa.Model, district: District, skill: float, post: int) -> None:
        super().__init__(model)
        self.district = district
        self.post = post
        self.skill = skill
        self.cell = district.cell
        district.join(self)

    @property
    def skill(self) -> float:
        return float(self.model.skill[self.post])

    @skill.setter
    def skill(self, value: float) -> None:
        self.model.skill[self.post] = value

    def leave(self) -> Leader:
        """Leave the district, taking what this leader knew: its belief, its tests of
        ideas not yet adopted and the personal ties it formed. A new leader takes the
        post (:func:`~nicsim.nic.knowledge.graduate`). Returns the replacement."""
        model, district = self.model, self.district
        district.forget_tests_of(self.unique_id)
        model.forget_leader(self)
        district.part(self)
        self.remove()
        return Leader(model, district, graduate(model, self.post, district.node), self.post)


class University(Organisation):
    """A university (IHE): offers research-based ideas, coaches leaders, relays ideas."""

    def __init__(self, model: mesa.Model, node: int, partners: list[District]) -> None:
        super().__init__(model, node)
        self.partners = partners
        self.partner_nodes = {d.node for d in partners}
        self.posts = np.array([x.post for d in partners for x in d.leaders], dtype=np.int64)

    def train(self) -> None:
        """Coaching: skill += training_rate * (1 - skill) for every partner's leaders."""
        coach(self.model.p, self.model.skill, self.posts)

    def receive(self, idea: ChangeIdea, evidence: Evidence, sender: int) -> None:
        """A university does not test ideas: it relays a partner's idea to its other
        partners (the original district stays the sender). A non-partner's is dropped."""
        if sender not in self.partner_nodes:
            return
        for district in self.partners:
            if district.node != sender:
                district.receive(idea, evidence, sender)


class Hub(Organisation):
    """The NIC hub: convenes members, pools their evidence and spreads what works."""

    def __init__(self, model: mesa.Model, node: int, members: list[District]) -> None:
        super().__init__(model, node)
        self.members = members
        self.groups = np.array([d.partnership for d in members], dtype=np.int64)

    def pooled_evidence(self) -> list[tuple[ChangeIdea, Evidence]]:
        """Every idea any member has tested, with the test-weighted mean of all members."""
        return self.pool().evidence()

    def pool(self) -> Pool:
        """The members' evidence: the model's running pool when every district is a member."""
        if len(self.members) == len(self.model.districts):
            return self.model.pool
        pool = Pool()
        for district in self.members:
            for trial in district.trials.values():
                if trial.gains:
                    pool.change(trial.idea, trial.tests, trial.total)
        return pool

    def convene(self) -> None:
        """Broadcast the best-evidenced passing ideas to every member, then let members of
        different partnerships meet."""
        p = self.model.p
        passing = self.pool().passing(p.min_tests, p.adoption_threshold)
        broadcast = heapq.nsmallest(p.hub_broadcast, passing, key=hub_rank)
        for idea, evidence in broadcast:
            idea = idea._replace(origin="hub", source=self.node)
            for district in self.members:
                district.receive(idea, evidence, self.node)
        learn_at_convening(self.model, broadcast, self.members)
        self.form_ties()

    def form_ties(self) -> None:
        """Members of different partnerships meet at the convening and may form a tie."""
        m = self.model
        if m.p.tie_formation <= 0:
            return
        for a, b in random_cross_pairs(self.groups, m.p.tie_formation, m.rng):
            a, b = self.members[a].node, self.members[b].node
            if not m.graph.has_edge(a, b):
                m.add_tie(a, b, "cross")
                m.make_personal(a, b)


def noise_sd(p, skill):
    """Measurement noise of a leader of ``skill`` (a number or an array): a novice's
    ``measurement_noise``, shrinking to ``expert_noise_ratio`` of it at full skill."""
    return p.measurement_noise * (1 - (1 - p.expert_noise_ratio) * skill)


def coach(p, skill: np.ndarray, posts: np.ndarray) -> None:
    """Coaching closes ``training_rate`` of the gap to full skill for the leaders at
    ``posts`` (distinct posts: a post listed twice is coached once)."""
    skill[posts] += p.training_rate * (1 - skill[posts])


def learn_by_doing(p, skill: np.ndarray, tests) -> None:
    """Skill grows with practice: each test closes ``learning_by_doing`` of the gap to 1
    (``tests``: one count for everyone, or a count per post)."""
    np.subtract(1, skill, out=skill)  # in place: 1 - (1 - skill) * (1 - rate) ** tests
    skill *= libm.power(1 - p.learning_by_doing, np.asarray(tests, dtype=np.float64))
    np.subtract(1, skill, out=skill)
