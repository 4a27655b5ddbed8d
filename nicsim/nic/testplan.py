"""A district's month of tests: which ideas fill its test slots, in order.

Shared by both ways of choosing (model 1's fixed order in ``nicsim.nic.learning`` and the
leaders' judgment in ``nicsim.nic.judgment``).
"""

from __future__ import annotations

from .agents import District, Key
from .ideas import ChangeIdea


class TestPlan:
    """A district's month of tests: runs of (idea, tests) that fill its slots in order.

    An idea, once picked, takes the next tests until it has ``need`` (``min_tests``) of
    them, so the leaders of a district share one cycle rather than each starting their own.
    """

    def __init__(
        self,
        district: District,
        practice: int,
        per_leader: int,
        need: int,
        capacity: list[int] | None = None,
    ) -> None:
        self.district = district
        self.practice = practice  # the start-of-month practice every test is run against
        # the leader and post of each test, in order
        self.leader_ids, self.posts = district.test_slots(per_leader, capacity)
        self.need = need
        self.runs: list[tuple[ChangeIdea, int]] = []
        self.left = len(self.leader_ids)  # slots not yet planned
        self.planned: set[Key] = set()
        self.first = 0  # where this district's tests start in the month's batch

    def add(self, idea: ChangeIdea, tests: int | None = None) -> None:
        """Give ``idea`` ``tests`` more tests (default ``need``), or what slots are left."""
        tests = min(self.need if tests is None else tests, self.left)
        self.runs.append((idea, tests))
        self.planned.add(idea.key)
        self.left -= tests

    def is_new(self, idea: ChangeIdea) -> bool:
        """Neither on record nor already planned this month."""
        return idea.key not in self.district.trials and idea.key not in self.planned

    @property
    def size(self) -> int:
        """How many tests are planned."""
        return len(self.leader_ids) - self.left

    def close(self) -> None:
        """Free the slots nothing was planned for (the last ones: slots fill in order)."""
        if self.left:
            self.leader_ids, self.posts = self.leader_ids[: self.size], self.posts[: self.size]
            self.left = 0

    def first_test_of(self, idea: ChangeIdea) -> int:
        """Where in the month's batch ``idea``'s first test is."""
        first = self.first
        for planned, tests in self.runs:
            if planned.key == idea.key:
                return first
            first += tests
        raise RuntimeError(f"district {self.district.node} did not test {idea} this month")
