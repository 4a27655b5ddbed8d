"""The organisations and people of a NIC as Mesa agents (DESIGN.md section 3.2).

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

from .ideas import ChangeIdea, Evidence, components, hub_rank
from .networks import random_cross_pairs


class Trial:
    """A district's own PDSA record on one idea: who ran each test and the gain observed.

    A plain slotted class with the leaders and gains in two parallel lists: districts open
    and close tens of thousands of these in a run, and record a few tests at a time.
    """

    __slots__ = ("idea", "leaders", "gains", "status", "total", "unsent", "shared")

    def __init__(
        self, idea: ChangeIdea, leaders: list[int], gains: list[float], total: float
    ) -> None:
        """A record opened with its first tests (lists it keeps), ``total`` their gain."""
        self.idea = idea
        self.leaders = leaders
        self.gains = gains
        self.status = "testing"  # testing, adopted or rejected
        # the running sum of the gains: evidence is read far more than written
        self.total = total
        # Set by ``adopt``, and read only of adopted records (most records are rejected, so
        # they are not set before): ``unsent``, the ties this idea has not crossed yet
        # (sharing the same evidence along a tie twice changes nothing for the receiver, so
        # each tie is tried until it succeeds), and ``shared``, the evidence it travels with.

    def __repr__(self) -> str:
        return f"Trial({self.idea!r}, {self.results!r}, {self.status!r})"

    @property
    def results(self) -> list[tuple[int, float]]:
        """(leader id, observed gain) of each test, in the order they were run."""
        return list(zip(self.leaders, self.gains, strict=True))

    @property
    def evidence(self) -> Evidence:
        n = len(self.gains)
        return Evidence(n, self.total / n) if n else Evidence()

    def adopt(self, ties: list[int]) -> None:
        """Close as adopted, to be shared along ``ties``; the evidence is final from now
        on (a re-test opens a new record), so it is worked out once for every message."""
        self.status = "adopted"
        self.unsent: list[int] = ties
        self.shared = self.evidence


class Pool:
    """Tests and summed gains per idea over every district's own records, kept up to date
    as records change, so a hub of all districts pools the evidence without rereading
    every record of every member at each convening."""

    def __init__(self) -> None:
        # idea key -> [tests, summed gain, idea]: one look-up per change, and records change
        # at every test
        self.entries: dict[tuple[int, int], list] = {}

    def change(self, idea: ChangeIdea, tests: int, total: float) -> None:
        """Add ``tests`` (negative: remove) with summed gain ``total`` to ``idea``'s entry.
        ``District.record`` does the common case, adding to an existing entry, inline."""
        key = idea.key
        entry = self.entries.get(key)
        if entry is None:
            if tests:
                self.entries[key] = [tests, 0.0 + total, idea]
        elif entry[0] + tests:
            entry[0] += tests
            entry[1] += total
        else:  # no tests left anywhere: forget, leaving no rounding residue
            del self.entries[key]

    def evidence(self) -> list[tuple[ChangeIdea, Evidence]]:
        return [
            (idea, Evidence(n, total / n))
            for _, (n, total, idea) in sorted(self.entries.items())  # keys are unique
        ]

    def passing(self, min_tests: int, threshold: float) -> list[tuple[ChangeIdea, Evidence]]:
        """Ideas with at least ``min_tests`` tests and a mean gain above ``threshold``, in no
        particular order (a hub ranks them by a key that includes the idea's own)."""
        out = []
        for n, total, idea in self.entries.values():
            if n >= min_tests and total / n > threshold:
                out.append((idea, Evidence(n, total / n)))
        return out


class District(FixedAgent):
    """A school district (LEA): tests ideas in its own context and adopts what works there.

    Besides the full records (``inbox``, ``trials``) a district keeps the views a month's
    work reads, up to date as records change, so no step rescans its whole history:
    ``pending`` (received, untested, not practised), ``testing`` and ``adopted``.
    """

    def __init__(self, model: mesa.Model, node: int, partnership: int) -> None:
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
        self.testing: dict[tuple[int, int], Trial] = {}
        self.adopted: dict[tuple[int, int], Trial] = {}
        self.research: list[ChangeIdea] = []
        self.leaders: list[Leader] = []
        self._pending: dict[tuple[int, int], tuple[ChangeIdea, Evidence]] = {}
        self._pending_for = -1  # the practice ``_pending`` was worked out for
        self._slots: tuple[list[int], list[int]] | None = None
        self._variations: dict[tuple[int, int], ChangeIdea] = {}
        self._variations_at: list[ChangeIdea] = []
        self._variations_for = -1  # the practice ``_variations_at`` was made for
        self._share_ties: list[int] | None = None  # non-hub ties, sorted; None: work out

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
        key = idea.key
        entry = self.inbox.get(key)
        if entry is None:  # a first sender's evidence is the strongest there is
            self.inbox[key] = (idea, {sender: evidence})
        else:
            idea, by_sender = entry
            by_sender[sender] = evidence
            evidence = None
        # the check of ``_note_pending``, inline: receiving is the most frequent event
        practice = self._pending_for
        if (
            practice >= 0
            and key not in self.trials
            and (practice & ~idea.mask) | idea.values != practice  # not practised already
        ):
            self._pending[key] = (idea, evidence or max(by_sender.values()))  # strongest()

    def _note_pending(self, key, entry, practice: int) -> None:
        idea, by_sender = entry
        if (practice & ~idea.mask) | idea.values != practice:  # not practised already
            self._pending[key] = (idea, strongest(by_sender.values()))

    @property
    def pending(self) -> dict[tuple[int, int], tuple[ChangeIdea, Evidence]]:
        """Received ideas this district has not tested and does not already practise,
        with their strongest evidence; worked out again only when the practice changes."""
        return self.pending_at(self.practice)

    def pending_at(self, practice: int) -> dict[tuple[int, int], tuple[ChangeIdea, Evidence]]:
        """:attr:`pending`, given the current practice (a caller walking many districts
        reads all practices at once)."""
        if practice != self._pending_for:
            self._pending = {}
            for key, entry in self.inbox.items():
                if key not in self.trials:
                    self._note_pending(key, entry, practice)
            self._pending_for = practice
        return self._pending

    def pending_ideas(self) -> list[tuple[ChangeIdea, Evidence]]:
        return list(self.pending.values())

    # -- own tests ----------------------------------------------------------------------
    def slots(self, per_leader: int) -> tuple[list[int], list[int]]:
        """This month's test slots: the leader id and skill post of each, a leader's tests
        together; worked out again only when a leader leaves or joins."""
        if self._slots is None:
            self._slots = (
                [x.unique_id for x in self.leaders for _ in range(per_leader)],
                [x.post for x in self.leaders for _ in range(per_leader)],
            )
        return self._slots

    def join(self, leader: Leader) -> None:
        self.leaders.append(leader)
        self._slots = None

    def part(self, leader: Leader) -> None:
        self.leaders.remove(leader)
        self._slots = None

    def variations_at(self, practice: int) -> list[ChangeIdea]:
        """This district's own local variations of ``practice``: flipping component i is
        item i. Each idea is made once per district (a district tries the same few flips
        again and again), and a change of practice replaces only the components it changed
        (an adoption changes one to three)."""
        before = self._variations_for
        if practice != before:
            if before < 0:
                ideas = self._variations_at = [None] * self.model.p.n_components
                changed = range(len(ideas))
            else:
                ideas, changed = self._variations_at, components(practice ^ before)
            made = self._variations
            for i in changed:
                key = (1 << i, ~practice & (1 << i))
                idea = made.get(key)
                if idea is None:
                    idea = made[key] = ChangeIdea(*key, "district", self.node)
                ideas[i] = idea
            self._variations_for = practice
        return self._variations_at

    def start_trial(
        self, idea: ChangeIdea, leader_ids: list[int], gains: list[float], total: float
    ) -> Trial:
        """A new record for ``idea`` with its first tests (replacing a closed one: a re-test
        starts afresh). The pool is left to the caller, as for any tests recorded."""
        key = idea.key
        old = self.trials.get(key)
        if old is not None:
            if old.gains:
                self.model.pool.change(old.idea, -len(old.gains), -old.total)
            if old.status == "adopted":
                del self.adopted[key]
        else:
            self._pending.pop(key, None)
        trial = self.trials[key] = self.testing[key] = Trial(idea, leader_ids, gains, total)
        return trial

    def record(
        self, plan: list[tuple[ChangeIdea, int]], leader_ids: list[int], gains: list[float]
    ) -> None:
        """A month's tests: ``plan``'s runs of (idea, tests), run by ``leader_ids`` in
        turn, observing ``gains``. The first tests of an idea not under test open its
        record."""
        testing, pool = self.testing, self.model.pool
        entries = pool.entries
        j = 0
        for idea, tests in plan:
            key = idea.key
            k = j + tests
            observed = gains[j:k]
            total = 0.0  # ``running_sum``, inline on this hot path
            for gain in observed:
                total += gain
            trial = testing.get(key)
            if trial is None:
                trial = self.start_trial(idea, leader_ids[j:k], observed, total)
            else:
                trial.leaders += leader_ids[j:k]
                trial.gains += observed
                trial.total += total
            entry = entries.get(key)
            if entry is None:  # the pool's own bookkeeping for an idea it does not hold yet
                pool.change(trial.idea, tests, total)
            else:  # adding tests, the common case of Pool.change, inline
                entry[0] += tests
                entry[1] += total
            j = k

    def revise(
        self, trial: Trial, leader_ids: list[int], gains: list[float], total: float | None = None
    ) -> None:
        """Replace a record's results (a leader left, or the practice changed under the
        tests), keeping the pool in step. ``total``: ``running_sum(gains)``, if known."""
        before, old = len(trial.gains), trial.total
        trial.leaders, trial.gains = leader_ids, gains
        trial.total = running_sum(gains) if total is None else total
        self.model.pool.change(trial.idea, len(gains) - before, trial.total - old)

    def reject(self, trial: Trial) -> None:
        """Close an idea under test as rejected."""
        del self.testing[trial.idea.key]
        trial.status = "rejected"

    def adopt(self, trial: Trial) -> None:
        """Close an idea under test as adopted; it starts on its way out."""
        key = trial.idea.key
        del self.testing[key]
        self.adopted[key] = trial
        trial.adopt(self.share_ties()[:])  # a copy: the trial crosses them off
        self.model.outbox[trial] = self

    def embodied_adoptions(self) -> list[tuple[ChangeIdea, Evidence]]:
        """Adopted ideas still part of the practice, with this district's own evidence."""
        practice = self.practice
        return [
            (t.idea, t.evidence)
            for t in self.adopted.values()
            if t.idea.apply(practice) == practice
        ]

    def share_ties(self) -> list[int]:
        """Ties an adopted idea is shared along (all but the hub's), in node order; worked
        out again only when a tie forms."""
        if self._share_ties is None:
            kind = self.model.kind
            self._share_ties = [v for v in self.model.ties(self.node) if kind[v] != "hub"]
        return self._share_ties

    def new_tie(self, other: int) -> None:
        """A tie formed after adoptions: what this district adopted may cross it too."""
        self._share_ties = None
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

    def forget_tests_of(self, leader_id: int) -> None:
        """A departing leader takes the knowledge of tests not yet adopted."""
        hits = [t for t in self.trials.values() if leader_id in t.leaders and t.status != "adopted"]
        for trial in hits:
            leaders = trial.leaders
            if leaders.count(leader_id) < len(leaders):  # others' tests stay on record
                ids, kept = [], []
                total = 0.0  # ``running_sum`` of what is kept, as ``revise`` would
                for x, g in zip(leaders, trial.gains, strict=True):
                    if x != leader_id:
                        ids.append(x)
                        kept.append(g)
                        total += g
                self.revise(trial, ids, kept, total)
                continue
            self.revise(trial, [], [])
            key = trial.idea.key
            del self.trials[key]
            self.testing.pop(key, None)
            if key in self.inbox and self._pending_for >= 0:  # untested again
                self._note_pending(key, self.inbox[key], self._pending_for)


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
        """Leave the district; a novice takes the post. Returns the replacement."""
        district = self.district
        district.forget_tests_of(self.unique_id)
        district.part(self)
        self.remove()
        return Leader(self.model, district, self.model.p.novice_skill, self.post)


class University(FixedAgent):
    """A university (IHE): offers research-based ideas, coaches leaders, relays ideas."""

    def __init__(self, model: mesa.Model, node: int, partners: list[District]) -> None:
        super().__init__(model)
        self.node = node
        self.cell = model.space[node]
        self.partners = partners
        self.partner_nodes = {d.node for d in partners}
        self.posts = np.array([x.post for d in partners for x in d.leaders], dtype=np.int64)

    def train(self) -> None:
        """Coaching: skill += training_rate * (1 - skill) for every partner's leaders."""
        coach(self.model.p, self.model.skill, self.posts)

    def relay(self, idea: ChangeIdea, evidence: Evidence, sender: int) -> None:
        """Pass a partner's idea to the other partners; a non-partner's is not relayed."""
        if sender not in self.partner_nodes:
            return
        for district in self.partners:
            if district.node != sender:
                district.receive(idea, evidence, sender)


class Hub(FixedAgent):
    """The NIC hub: convenes members, pools their evidence and spreads what works."""

    def __init__(self, model: mesa.Model, node: int, members: list[District]) -> None:
        super().__init__(model)
        self.node = node
        self.cell = model.space[node]
        self.members = members
        self.groups = np.array([d.partnership for d in members], dtype=np.int64)

    def pooled_evidence(self) -> list[tuple[ChangeIdea, Evidence]]:
        """Every idea any member has tested, with the test-weighted mean of all members."""
        return self._pool().evidence()

    def _pool(self) -> Pool:
        if len(self.members) == len(self.model.districts):  # everyone: the running pool
            return self.model.pool
        pool = Pool()
        for district in self.members:
            for trial in district.trials.values():
                if trial.gains:
                    pool.change(trial.idea, len(trial.gains), trial.total)
        return pool

    def convene(self) -> None:
        p = self.model.p
        ranked = heapq.nsmallest(
            p.hub_broadcast,
            self._pool().passing(p.min_tests, p.adoption_threshold),
            key=hub_rank,
        )
        for idea, ev in ranked:
            idea = idea._replace(origin="hub", source=self.node)
            for district in self.members:
                district.receive(idea, ev, self.node)
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


def running_sum(gains: list[float]) -> float:
    """Gains added left to right from 0.0: what ``sum`` gives before Python 3.12 (whose
    ``sum`` of floats is compensated), so totals do not depend on the Python version."""
    total = 0.0
    for gain in gains:
        total += gain
    return total


def strongest(evidence) -> Evidence:
    """The body of evidence with the most tests (ties: the higher mean gain): the largest
    (tests, mean_gain) pair, which is how Evidence tuples already compare."""
    return max(evidence)


def noise_sd(p, skill):
    """Measurement noise of a leader of ``skill`` (a number or an array): a novice's
    ``measurement_noise``, shrinking to ``expert_noise_ratio`` of it at full skill."""
    return p.measurement_noise * (1 - (1 - p.expert_noise_ratio) * skill)


def coach(p, skill: np.ndarray, posts: np.ndarray) -> None:
    """Coaching closes ``training_rate`` of the gap to full skill for the leaders at
    ``posts`` (distinct posts: a post listed twice is coached once)."""
    skill[posts] += p.training_rate * (1 - skill[posts])


def learn_by_doing(p, skill: np.ndarray, tests: int) -> None:
    """Skill grows with practice: each test closes ``learning_by_doing`` of the gap to 1."""
    np.subtract(1, skill, out=skill)  # in place: 1 - (1 - skill) * (1 - rate) ** tests
    skill *= (1 - p.learning_by_doing) ** tests
    np.subtract(1, skill, out=skill)
