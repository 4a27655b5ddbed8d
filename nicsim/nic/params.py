"""The NIC model's parameters: every default lives here and nowhere else.

Fields are declared with :func:`nicsim.core.params.param`, so each carries its meaning and
allowed range; :func:`validate` adds the rules that tie fields together.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.params import ConfigError, ModelParams, check_fields, fields_of, param
from .landscape import EXACT_MAX_LIMIT

DESIGNS = (
    "siloed",
    "hub",
    "networked",
    "complete",
    "line",
    "full",
    "ring",
    "lattice",
    "random",
    "small_world",
    "file",
)
LEARNING_RULES = ("pdsa", "copy_best", "conformity")


@dataclass(frozen=True)
class Params(ModelParams):
    """All model parameters, grouped by the part of the model they set (docs/ODD.md section 7)."""

    # -- the improvement problem (landscape) --
    n_components: int = param(12, "components N of a practice (bits)", 1, 62)
    k: int = param(4, "interdependence K: other components each component depends on", 0, 61)
    h: float = param(0.3, "context heterogeneity: weight of the local landscape", 0.0, 1.0)
    n_contexts: int = param(0, "distinct local contexts (0 = one per district)", 0, None)
    outcome_exponent: float = param(8.0, "outcome = (F / max F) ** exponent", 0.0, None)
    approximate_max: bool = param(
        False, "allow N > 24 with a hill-climbing estimate of each context's maximum"
    )
    # -- population --
    partnerships: int = param(11, "university-district partnerships", 1, None)
    districts_per_partnership: int = param(3, "districts in each partnership", 1, None)
    n_districts: int = param(
        0, "districts for the district-only designs (0 = partnerships x districts)", 0
    )
    leaders_per_district: int = param(3, "improvement leaders per district", 0, None)
    initial_skill: float = param(
        0.5, "upper bound of the starting leaders' skill, drawn from [novice_skill, this]", 0, 1
    )
    novice_skill: float = param(0.2, "skill of a newly hired leader", 0.0, 1.0)
    # -- universities --
    research_rate: float = param(
        0.2, "monthly chance a university offers each partner an idea", 0, 1
    )
    research_candidates: int = param(
        5, "candidate ideas a university judges on the shared landscape", 1
    )
    training_rate: float = param(
        0.03, "monthly skill gain from university coaching (of 1 - skill)", 0, 1
    )
    # -- leaders and PDSA --
    tests_per_leader: int = param(1, "PDSA tests each leader runs a month", 0, None)
    learning_by_doing: float = param(0.02, "skill gain per test (of 1 - skill)", 0.0, 1.0)
    turnover_rate: float = param(0.19, "annual chance a leader leaves", 0.0, 1.0)
    measurement_noise: float = param(
        0.02, "sd of a novice's measured gain (outcome units)", 0.0, None
    )
    expert_noise_ratio: float = param(
        0.5, "noise of a fully skilled leader relative to a novice", 0, 1
    )
    min_tests: int = param(2, "own tests of an idea before deciding on it", 1, None)
    adoption_threshold: float = param(0.0, "mean observed gain needed to adopt an idea", None, None)
    share_prob: float = param(0.5, "monthly chance an adopted idea is shared along each tie", 0, 1)
    # -- hub --
    convening_interval: int = param(3, "months between hub convenings", 1, None)
    hub_broadcast: int = param(3, "best-evidenced ideas the hub broadcasts at a convening", 0, None)
    tie_formation: float = param(
        0.01, "chance two districts of different partnerships tie at a convening", 0, 1
    )
    # -- network design --
    design: str = param("hub", "network design", choices=DESIGNS)
    cross_ties: float = param(0.1, "networked: chance of each cross-partnership district tie", 0, 1)
    density: float = param(0.2, "random: edge probability (Erdos-Renyi)", 0.0, 1.0)
    connected: bool = param(False, "random: redraw the graph until it is connected (one component)")
    lattice_k: int = param(2, "lattice/small_world: ties to the k nearest on each side", 1, None)
    rewirings: int = param(5, "small_world: links rewired, never disconnecting the graph", 0, None)
    graph_file: str = param("", "file: GraphML, GEXF or CSV edge list (source,target[,kind])")
    # -- learning rule --
    learning: str = param("pdsa", "how districts improve", choices=LEARNING_RULES)
    velocity: float = param(1.0, "copy_best/conformity: monthly chance to look at neighbours", 0, 1)
    copy_error: float = param(0.0, "copy_best: chance each differing bit fails to copy", 0.0, 1.0)
    # -- run --
    steps: int = param(36, "months simulated", 1, None)
    target: float = param(0.9, "mean outcome that counts as reaching the target", 0.0, 1.0)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def districts(self) -> int:
        """Districts a built-in design will hold (a `file` design counts its own nodes)."""
        if self.design in NIC_DESIGNS or self.n_districts == 0:
            return self.partnerships * self.districts_per_partnership
        return self.n_districts


NIC_DESIGNS = ("siloed", "hub", "networked", "complete")
# District-only families (Lazer & Friedman 2007): no universities, no hub, n_districts nodes.
GENERIC_DESIGNS = ("line", "full", "ring", "lattice", "random", "small_world")


FIELDS = fields_of(Params)


def validate(p: Params) -> None:
    """Check every field, then the rules that tie fields together."""
    check_fields(p)
    if p.k >= p.n_components:
        raise ConfigError(f"k = {p.k} is not allowed: expected k < n_components ({p.n_components})")
    if p.n_components > EXACT_MAX_LIMIT and not p.approximate_max:
        raise ConfigError(
            f"n_components = {p.n_components} is not allowed: exact maxima need N <= "
            f"{EXACT_MAX_LIMIT}; set approximate_max = true to use an estimated maximum"
        )
    if p.novice_skill > p.initial_skill:
        raise ConfigError(
            f"initial_skill = {p.initial_skill} is not allowed: expected >= novice_skill "
            f"({p.novice_skill})"
        )
    if p.learning == "pdsa" and p.leaders_per_district == 0:
        raise ConfigError(
            "leaders_per_district = 0 is not allowed with learning = 'pdsa': PDSA tests need "
            "at least one leader (copy_best and conformity need none)"
        )
    if p.design == "file" and not p.graph_file:
        raise ConfigError("graph_file = '' is not allowed with design = 'file': name a graph file")
    if p.design in GENERIC_DESIGNS and p.districts < 2:
        raise ConfigError(
            f"n_districts = {p.n_districts} is not allowed with design = {p.design!r}: "
            f"expected >= 2 districts (0 means partnerships x districts_per_partnership = "
            f"{p.partnerships * p.districts_per_partnership})"
        )
    if p.design == "random" and p.connected:
        # A connected graph needs n - 1 ties. Below that on average, redrawing until one is
        # connected would almost never end, so say so now rather than after many draws.
        n = p.districts
        expected = p.density * n * (n - 1) / 2
        if expected < n - 1:
            raise ConfigError(
                f"density = {p.density} is not allowed with connected = true and {n} districts: "
                f"expected >= {2 / n:.4g} (a connected graph needs {n - 1} ties, this density "
                f"gives {expected:g} on average)"
            )
