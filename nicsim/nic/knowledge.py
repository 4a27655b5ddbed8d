"""Who knows what, and how it is learned and lost (docs/ODD.md, "Beliefs", "Universities").

Leaders learn from their own tests; universities from their partners' tests each month
and, where a hub convenes, from the evidence it pools on the ideas it broadcasts; a new
leader hired in a partner district brings part of its university's belief; a leaver
takes its belief away. The arithmetic of beliefs is in ``nicsim.nic.beliefs``; this module
says whose belief each observation reaches and with what noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .beliefs import PRIOR_MEAN, PRIOR_VAR, Beliefs, Changes
from .nk import summed

if TYPE_CHECKING:
    import mesa

    from .ideas import ChangeIdea, Evidence
    from .params import Params


def research_prior(p: Params, landscape, keys: list[int], stream) -> Beliefs:
    """Universities' beliefs about S at the start: what research already knows.

    With q = ``research_quality``, each entry's prior is the posterior of a study that
    saw the true contribution T through noise of variance (1 - q^2) / (12 q^2):

        mean = 0.5 + q^2 (T + e - 0.5) = T + (1 - q^2)(0.5 - T) + q sqrt((1 - q^2)/12) z,
        var = (1 - q^2) / 12,

    z standard normal, keyed by the university's partnership and the entry, so a
    university knows the same in every design. q = 1 is model 1's oracle exactly (mean T,
    variance 0: it never moves); q = 0 knows only the prior. A mean written q T + (1 - q)
    0.5 would keep the oracle's ranking at every q and make the parameter inert.
    """
    q = p.research_quality
    truth = landscape.shared.table.ravel()
    out = Beliefs(len(keys), 1, p.n_components, p.k)
    z = stream.normal(np.asarray(keys, dtype=np.int64)[:, None], np.arange(truth.size))
    out.mean[:] = truth + (1 - q * q) * (PRIOR_MEAN - truth) + q * np.sqrt((1 - q * q) / 12) * z
    out.var[:] = (1 - q * q) * PRIOR_VAR
    return out


def learn_from_tests(
    model: mesa.Model,
    nodes: np.ndarray,
    posts: np.ndarray,
    new: np.ndarray,
    observed: np.ndarray,
    noise_sd: np.ndarray,
) -> None:
    """Study: each leader learns from the tests it ran; each university from its
    partners' tests, through the partner's unknown local context. A test in a district
    with several universities is one observation for each; a university takes its
    observations in test order. Model 1's people (no leaders' beliefs, oracle
    universities) learn nothing, so nothing is worked out."""
    if not nodes.size or (model.beliefs is None and not model.research_learns):
        return
    changes = changes_for(model, nodes, model.practice[nodes], new)
    noise_var = noise_sd * noise_sd
    if model.beliefs is not None:
        model.beliefs.observe(posts, changes.entries, changes.coeffs, observed, noise_var)
    if model.research_learns:
        tests, rows = model.partner_pairs(nodes)
        if tests.size:
            entries, coeffs = changes.shared()
            model.research_beliefs.observe(
                rows,
                entries[tests],
                coeffs[tests],
                observed[tests],
                noise_var[tests] + changes.local_variance[tests],
            )


def learn_at_convening(
    model: mesa.Model, broadcast: list[tuple[ChangeIdea, Evidence]], members: Sequence
) -> None:
    """Every university learns from the hub's pooled evidence on the ideas it broadcasts:
    each member's own record of each idea (its tests, mean gain and the practice they
    were run in), except its own partners' tests, which it has already seen."""
    if not model.research_learns or not broadcast:
        return
    found = []  # (district node, base practice, new practice, tests, mean gain)
    for idea, _ in broadcast:
        for district in members:
            trial = district.trials.get(idea.key)
            if trial is not None and trial.tests:
                found.append(
                    (
                        district.node,
                        trial.base,
                        idea.apply(trial.base),
                        trial.tests,
                        trial.mean_gain,
                    )
                )
    if not found:
        return
    nodes, base, new, tests, gain = (np.array(col) for col in zip(*found, strict=True))
    changes = changes_for(model, nodes, base, new)
    entries, coeffs = changes.shared()
    noise = model.p.measurement_noise**2 / tests + changes.local_variance
    fresh = np.ones((len(found), len(model.universities)), dtype=bool)
    fresh[model.partner_pairs(nodes)] = False  # every university of the record's district
    records, rows = np.nonzero(fresh)  # record by record, universities in node order
    model.research_beliefs.observe(
        rows, entries[records], coeffs[records], gain[records], noise[records]
    )


def graduate(model: mesa.Model, post: int, node: int) -> float:
    """A new leader in ``post``: the skill it starts with, and (beliefs in use) its belief:
    the prior, or, hired in a partner district, its university's belief on a share
    ``preparation`` of the S entries, chosen by a keyed draw per post, month and entry. A
    district with several universities (a file design) hires from the first in node order
    (``partner_of``): a graduate has studied at one."""
    p = model.p
    row = int(model.partner_of[node])
    prepared = row >= 0 and p.preparation > 0
    if model.beliefs is not None:
        model.beliefs.reset(post)
        if prepared:
            width = model.research_beliefs.mean.shape[1]
            share = model.keyed["preparation"].uniform(model.month, post, np.arange(width))
            model.beliefs.copy_entries(
                np.array([post]),
                model.research_beliefs,
                np.array([row]),
                share[None] < p.preparation,
            )
    if prepared:
        return p.novice_skill + p.preparation * (1 - p.novice_skill)
    return p.novice_skill


def research_fitness(model: mesa.Model, codes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """S(x) as universities ``rows`` believe it, for codes (rows broadcast against codes).
    An oracle (research_quality = 1) reads the landscape itself: the same numbers."""
    land = model.landscape
    if not model.research_learns:
        return land.shared_fitness(codes)
    # ``land.shared_belief_fitness``'s numbers (the same sums in the same order), each
    # entry found by S's entry index and read from the flat tables in one look-up
    tables = model.research_beliefs.mean
    entries = land.shared_entries(codes) + np.asarray(rows)[..., None] * tables.shape[1]
    return summed(tables.take(entries), model.p.k)


def changes_for(model: mesa.Model, nodes, base, new) -> Changes:
    """The table entries changes from ``base`` to ``new`` move in districts ``nodes``."""
    land, p = model.landscape, model.p
    shared, local, contexts = land.shared_entries, land.local_entries, model.context[nodes]
    if shared.table is not None and local.table is not None:  # the usual case: one pass
        return Changes.between(shared, local, contexts, base, new, model.scale[nodes], p.h)
    codes = np.stack([base, new])  # both ends in one look-up
    return Changes.at(
        shared(codes), local(codes, contexts), model.scale[nodes], p.h, land.shared.table.size
    )
