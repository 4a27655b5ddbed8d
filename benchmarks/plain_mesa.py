"""A plain Mesa network model: the yardstick for the NIC benchmark's budget.

`benchmarks/run.py --only nic_default` times a default NIC run and this model in the same
run, interleaved, and reports the NIC's time per agent-step as a ratio to this model's
(target <= 2.5x). The ratio says what nicsim costs beside an ordinary Mesa model of the same
size on the same machine, whatever the machine's speed at the moment.

It is written the way Mesa's own examples write a network model (``virus_on_network`` and
``boltzmann_wealth_model``): agents fixed to the cells of a ``mesa.discrete_space.Network``
built from a networkx graph, each reading its neighbours through
``self.cell.neighborhood.agents`` every step, activated with ``shuffle_do("step")``, and a
``DataCollector`` whose model reporters are plain module functions, collected every step.
Nothing in it is tuned for speed: it is what a Mesa user would write.

The model is bounded-confidence opinion dynamics (Hegselmann & Krause 2002, asynchronous):
each agent holds an opinion in [0, 1] and each step moves part of the way towards the mean
opinion of those neighbours whose opinions lie within its confidence bound.

The graph is an Erdős–Rényi G(n, m) graph (``nx.gnm_random_graph``) of 144 nodes and a mean
degree of 5, seeded from the model's random number generator. The NIC default's network has
45 nodes (33 districts, 11 universities, a hub) and 110 ties, a mean degree of 4.9, and 144
agents (99 leaders are not nodes of it); with a fixed number of ties, every seed gives this
model the same mean degree and so the same amount of neighbour reading per step.
"""

from __future__ import annotations

import inspect

import networkx as nx
from mesa import DataCollector, Model
from mesa.discrete_space import FixedAgent, Network


def mean_opinion(model):
    opinions = [agent.opinion for agent in model.agents]
    return sum(opinions) / len(opinions)


def opinion_spread(model):
    """The standard deviation of the opinions."""
    opinions = [agent.opinion for agent in model.agents]
    mean = sum(opinions) / len(opinions)
    return (sum((x - mean) ** 2 for x in opinions) / len(opinions)) ** 0.5


def extremists(model):
    return sum(1 for agent in model.agents if agent.opinion < 0.1 or agent.opinion > 0.9)


def network_space(graph, random):
    """A Mesa ``Network`` on ``graph``: Mesa 3.5 lays a graph out on creation unless told not
    to (a layout is for drawing; none is drawn here), Mesa 3.3 has no layout at all."""
    if "layout" in inspect.signature(Network.__init__).parameters:
        return Network(graph, capacity=1, random=random, layout=None)
    return Network(graph, capacity=1, random=random)


class OpinionAgent(FixedAgent):
    """A person on a node of the network, holding an opinion between 0 and 1."""

    def __init__(self, model, opinion, cell):
        super().__init__(model)
        self.opinion = opinion
        self.cell = cell

    def step(self):
        close = [
            neighbour.opinion
            for neighbour in self.cell.neighborhood.agents
            if abs(neighbour.opinion - self.opinion) <= self.model.confidence
        ]
        if close:
            mean = sum(close) / len(close)
            self.opinion += self.model.convergence * (mean - self.opinion)


class PlainNetworkModel(Model):
    """Opinion dynamics on a random network, one agent per node.

    Args:
        n: number of agents (and nodes).
        avg_degree: mean number of neighbours per agent.
        confidence: an agent listens to neighbours whose opinions differ from its own by at
            most this much.
        convergence: the fraction of the distance to the mean of those opinions an agent
            moves each step.
        rng: seed for the model's random number generators (and so the graph's).
    """

    def __init__(self, n=144, avg_degree=5, confidence=0.3, convergence=0.5, rng=None):
        super().__init__(rng=rng)
        self.confidence = confidence
        self.convergence = convergence

        graph = nx.gnm_random_graph(n, round(n * avg_degree / 2), seed=self.random)
        self.grid = network_space(graph, self.random)

        OpinionAgent.create_agents(
            self,
            n,
            [self.random.random() for _ in range(n)],
            list(self.grid.all_cells),
        )

        self.datacollector = DataCollector(
            model_reporters={
                "Mean opinion": mean_opinion,
                "Spread": opinion_spread,
                "Extremists": extremists,
            }
        )
        self.running = True
        self.datacollector.collect(self)

    def step(self):
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)

    def run(self, steps):
        for _ in range(steps):
            self.step()
        return self
