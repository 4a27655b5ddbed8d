"""Change ideas and the evidence about them: small immutable values that travel the network.

Ideas and evidence move between organisations; practice does not. An idea is identified
by what it changes (``mask`` and ``values``), so two districts that invent the same
variation hold the same idea and their evidence can be pooled.
"""

from __future__ import annotations

from typing import NamedTuple


class ChangeIdea:
    """Set the components in ``mask`` to the bits in ``values`` (both practice codes).

    ``origin`` (district, university or hub) and ``source`` (node id) say who proposed
    it; ``key`` = (mask, values) is the change itself, regardless of who proposed it. The
    key is stored, not recomputed: it is read for every test, message and record.

    A value: equal and hashed by its fields, and never changed once made (many districts'
    records share one idea; ``_replace`` makes a changed copy). Slotted rather than a named
    tuple because its fields are read far more often than ideas are made, and a slot is
    the interpreter's fastest attribute to read: about 5% of a default run's instructions.
    Not frozen by a ``__setattr__`` guard, which would cost half that again in making ideas.
    """

    __slots__ = ("mask", "values", "origin", "source", "key")

    def __init__(self, mask: int, values: int, origin: str = "district", source: int = -1) -> None:
        self.mask = mask
        self.values = values
        self.origin = origin
        self.source = source
        self.key = (mask, values)

    def _as_tuple(self) -> tuple[int, int, str, int]:
        """What an idea is equal, hashed and pickled by (a named tuple's own fields)."""
        return (self.mask, self.values, self.origin, self.source)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChangeIdea) and self._as_tuple() == other._as_tuple()

    def __hash__(self) -> int:
        return hash(self._as_tuple())

    def __reduce__(self):
        return (ChangeIdea, self._as_tuple())

    def __repr__(self) -> str:
        return (
            f"ChangeIdea(mask={self.mask}, values={self.values}, origin={self.origin!r}, "
            f"source={self.source})"
        )

    def _replace(self, **changes) -> ChangeIdea:
        """A copy with some fields changed (the named-tuple idiom)."""
        fields = dict(zip(("mask", "values", "origin", "source"), self._as_tuple(), strict=True))
        return ChangeIdea(**{**fields, **changes})

    def apply(self, practice: int) -> int:
        return (practice & ~self.mask) | self.values

    def components(self) -> list[int]:
        return components(self.mask)


def components(code: int) -> list[int]:
    """The components set in ``code``, lowest first (one step per component set, so a
    change of one to three components among many costs one to three steps)."""
    out = []
    while code:
        low = code & -code
        out.append(low.bit_length() - 1)
        code ^= low
    return out


class Evidence(NamedTuple):
    """Number of tests and their mean observed gain."""

    tests: int = 0
    mean_gain: float = 0.0


NO_EVIDENCE = Evidence()  # of an idea nobody has tested


def pool(evidence: list[Evidence] | tuple[Evidence, ...]) -> Evidence:
    """Test-weighted pooling of many bodies of evidence."""
    total = sum(e.tests for e in evidence)
    if total == 0:
        return Evidence()
    return Evidence(total, sum(e.tests * e.mean_gain for e in evidence) / total)


def hub_rank(item: tuple[ChangeIdea, Evidence]):
    """Sort key of pooled ideas, best evidenced first: highest mean gain, then most tests,
    then the idea's key (so the order is total and never depends on the input's)."""
    idea, ev = item
    return (-ev.mean_gain, -ev.tests, idea.key)


def strongest(evidence) -> Evidence:
    """The body of evidence with the most tests (ties: the higher mean gain): the largest
    (tests, mean_gain) pair, which is how Evidence tuples already compare."""
    return max(evidence)
