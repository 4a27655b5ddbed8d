"""What a district and a hub keep of the ideas tested (docs/ODD.md, section 2): a district's
record of its own tests of one idea (:class:`Trial`), and the evidence of every district's
records pooled as they change (:class:`Pool`).

Unlike ideas and evidence (:mod:`nicsim.nic.ideas`), these change as tests are run,
decided and forgotten.
"""

from __future__ import annotations

from .ideas import NO_EVIDENCE, ChangeIdea, Evidence

Key = tuple[int, int]  # an idea's key: (mask, values)


class Trial:
    """A district's own PDSA record on one idea: who ran each test and the gain observed.

    Slotted, with leaders and gains in two parallel lists: a run opens and closes tens of
    thousands of these.
    """

    __slots__ = ("idea", "leaders", "gains", "tests", "status", "total", "unsent", "shared", "base")

    def __init__(self, idea: ChangeIdea) -> None:
        self.idea = idea
        self.leaders: list[int] = []
        self.gains: list[float] = []
        self.tests = 0  # len(gains), read at every plan and decision
        self.status = "testing"  # testing, adopted or rejected
        # The gains summed a month's run at a time (each run added left to right from 0.0).
        # Stored, not recomputed, because this order of addition is the one every decision
        # and the pool are defined by.
        self.total = 0.0
        self.unsent: list[int] = []  # once adopted: the ties it has still to cross
        self.shared = NO_EVIDENCE  # once adopted: the evidence it travels with
        # the practice its tests were run in: a change of practice clears the tests
        self.base = -1

    def __repr__(self) -> str:
        return f"Trial({self.idea!r}, {self.results!r}, {self.status!r})"

    @property
    def results(self) -> list[tuple[int, float]]:
        """(leader id, observed gain) of each test, in the order they were run."""
        return list(zip(self.leaders, self.gains, strict=True))

    @property
    def mean_gain(self) -> float:
        return self.total / self.tests

    @property
    def evidence(self) -> Evidence:
        return Evidence(self.tests, self.mean_gain) if self.gains else NO_EVIDENCE

    def add(self, leader_ids: list[int], gains: list[float]) -> float:
        """Add a run of tests; returns their summed gain."""
        total = running_sum(gains)
        self.leaders += leader_ids
        self.gains += gains
        self.tests += len(gains)
        self.total += total
        return total

    def replace(self, leader_ids: list[int], gains: list[float]) -> None:
        """Replace the results (a leader left, or the practice changed under the tests)."""
        self.leaders, self.gains = leader_ids, gains
        self.tests, self.total = len(gains), running_sum(gains)

    def adopt(self, ties: list[int]) -> None:
        """Close as adopted, to be shared along ``ties``. The evidence is final from now
        on (a re-test opens a new record), so every message carries the same."""
        self.status = "adopted"
        self.unsent = ties
        self.shared = self.evidence


class Pool:
    """Tests and summed gain per idea over every district's own records.

    The model keeps one up to date as records change, so a hub of all districts pools
    the evidence without rereading every record at each convening. Its sums are added in
    the order the records changed, which is part of what a hub broadcasts.
    """

    def __init__(self) -> None:
        self.entries: dict[Key, list] = {}  # idea key -> [tests, summed gain, idea]

    def change(self, idea: ChangeIdea, tests: int, total: float) -> None:
        """Add ``tests`` (negative: remove) with summed gain ``total`` to ``idea``'s entry."""
        entry = self.entries.get(idea.key)
        if entry is None:
            if tests:
                self.entries[idea.key] = [tests, 0.0 + total, idea]
        elif entry[0] + tests:
            entry[0] += tests
            entry[1] += total
        else:  # no tests left anywhere: forget, leaving no rounding residue
            del self.entries[idea.key]

    def evidence(self) -> list[tuple[ChangeIdea, Evidence]]:
        """Every idea with its pooled evidence, in key order."""
        return [
            (idea, Evidence(tests, total / tests))
            for _, (tests, total, idea) in sorted(self.entries.items())
        ]

    def passing(self, min_tests: int, threshold: float) -> list[tuple[ChangeIdea, Evidence]]:
        """Ideas with at least ``min_tests`` tests and a mean gain above ``threshold``."""
        return [
            (idea, Evidence(tests, total / tests))
            for tests, total, idea in self.entries.values()
            if tests >= min_tests and total / tests > threshold
        ]


def running_sum(gains: list[float]) -> float:
    """Gains added left to right from 0.0: what ``sum`` gives before Python 3.12 (whose
    ``sum`` of floats is compensated), so totals do not depend on the Python version."""
    total = 0.0
    for gain in gains:
        total += gain
    return total
