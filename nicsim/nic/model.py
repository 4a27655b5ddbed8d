"""NICModel: the network, the agents, the monthly schedule and data collection.

Randomness (docs/ODD.md, section 4): one integer seed spawns independent streams for the
landscape, the initial practices, the leaders, the network and the dynamics. The landscape,
practices and leaders never depend on the design or learning rule, so two designs run with
the same seed start from the same problem and the same place (common random numbers).
The PDSA month's events draw from keyed streams (``nicsim.core.keyed``), each number
addressed by what it belongs to (a test slot, a post and a month, ...), so a change of one
parameter does not shift the draws of unrelated events ("pairs stay paired").
"""

from __future__ import annotations

import gc
import inspect
from collections import Counter
from typing import Any, NamedTuple

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from ..core.keyed import KeyedStream, keyed_streams
from ..core.params import model_inputs
from ..core.release import forget_model
from ..nic import metrics
from .agents import District, Hub, Leader, University, coach
from .beliefs import Beliefs
from .graphs import district_nodes, nodes_of, normalise
from .knowledge import research_prior
from .learning import RULES, research
from .params import Params, check_graph
from .records import Pool, Trial
from .world import make_landscape, network, streams

# Keyed streams of the dynamics, and the keys each is addressed by (docs/ODD.md, section 4).
# Tie formation at convenings, copy_best and conformity draw from the sequential "dynamics"
# stream (Mesa's ``model.rng``).
KEYED = {
    "noise": "(month, post, test slot of the post): a test's measurement noise",
    "turnover": "(month, place): whether the leader at a place of a district's list leaves",
    "flips": "(month, district, test slot, try): the component a local variation flips",
    "research_offers": "(month, district, university): whether the university offers",
    "research_ideas": "(month, district, university, candidate, draw): a candidate's components",
    "share": "(month, sender, receiver, idea mask, idea values): whether an idea crosses a tie",
    "capacity": "(month, post): the stochastic rounding of the post's tests this month",
    "judgment": "(month, post, idea mask, idea values): the leader's error judging the idea",
    "research_prior": "(partnership, entry): a university's prior error on a table entry",
    "preparation": "(month, post, entry): whether a graduate brings the university's entry",
    "tie_leaders": "(month, district, other district): who holds a tie formed at a convening",
}


class Ties(NamedTuple):
    """District neighbour lists in compressed form: row i is ``nbrs[indptr[i]:indptr[i+1]]``;
    ``has`` lists the districts with a neighbour, ``starts`` where their rows begin and
    ``segment`` which of them each entry of ``nbrs`` belongs to. ``complete``: every
    district sees every other (a best neighbour is then the best of all the others)."""

    indptr: np.ndarray
    nbrs: np.ndarray
    has: np.ndarray
    starts: np.ndarray
    segment: np.ndarray
    complete: bool


class _Network(Network):
    """Mesa's network space, each cell's ties set in one dictionary update.

    Mesa's ``Network`` connects cells one tie at a time and clears neighbourhood caches at
    each; on Lazer & Friedman's totally connected 100 that costs about 6 ms a run, a tenth
    of the landscape's time. While the space is being built no neighbourhood has been
    computed, so there is nothing to clear. Mesa 3.3 and 3.5 both call ``_connect_cells``
    once, from ``__init__``; ``tests/test_model.py`` checks the result against Mesa's own
    wiring on the installed version.
    """

    def _connect_cells(self) -> None:
        cells = self._cells
        for coordinate, cell in cells.items():
            cell.connections.update({v: cells[v] for v in self.G.neighbors(coordinate)})


def _network_space(graph: nx.Graph, random) -> Network:
    # Mesa 3.5 lays the graph out on creation unless told not to; 3.3 has no layout at all.
    if "layout" in inspect.signature(Network.__init__).parameters:
        return _Network(graph, random=random, layout=None)
    return _Network(graph, random=random)


class NICModel(mesa.Model):
    """A networked improvement community: districts improving practice month by month.

    Built Mesa's way, ``NICModel(seed=1, h=0.5, design="networked")``, or nicsim's,
    ``NICModel(Params(...), seed=1)`` (keywords then change that object's values). Keywords
    are checked as a config file's keys are, so a mistake raises the ``ConfigError`` the
    command line prints. ``rng`` is Mesa's name for the seed (``mesa.batch_run`` passes one
    of the two); ``None`` for both is seed 1, as for ``simulate`` and ``nicsim run``'s first
    replication. ``graph`` runs on a network of your own.
    ``running`` turns False at the horizon (``steps``), so ``run_model()`` and
    ``mesa.batch_run`` stop there.
    """

    def __init__(
        self,
        params: Params | None = None,
        seed: int | None = None,
        graph: nx.Graph | None = None,
        *,
        rng: int | None = None,
        **values: Any,
    ) -> None:
        p, seed = model_inputs(Params, params, values, seed, rng)
        rngs = streams(seed)
        super().__init__(rng=rngs["dynamics"])
        self.p = p
        self.seed = seed
        # the month's draws, re-keyed by dynamics_seed; what research knows at the start is
        # part of the starting state, the same whatever the dynamics' realisation
        self.keyed: dict[str, KeyedStream] = keyed_streams(
            seed, tuple(k for k in KEYED if k != "research_prior"), p.dynamics_seed
        )
        self.keyed["research_prior"] = KeyedStream(seed, "research_prior")
        self.month = 0  # months begun (the keyed streams' clock; Mesa's counter may differ)
        self.graph = (
            normalise(graph, directed=p.directed_graph)
            if graph is not None
            else network(p, rngs["network"])
        )
        self.space = _network_space(self.graph, self.random)
        self.kind = dict(self.graph.nodes(data="kind"))
        d_nodes = district_nodes(self.graph)
        n = len(d_nodes)
        self.landscape = make_landscape(p, seed, n)
        self.context = np.arange(n) % self.landscape.n_contexts
        self.practice = self.landscape.random_practices(rngs["practices"], n)
        self.all_districts = np.arange(n)
        self.outcome = self.score(self.practice, self.all_districts)
        self.counts: Counter[str] = Counter()

        self.agent_at: dict[int, mesa.Agent] = {}
        self.districts = [District(self, v, self.graph.nodes[v]["partnership"]) for v in d_nodes]
        self.agent_at.update({d.node: d for d in self.districts})
        skills = rngs["leaders"].uniform(
            p.novice_skill, p.initial_skill, (n, p.leaders_per_district)
        )
        self.skill = skills.ravel().copy()  # one post per leader, district by district
        self.posts = np.arange(self.skill.size)
        for district in self.districts:
            for j in range(p.leaders_per_district):
                post = district.node * p.leaders_per_district + j
                Leader(self, district, self.skill[post], post)
        self.universities = []
        for v in nodes_of(self.graph, "university"):
            # partners are the tied districts of its own partnership: in `complete` a
            # university is tied to every district but coaches only its own
            own = self.graph.nodes[v]["partnership"]
            partners = [
                self.agent_at[u]
                for u in sorted(self.graph[v])
                if self.kind[u] == "district" and self.graph.nodes[u]["partnership"] == own
            ]
            self.universities.append(University(self, v, partners))
        self.hubs = []
        for v in nodes_of(self.graph, "hub"):
            members = [
                self.agent_at[u] for u in sorted(self.graph[v]) if self.kind[u] == "district"
            ]
            self.hubs.append(Hub(self, v, members))
        self.agent_at.update({a.node: a for a in (*self.universities, *self.hubs)})
        self.knowledge_setup()
        # every coached post, when no leader has two coaches: coaching in one array update
        coached = np.concatenate([u.posts for u in self.universities] or [np.empty(0, int)])
        self.coached = coached if np.unique(coached).size == coached.size else None
        # (partner district, its university) for every partnership: research is drawn in bulk
        pairs = np.array(
            [(d.node, u.node) for u in self.universities for d in u.partners], dtype=np.int64
        ).reshape(-1, 2)
        self.research_pairs = (pairs[:, 0], pairs[:, 1])
        self.pool = Pool()  # every district's evidence per idea, for a hub of all districts
        self.outbox: dict[Trial, District] = {}  # adopted ideas with ties still to cross
        self._neighbours: dict[int, list[int]] | None = None
        self._neighbour_arrays: tuple[np.ndarray, np.ndarray] | None = None
        self._hub_members = [
            np.array([m.node for m in h.members], dtype=np.int64) for h in self.hubs
        ]
        self.rule = RULES[p.learning]
        self.best_fitness = self.landscape.max_fitness[self.context]

        self.datacollector = metrics.Recorder(metrics.STEP_REPORTERS, p.steps)
        self.datacollector.collect(self)

    def knowledge_setup(self) -> None:
        """Who holds beliefs (docs/ODD.md, "Beliefs"): leaders when they judge ideas by
        belief, universities wherever they offer research, that is under PDSA (an oracle's
        belief never moves)."""
        p, n = self.p, len(self.districts)
        # a university's row of research_beliefs by its node (nodes are numbered from 0;
        # -1: not a university), and each district's universities' rows in node order: one
        # at most in every built-in design, several possible in a file design
        self.university_row = np.full(self.graph.number_of_nodes(), -1, dtype=np.int64)
        rows_of: list[list[int]] = [[] for _ in range(n)]
        for row, university in enumerate(self.universities):
            self.university_row[university.node] = row
            for district in university.partners:
                rows_of[district.node].append(row)
        # the district's first university (-1: none): the one that prepares its hires
        self.partner_of = np.array([rows[0] if rows else -1 for rows in rows_of], dtype=np.int64)
        # kept only where some district has several: otherwise partner_of says it all
        self.partner_rows = rows_of if any(len(rows) > 1 for rows in rows_of) else None
        self.scale = self.landscape.percent_scale[self.context]
        judging = p.learning == "pdsa" and p.judgment == "belief" and p.leaders_per_district > 0
        self.beliefs = Beliefs(self.skill.size, 2, p.n_components, p.k) if judging else None
        self.research_beliefs = None
        check_graph(p, len(self.universities))
        if self.universities and p.learning == "pdsa":  # the one rule with research
            keys = [self.graph.nodes[u.node]["partnership"] for u in self.universities]
            self.research_beliefs = research_prior(
                p, self.landscape, keys, self.keyed["research_prior"]
            )
        self.research_learns = self.research_beliefs is not None and p.research_quality < 1
        # ties formed at convenings: (a, b) -> (leader holding it at a, at b), and each
        # leader's ties, so a leaver's end with it
        self.personal: dict[tuple[int, int], tuple[int, int]] = {}
        self.ties_of: dict[int, list[tuple[int, int]]] = {}

    def partner_pairs(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each university of each district of ``nodes``, as (place in ``nodes``, university
        row) pairs: in the order of ``nodes``, a district's universities in node order, so
        each university meets its partners' places in the order given. A district with no
        university has no pair."""
        if self.partner_rows is None:  # at most one each: partner_of, in one look-up
            rows = self.partner_of[nodes]
            places = np.flatnonzero(rows >= 0)
            return places, rows[places]
        pairs = [
            (place, row)
            for place, node in enumerate(np.asarray(nodes).tolist())
            for row in self.partner_rows[node]
        ]
        places, rows = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
        return places, rows

    # -- the environment --------------------------------------------------------------------
    @property
    def leaders(self) -> list[Leader]:
        """Every leader, district by district (a plain list: cheaper to walk each month
        than Mesa's weak-keyed agent set)."""
        return [leader for d in self.districts for leader in d.leaders]

    def score(self, codes, nodes) -> np.ndarray:
        """Outcomes of practices ``codes`` in the contexts of district nodes ``nodes``."""
        if self.landscape.one_problem:  # every context the same: no need to look them up
            return self.landscape.outcome(codes, 0)
        return self.landscape.outcome(codes, self.context[np.asarray(nodes)])

    def set_practices(self, codes) -> None:
        """Put districts on given practices (a scenario, a test or the page) and rescore."""
        self.practice[:] = np.asarray(codes, dtype=np.int64)
        self.rescore()
        for district in self.districts:
            district.refresh_outbox()

    def rescore(self) -> None:
        self.outcome = self.score(self.practice, self.all_districts)

    def ties(self, node: int) -> list[int]:
        return sorted(self.graph[node])

    def add_tie(self, a: int, b: int, kind: str) -> None:
        """A new relationship: joins both the Mesa network space and the graph."""
        self.space.add_connection(self.space[a], self.space[b])
        self.graph.edges[a, b]["kind"] = kind
        for x, y in ((a, b), (b, a)):
            if self.kind[x] == "district" and self.kind[y] != "hub":
                self.agent_at[x].new_tie(y)
        self._neighbours = None
        self._neighbour_arrays = None

    def make_personal(self, a: int, b: int) -> None:
        """A tie just formed at a convening is held by one leader of each district, drawn
        by a keyed draw; it ends when either leaves (``convening_ties = "personal"``)."""
        if self.p.convening_ties != "personal" or not self.p.leaders_per_district:
            return
        pick = self.keyed["tie_leaders"].integers(
            self.p.leaders_per_district, self.month, np.array([a, b]), np.array([b, a])
        )
        holders = tuple(
            self.agent_at[x].leaders[j].unique_id
            for x, j in zip((a, b), pick.tolist(), strict=True)
        )
        self.personal[(a, b)] = holders
        for holder in holders:
            self.ties_of.setdefault(holder, []).append((a, b))
        self.counts["personal_ties_formed"] += 1

    def forget_leader(self, leader: Leader) -> None:
        """A leaver's knowledge is lost (counted) and its personal ties end."""
        if self.beliefs is not None:
            self.counts["knowledge_lost"] += self.beliefs.knowledge(leader.post)
        for a, b in self.ties_of.pop(leader.unique_id, []):
            if leader.unique_id not in self.personal.get((a, b), ()):
                continue  # ended with the other holder (the pair may hold a new tie now)
            del self.personal[(a, b)]
            self.space.remove_connection(self.space[a], self.space[b])  # and the graph edge
            for x, y in ((a, b), (b, a)):
                for trial in self.agent_at[x].adopted.values():
                    if y in trial.unsent:
                        trial.unsent.remove(y)
            self._neighbours = None
            self._neighbour_arrays = None

    def convening(self) -> bool:
        """Whether the hub convenes at the end of the current step."""
        return bool(self.hubs) and self.steps % self.p.convening_interval == 0

    def neighbour_arrays(self) -> Ties:
        """Every district's ordinary-month neighbours (see :meth:`district_neighbours`) as
        compressed rows, with what a segmented maximum over them needs."""
        if self._neighbour_arrays is None and nx.is_frozen(self.graph):
            self._neighbour_arrays = self.graph.graph.get("nicsim_ties")
        if self._neighbour_arrays is None:
            self.district_neighbours(0)  # fills the per-district lists
            rows = [self._neighbours[d.node] for d in self.districts]
            lengths = np.array([len(r) for r in rows], dtype=np.int64)
            indptr = np.zeros(len(rows) + 1, dtype=np.int64)
            np.cumsum(lengths, out=indptr[1:])
            nbrs = np.fromiter((j for r in rows for j in r), dtype=np.int64, count=indptr[-1])
            has = np.flatnonzero(lengths)
            segment = np.repeat(np.arange(has.size), lengths[has])
            complete = len(rows) > 1 and bool((lengths == len(rows) - 1).all())
            self._neighbour_arrays = Ties(indptr, nbrs, has, indptr[has], segment, complete)
            if nx.is_frozen(self.graph):
                self.graph.graph["nicsim_ties"] = self._neighbour_arrays
        return self._neighbour_arrays

    def hub_members(self) -> list[np.ndarray]:
        """District ids of each hub's members: they see one another at a convening."""
        return self._hub_members

    def district_neighbours(self, i: int) -> list[int]:
        """Districts whose outcomes district ``i`` can see: tied directly or through a shared
        university, and, in a convening month, every fellow member of a hub. In a directed
        graph (``directed_graph``) a tie i -> j lets i see j only: ``graph[i]`` lists the
        districts i's ties point to."""
        if self._neighbours is None and nx.is_frozen(self.graph):
            self._neighbours = self.graph.graph.get("nicsim_neighbours")
        if self._neighbours is None:
            self._neighbours = {}
            for d in self.districts:
                seen = set()
                for v in self.graph[d.node]:
                    if self.kind[v] == "district":
                        seen.add(v)
                    elif self.kind[v] == "university" and d in self.agent_at[v].partners:
                        seen.update(u.node for u in self.agent_at[v].partners)
                seen.discard(d.node)
                self._neighbours[d.node] = sorted(seen)
            if nx.is_frozen(self.graph):  # shared by every run on this graph
                self.graph.graph["nicsim_neighbours"] = self._neighbours
        nbrs = self._neighbours[i]
        if self.convening():
            extra = {
                m.node for h in self.hubs if i in {x.node for x in h.members} for m in h.members
            }
            nbrs = sorted((set(nbrs) | extra) - {i})
        return nbrs

    # -- the schedule -----------------------------------------------------------------------
    def step(self) -> None:
        """One month: research and coaching, the learning rule, convening, turnover, measure."""
        self.counts.clear()
        self.month += 1
        if self.p.learning == "pdsa":
            research(self)
        self.rule(self)  # each rule moves districts and updates their outcomes
        self.train()
        if self.convening():
            for hub in self.hubs:
                hub.convene()
        self.turnover()
        self.datacollector.collect(self)
        self.running = self.steps < self.p.steps

    def train(self) -> None:
        """Every university coaches its partners' leaders: in one array update when no
        leader has two coaches (the same result), one university at a time otherwise."""
        if not self.universities or not self.skill.size:
            return
        if self.coached is None:
            for university in self.universities:
                university.train()
        else:
            coach(self.p, self.skill, self.coached)

    def turnover(self) -> None:
        """Each leader leaves with the monthly hazard implied by the annual turnover rate."""
        if self.p.turnover_rate == 0 or self.p.leaders_per_district == 0:
            return
        monthly = 1 - (1 - self.p.turnover_rate) ** (1 / 12)
        # one draw per place and month: place i is the (i % per)-th leader of district
        # i // per, in the order of the district's list. That is post i's holder only until
        # the district's first departure (a novice joins the end of the list), so the key
        # names the place, not the post; every leader still has one draw a month.
        draws = self.keyed["turnover"].uniform(self.month, self.posts)
        leaving = (draws < monthly).nonzero()[0].tolist()
        if leaving:  # every leaver found before anyone leaves
            per, districts = self.p.leaders_per_district, self.districts
            for leader in [districts[i // per].leaders[i % per] for i in leaving]:
                leader.leave()
        self.counts["leader_departures"] += len(leaving)

    def release(self) -> None:
        """Let this finished model be freed (see ``nicsim.core.release.forget_model``)."""
        forget_model(self)

    def run(self, steps: int | None = None) -> NICModel:
        """Run ``steps`` months (default: the horizon).

        Python's cyclic garbage collector is paused for the run: a run makes records,
        messages and trials by the thousand but almost no reference cycles (what it frees
        is freed by reference counting), while each full collection re-walks every record
        of every district, a cost that grew with the number of districts (measured: 37% of
        the step time at 10,000 districts, 20% at 100). It resumes when the run ends; a caller
        that paused it itself keeps it paused.
        """
        enabled = gc.isenabled()
        gc.disable()
        try:
            for _ in range(self.p.steps if steps is None else steps):
                self.step()
        finally:
            if enabled:
                gc.enable()
        return self

    def run_model(self) -> None:
        """Mesa's "run until ``running`` turns False": the months left to the horizon,
        at :meth:`run`'s speed."""
        self.run(self.p.steps - self.steps)
