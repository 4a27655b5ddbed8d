"""The NIC model's parameters: every default lives here and nowhere else.

Fields are declared with :func:`nicsim.core.params.param`, so each carries its meaning and
allowed range; :func:`validate` adds the rules that tie fields together.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.params import ConfigError, ModelParams, ReadIn, check_fields, fields_of, param
from .landscape import EXACT_MAX_LIMIT, OUTCOME_UNITS

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
IMITATION_RULES = ("copy_best", "conformity")  # the rules that read a directed graph
JUDGMENTS = ("belief", "model1")
CONVENING_TIES = ("personal", "institutional")
LANDSCAPES = ("nk", "mason_watts")

NIC_DESIGNS = ("siloed", "hub", "networked", "complete")
# District-only families (Lazer & Friedman 2007): no universities, no hub, n_districts nodes.
GENERIC_DESIGNS = ("line", "full", "ring", "lattice", "random", "small_world")

# The runs that read a parameter which only some configurations read (docs/ODD.md, "Settings
# a run does not read"): set where no run reads it, it is warned of. Outside these runs it
# changes no output, which tests/test_settings_read.py checks for each. A graph file may
# hold universities and a hub, so design = "file" counts as reading theirs.
FILE = ReadIn("runs with design = 'file'", lambda p: p.design == "file")
DISTRICT_COUNT = ReadIn(
    f"the district-only designs ({', '.join(GENERIC_DESIGNS)})",
    lambda p: p.design in GENERIC_DESIGNS,
)
PARTNERSHIPS = ReadIn(
    f"the designs {', '.join(NIC_DESIGNS)} and district-only designs with n_districts = 0",
    lambda p: p.design in NIC_DESIGNS or (p.design in GENERIC_DESIGNS and not p.n_districts),
)
NETWORKED = ReadIn("runs with design = 'networked'", lambda p: p.design == "networked")
RANDOM = ReadIn("runs with design = 'random'", lambda p: p.design == "random")
LATTICE = ReadIn(
    "the designs lattice and small_world", lambda p: p.design in ("lattice", "small_world")
)
SMALL_WORLD = ReadIn("runs with design = 'small_world'", lambda p: p.design == "small_world")
HUB = ReadIn(
    "designs with a hub (hub, networked, a graph file's)",
    lambda p: p.design in ("hub", "networked", "file"),
)
UNIVERSITIES = ReadIn(
    f"designs with universities ({', '.join(NIC_DESIGNS)}, a graph file's)",
    lambda p: p.design in NIC_DESIGNS or p.design == "file",
)
RESEARCH = ReadIn(
    "PDSA runs in designs with universities",
    lambda p: p.learning == "pdsa" and UNIVERSITIES.reads(p),
)
PDSA = ReadIn("runs with learning = 'pdsa'", lambda p: p.learning == "pdsa")
BELIEF = ReadIn(
    "PDSA runs with judgment = 'belief'", lambda p: p.learning == "pdsa" and p.judgment == "belief"
)
IMITATION = ReadIn(
    f"runs with learning = {' or '.join(IMITATION_RULES)}", lambda p: p.learning in IMITATION_RULES
)
COPY_BEST = ReadIn("runs with learning = 'copy_best'", lambda p: p.learning == "copy_best")
CONFORMITY = ReadIn("runs with learning = 'conformity'", lambda p: p.learning == "conformity")
POWER = ReadIn("runs with outcome_units = 'power'", lambda p: p.outcome_units == "power")
NK = ReadIn("runs with landscape = 'nk'", lambda p: p.landscape == "nk")

# Calibrated defaults (docs/ODD.md, "Outcome units and measurement"; experiments/calibration/):
# a novice's single test has a signal-to-noise ratio near 1 on the true gains of one-component
# changes from the starting practices, and the better designs reach the target within the
# default 36 months in a fair share of runs. Both are in percent units.
MEASUREMENT_NOISE = 30.0
TARGET = 72.0
# the range of ``target`` in each outcome unit (None: unbounded)
TARGET_RANGE: dict[str, tuple[float | None, float]] = {
    "percent": (None, 100.0),
    "power": (0.0, 1.0),
}


@dataclass(frozen=True)
class Params(ModelParams):
    """All model parameters, grouped by the part of the model they set (docs/ODD.md section 7)."""

    # -- the improvement problem (landscape) --
    n_components: int = param(12, "components N of a practice (bits)", 1, 62, read_in=NK)
    k: int = param(
        4, "interdependence K: other components each component depends on", 0, 61, read_in=NK
    )
    h: float = param(
        0.3, "context heterogeneity: weight of the local landscape", 0.0, 1.0, read_in=NK
    )
    n_contexts: int = param(
        0, "distinct local contexts (0 = one per district)", 0, None, read_in=NK
    )
    outcome_units: str = param(
        "percent",
        "percent: 100 (F - mean F) / (max F - mean F) in the district's context; "
        "power: (F / max F) ** outcome_exponent (model 1)",
        choices=OUTCOME_UNITS,
    )
    outcome_exponent: float = param(
        8.0,
        "power units: outcome = (F / max F) ** exponent",
        0.0,
        None,
        read_in=POWER,
    )
    contribution_decimals: int = param(
        0,
        "NK contributions rounded to this many decimals and fitness summed exactly, which "
        "makes ties between practices common (Barkoczi & Galesic 2016: 1); 0 = not rounded",
        0,
        9,
        inert_default=True,
        read_in=NK,
    )
    dependencies: str = param(
        "others",
        "others: each component depends on K other components; any: on K drawn from all N, "
        "itself included (Barkoczi & Galesic 2016), so some depend on fewer than K others",
        choices=("others", "any"),
        inert_default=True,
        read_in=NK,
    )
    landscape: str = param(
        "nk",
        "nk: an NK landscape (the parameters above); mason_watts: Mason & Watts's 100 x 100 "
        "grid, a needle-like peak in smoothed noise (Barkoczi & Galesic 2016), for copy_best "
        "and conformity on district-only designs; the NK parameters are then not read",
        choices=LANDSCAPES,
        inert_default=True,
    )
    approximate_max: bool = param(
        False, "allow N > 24 with a hill-climbing estimate of each context's maximum", read_in=NK
    )
    # -- population --
    partnerships: int = param(11, "university-district partnerships", 1, None, read_in=PARTNERSHIPS)
    districts_per_partnership: int = param(
        3, "districts in each partnership", 1, None, read_in=PARTNERSHIPS
    )
    n_districts: int = param(
        0,
        "districts for the district-only designs (0 = partnerships x districts)",
        0,
        read_in=DISTRICT_COUNT,
    )
    leaders_per_district: int = param(3, "improvement leaders per district", 0, None)
    initial_skill: float = param(
        0.5, "upper bound of the starting leaders' skill, drawn from [novice_skill, this]", 0, 1
    )
    novice_skill: float = param(0.2, "skill of a newly hired leader", 0.0, 1.0)
    # -- universities --
    research_rate: float = param(
        0.2,
        "monthly chance a university considers an offer to each partner (it offers an idea "
        "only if it believes the idea beats the partner's practice)",
        0,
        1,
        read_in=RESEARCH,
    )
    research_candidates: int = param(
        5,
        "candidate ideas a university judges on its belief about the shared landscape",
        1,
        read_in=RESEARCH,
    )
    training_rate: float = param(
        0.03,
        "monthly skill gain from university coaching (of 1 - skill)",
        0,
        1,
        read_in=UNIVERSITIES,
    )
    research_quality: float = param(
        0.5,
        "how well a university knows the shared problem: 1 = exactly (model 1's oracle), "
        "0 = no better than the prior",
        0.0,
        1.0,
        read_in=RESEARCH,
    )
    preparation: float = param(
        0.3,
        "a leader hired in a partner district brings this share of the skill headroom "
        "above novice_skill and of its university's belief",
        0.0,
        1.0,
        read_in=UNIVERSITIES,
    )
    # -- leaders and PDSA --
    tests_per_leader: int = param(
        1, "PDSA tests a fully skilled leader runs a month", 0, None, read_in=PDSA
    )
    novice_capacity: float = param(
        0.5,
        "share of tests_per_leader a leader of skill 0 runs (rising to 1 at full skill)",
        0,
        1,
        read_in=PDSA,
    )
    judgment: str = param(
        "belief",
        "how leaders pick what to test: belief (rank candidates by predicted gain plus "
        "judgment noise) or model1 (model 1's fixed order)",
        choices=JUDGMENTS,
        read_in=PDSA,
    )
    judgment_noise: float = param(
        30.0,
        "sd of a skill-0 leader's error in judging an idea's gain (outcome units), shrinking to 0 "
        "at full skill",
        0.0,
        None,
        read_in=BELIEF,
    )
    learning_by_doing: float = param(
        0.02, "skill gain per test (of 1 - skill)", 0.0, 1.0, read_in=PDSA
    )
    turnover_rate: float = param(0.19, "annual chance a leader leaves", 0.0, 1.0)
    measurement_noise: float = param(
        MEASUREMENT_NOISE,
        "noise sd of a test at skill 0, in outcome units (SNR ~ 1 for a novice)",
        0.0,
        None,
        read_in=PDSA,
    )
    expert_noise_ratio: float = param(
        0.5, "noise of a fully skilled leader relative to one of skill 0", 0, 1, read_in=PDSA
    )
    min_tests: int = param(2, "own tests of an idea before deciding on it", 1, None, read_in=PDSA)
    adoption_threshold: float = param(
        0.0, "mean observed gain needed to adopt an idea", None, None, read_in=PDSA
    )
    share_prob: float = param(
        0.5, "monthly chance an adopted idea is shared along each tie", 0, 1, read_in=PDSA
    )
    # -- hub --
    convening_interval: int = param(3, "months between hub convenings", 1, None, read_in=HUB)
    hub_broadcast: int = param(
        3, "best-evidenced ideas the hub broadcasts at a convening", 0, None, read_in=HUB
    )
    tie_formation: float = param(
        0.01, "chance two districts of different partnerships tie at a convening", 0, 1, read_in=HUB
    )
    convening_ties: str = param(
        "personal",
        "personal: a tie formed at a convening ends when either of its two leaders leaves; "
        "institutional: it lasts (model 1)",
        choices=CONVENING_TIES,
        read_in=HUB,
    )
    # -- network design --
    design: str = param("hub", "network design", choices=DESIGNS)
    cross_ties: float = param(
        0.1, "networked: chance of each cross-partnership district tie", 0, 1, read_in=NETWORKED
    )
    density: float = param(0.2, "random: edge probability (Erdos-Renyi)", 0.0, 1.0, read_in=RANDOM)
    connected: bool = param(
        False, "random: redraw the graph until it is connected (one component)", read_in=RANDOM
    )
    lattice_k: int = param(
        2, "lattice/small_world: ties to the k nearest on each side", 1, None, read_in=LATTICE
    )
    rewirings: int = param(
        5, "small_world: links rewired, never disconnecting the graph", 0, None, read_in=SMALL_WORLD
    )
    graph_file: str = param(
        "", "file: GraphML, GEXF or CSV edge list (source,target[,kind])", read_in=FILE
    )
    directed_graph: bool = param(
        False,
        "file: read each tie as one-way, source -> target: the source district sees the "
        "target, not the reverse (Barkoczi & Galesic's lattice); districts only, "
        "copy_best/conformity only",
        inert_default=True,
        read_in=FILE,
    )
    # -- learning rule --
    learning: str = param("pdsa", "how districts improve", choices=LEARNING_RULES)
    velocity: float = param(
        1.0, "copy_best/conformity: monthly chance to look at neighbours", 0, 1, read_in=IMITATION
    )
    copy_error: float = param(
        0.0, "copy_best: chance each differing bit fails to copy", 0.0, 1.0, read_in=COPY_BEST
    )
    sample_size: int = param(
        0,
        "copy_best/conformity: neighbours looked at each step, drawn anew without "
        "replacement (all if fewer); 0 = all neighbours",
        0,
        None,
        inert_default=True,
        read_in=IMITATION,
    )
    conformity_min_count: int = param(
        1,
        "conformity: the most common practice must be held by at least this many of the "
        "neighbours looked at, else the district tries a flip (Barkoczi & Galesic: 2)",
        1,
        None,
        inert_default=True,
        read_in=CONFORMITY,
    )
    conformity_if_better: bool = param(
        False,
        "conformity: adopt the most common practice only if it scores strictly better, else "
        "try a flip (Barkoczi & Galesic); false: adopt it whatever it scores",
        inert_default=True,
        read_in=CONFORMITY,
    )
    individual_learning: bool = param(
        True,
        "copy_best/conformity: try a one-component flip when neighbours offer nothing "
        "(false: Barkoczi & Galesic's random copying, which never searches alone)",
        inert_default=True,
        read_in=IMITATION,
    )
    # -- run --
    steps: int = param(36, "months simulated", 1, None)
    dynamics_seed: int = param(
        0,
        "another realisation of the month's random events (keyed draws) on the same "
        "problem, start and people: 0 = the seed's own",
        0,
        None,
    )
    target: float = param(
        TARGET,
        "mean outcome that counts as reaching the target (in outcome units)",
        allowed="a number <= 100 (percent units) or in [0, 1] (power units)",
    )

    def __post_init__(self) -> None:
        validate(self)

    @property
    def districts(self) -> int:
        """Districts a built-in design will hold (a `file` design counts its own nodes)."""
        if self.design in NIC_DESIGNS or self.n_districts == 0:
            return self.partnerships * self.districts_per_partnership
        return self.n_districts


# What switches model 2's people and universities off (configs/model1.toml holds the same):
# leaders pick in model 1's fixed order at full capacity, universities are oracles, a
# graduate is a plain novice and ties formed at convenings last.
MODEL1_PEOPLE = {
    "judgment": "model1",
    "novice_capacity": 1.0,
    "research_quality": 1.0,
    "preparation": 0.0,
    "convening_ties": "institutional",
}


FIELDS = fields_of(Params)


def validate(p: Params) -> None:
    """Check every field, then the rules that tie fields together."""
    check_fields(p)
    if p.landscape == "mason_watts":
        _check_grid_landscape(p)
    lo, hi = TARGET_RANGE[p.outcome_units]
    if not (lo is None or p.target >= lo) or p.target > hi:
        span = f"<= {hi:g}" if lo is None else f"in [{lo:g}, {hi:g}]"
        raise ConfigError(
            f"target = {p.target!r} is not allowed: expected a number {span} with "
            f"outcome_units = {p.outcome_units!r}"
        )
    if p.outcome_units == "power" and p.outcome_exponent == 0:
        raise ConfigError(
            "outcome_exponent = 0.0 is not allowed with outcome_units = 'power': every "
            "outcome would be 1 (expected a number > 0)"
        )
    if p.outcome_units == "power":
        # beliefs add up gains, which are linear in F only in percent units
        if p.learning == "pdsa" and p.judgment == "belief" and p.leaders_per_district:
            raise ConfigError(
                "judgment = 'belief' is not allowed with outcome_units = 'power': beliefs "
                "add up gains, linear in percent units only (use judgment = 'model1')"
            )
        if p.design in NIC_DESIGNS:  # a file's universities are known once it is read
            check_research_units(p, universities=1)
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
    if p.learning == "pdsa" and p.tests_per_leader == 0:
        raise ConfigError(
            "tests_per_leader = 0 is not allowed with learning = 'pdsa': expected >= 1 (a "
            "leader who runs no test decides nothing)"
        )
    most = p.steps * p.leaders_per_district * p.tests_per_leader
    if p.learning == "pdsa" and p.min_tests > most:
        raise ConfigError(
            f"min_tests = {p.min_tests} is not allowed with {p.steps} steps: a district runs "
            f"at most {most} tests in the run (steps x leaders_per_district x "
            f"tests_per_leader), so no idea could ever be decided (expected <= {most})"
        )
    if p.directed_graph and p.learning not in IMITATION_RULES:
        # A one-way tie says who sees whom. PDSA's ties are exchanges (ideas are shared both
        # ways, a convening's tie is held at both ends, a university coaches its partners):
        # which way an idea would cross a one-way tie is not defined, so it is refused.
        raise ConfigError(
            f"directed_graph = true is not allowed with learning = {p.learning!r}: only "
            f"{' and '.join(IMITATION_RULES)} read a directed graph (a district sees the "
            "districts its ties point to); PDSA shares ideas both ways along a tie"
        )
    if p.design == "file" and not p.graph_file:
        raise ConfigError("graph_file = '' is not allowed with design = 'file': name a graph file")
    if p.design in GENERIC_DESIGNS and p.districts < 2:
        raise ConfigError(
            f"n_districts = {p.n_districts} is not allowed with design = {p.design!r}: "
            f"expected >= 2 districts (0 means partnerships x districts_per_partnership = "
            f"{p.partnerships * p.districts_per_partnership})"
        )
    if p.design in ("lattice", "small_world"):
        _check_lattice(p)
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


def check_graph(p: Params, universities: int) -> None:
    """The rules that depend on the network as well as the parameters: checked by the model
    when it is built, and by a sweep before any run for every graph file it names."""
    if universities and p.landscape != "nk":
        raise ConfigError(
            f"landscape = {p.landscape!r} is not allowed with a graph that has "
            f"universities ({universities} here): expected districts only"
        )
    check_research_units(p, universities)


def check_research_units(p: Params, universities: int) -> None:
    """A university below quality 1 learns from gains, which add up in percent units only;
    without universities ``research_quality`` is a documented no-op, whatever the units."""
    if (
        universities
        and p.outcome_units == "power"
        and p.research_quality < 1
        and p.learning == "pdsa"
    ):
        raise ConfigError(
            f"research_quality = {p.research_quality} is not allowed with outcome_units = "
            "'power': a university learns from gains, linear in percent units only "
            "(expected 1)"
        )


def _check_lattice(p: Params) -> None:
    """A ring lattice of n districts has at most n // 2 neighbours on each side (then every
    district is tied to every other) and n x k links to rewire (fewer once k = n / 2): a
    larger lattice_k or rewirings would be cut down without a word, and runs.csv would
    record the value asked for, not the network run."""
    n, k = p.districts, p.lattice_k
    if k > n // 2:
        raise ConfigError(
            f"lattice_k = {k} is not allowed with {n} districts: expected at most "
            f"{max(n // 2, 1)} (half the districts: then every district is tied to every other)"
        )
    links = n * k - (n // 2 if 2 * k == n else 0)
    if p.design == "small_world" and p.rewirings > links:
        raise ConfigError(
            f"rewirings = {p.rewirings} is not allowed with {n} districts and lattice_k = {k}: "
            f"expected at most the lattice's {links} links (each rewiring moves a different one)"
        )


def _check_grid_landscape(p: Params) -> None:
    """Mason & Watts's grid has cells, not components: the rules that flip or copy bits,
    and the NIC designs' universities, which hold beliefs about components, do not apply."""
    if p.learning == "pdsa":
        raise ConfigError(
            "learning = 'pdsa' is not allowed with landscape = 'mason_watts': expected "
            "copy_best or conformity (PDSA tests change ideas, which are components)"
        )
    if p.copy_error > 0:
        raise ConfigError(
            f"copy_error = {p.copy_error} is not allowed with landscape = 'mason_watts': "
            "expected 0 (a copy fails bit by bit, and a grid cell has no bits)"
        )
    if p.design in NIC_DESIGNS:
        raise ConfigError(
            f"design = {p.design!r} is not allowed with landscape = 'mason_watts': expected a "
            f"district-only design ({', '.join((*GENERIC_DESIGNS, 'file'))}); a university "
            "judges ideas by components"
        )
