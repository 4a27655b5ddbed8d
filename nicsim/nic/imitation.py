"""Learning by imitation: the rules of Lazer & Friedman (2007), ``copy_best``, and of
conformity, with Barkoczi & Galesic's (2016) sampling of neighbours (docs/ODD.md, sections
7.5-7.6). PDSA, model 2's way of learning, is in ``nicsim.nic.learning``.

Each rule reads the practices at the start of the step and writes the new ones only after
every district has decided (synchronous update).
"""

from __future__ import annotations

import mesa
import numpy as np

from .nk import bits_to_codes


def _local_flip(model: mesa.Model, rng) -> np.ndarray:
    """Each district's practice after one step of individual search: on an NK landscape a
    random component flipped, on Mason & Watts's a radius jump."""
    return model.landscape.local_search(model.practice, rng)


def _fallback(model: mesa.Model, rng) -> np.ndarray:
    """What a district tries when its neighbours offer nothing: a one-component flip, or,
    without ``individual_learning``, its own practice (no move). The flip is drawn either
    way, so the rest of the step draws the same numbers."""
    candidate = _local_flip(model, rng)
    if model.p.individual_learning:
        return candidate
    return model.practice[: len(model.districts)].copy()


def sampled_neighbours(model: mesa.Model, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A fresh sample of ``size`` neighbours per district (all if it has fewer), drawn
    without replacement, in a random order: district i looks at
    ``picked[indptr[i]:indptr[i + 1]]``. Barkoczi & Galesic (2016) let each agent look at
    3 or 9 of its contacts a round, not all of them; the random order also breaks ties
    between equally good neighbours at random, as their code does."""
    ties = model.neighbour_arrays()
    n = len(model.districts)
    lengths = np.diff(ties.indptr)
    keys = model.rng.random(ties.nbrs.size)
    keys += np.repeat(np.arange(n), lengths)  # row i's keys in [i, i + 1): rows kept in order
    if n and lengths.min() == lengths.max():
        picked = _first_by_key(keys.reshape(n, -1), ties.nbrs.reshape(n, -1), size)
    else:
        order = keys.argsort()  # and shuffled within
        rank = np.arange(order.size) - np.repeat(ties.indptr[:-1], lengths)
        picked = ties.nbrs[order[rank < size]]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.minimum(lengths, size), out=indptr[1:])
    return picked, indptr


def _first_by_key(keys: np.ndarray, nbrs: np.ndarray, size: int) -> np.ndarray:
    """Row by row, the ``size`` neighbours of smallest key in key order, flattened: the
    picks of the global sort in ``sampled_neighbours`` where every district has as many
    ties (a regular network, as fully connected), about 3x faster there, since only the
    picked few of each row are sorted."""
    if size < keys.shape[1]:
        cols = np.argpartition(keys, size - 1, axis=1)[:, :size]
    else:
        cols = np.broadcast_to(np.arange(keys.shape[1]), keys.shape)
    cols = np.take_along_axis(cols, np.take_along_axis(keys, cols, 1).argsort(axis=1), 1)
    return np.take_along_axis(nbrs, cols, 1).ravel()


def first_best(outcome: np.ndarray, picked: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Each district's best among ``picked`` (the first of equals in its row); -1 if none."""
    n = indptr.size - 1
    counts = np.diff(indptr)
    has = np.flatnonzero(counts)
    best = np.full(n, -1)
    if not has.size:
        return best
    starts = indptr[:-1][has]
    values = outcome[picked]
    top = np.maximum.reduceat(values, starts)
    place = np.where(values == np.repeat(top, counts[has]), np.arange(picked.size), picked.size)
    best[has] = picked[np.minimum.reduceat(place, starts)]
    return best


def _move(
    model: mesa.Model,
    candidate: np.ndarray,
    keep_equal: np.ndarray | None = None,
    always: np.ndarray | None = None,
) -> None:
    """Move each district to its candidate if that is strictly better; where ``keep_equal``,
    also if it is as good (a copy is reverted only if worse); where ``always``, whatever
    it scores (conformity). Moves that are not tests of the outcome are not counted as
    tests."""
    n = len(candidate)
    practice, old = model.practice, model.outcome[:n]
    new = model.score(candidate, model.all_districts)
    accept = new > old
    if keep_equal is not None:  # there, >= rather than >
        np.greater_equal(new, old, out=accept, where=keep_equal)
    tests = n
    if always is not None:
        accept |= always
        tests -= int(np.count_nonzero(always))
    accept &= candidate != practice
    model.counts["tests_run"] += tests
    model.counts["ideas_adopted"] += int(np.count_nonzero(accept))
    if always is not None:  # otherwise no accepted move scores below the practice it left
        model.counts["false_adoptions"] += int(np.count_nonzero(accept & (new < old)))
    np.copyto(practice, candidate, where=accept)
    np.copyto(old, new, where=accept)


def best_neighbours(model: mesa.Model) -> np.ndarray:
    """Each district's best neighbour (highest outcome, lowest index on ties); -1 if none.

    Vectorised over districts: one segmented maximum over the neighbour lists, so a
    round costs a few numpy calls, not a Python loop over every tie.
    """
    ties = model.neighbour_arrays()
    n = len(model.districts)
    outcome = model.outcome[:n]
    if ties.complete:  # O(n): everyone's best is the top district; the top's, the runner-up
        top = int(outcome.argmax())  # argmax: the lowest index among equals
        others = outcome.copy()
        others[top] = -np.inf
        best = np.full(n, top)
        best[top] = others.argmax()
    elif ties.has.size:
        values = outcome[ties.nbrs]
        top = np.maximum.reduceat(values, ties.starts)
        first = np.where(values == top[ties.segment], ties.nbrs, n)
        best = np.minimum.reduceat(first, ties.starts)
        if ties.has.size < n:  # some district has no neighbour
            best, found = np.full(n, -1), best
            best[ties.has] = found
    else:
        best = np.full(n, -1)
    if model.convening():  # fellow hub members are visible too
        for members in model.hub_members():
            order = members[np.lexsort((members, -outcome[members]))]
            top = np.where(members == order[0], order[1] if order.size > 1 else -1, order[0])
            mine = best[members]
            take = (mine < 0) | (top >= 0) & (
                (outcome[top] > outcome[mine]) | (outcome[top] == outcome[mine]) & (top < mine)
            )
            best[members] = np.where(take, top, mine)
    return best


def copy_best(model: mesa.Model) -> None:
    """Copy the best neighbour if it is strictly better, else try a one-component flip.

    Outcomes of neighbours are seen without noise. With ``sample_size``, the best of that
    many neighbours drawn this step (Barkoczi & Galesic's best member); without
    ``individual_learning``, no flip. Copying can fail bit by bit
    (``copy_error``); a copy that leaves the district worse off is reverted.
    """
    p, rng = model.p, model.rng
    n = len(model.districts)
    practice, outcome = model.practice[:n], model.outcome[:n]
    candidate = _fallback(model, rng)
    look = rng.random(n)  # drawn even when everyone looks (velocity 1): the same stream
    if p.sample_size:  # the best of a few neighbours drawn this step, ties at random
        best = first_best(outcome, *sampled_neighbours(model, p.sample_size))
    else:
        best = best_neighbours(model)
    better = outcome[best] > outcome  # best[-1]: read, then masked
    better &= best >= 0
    if p.velocity < 1:  # those who do not look do the local search
        better &= look < p.velocity
    theirs = practice[best]
    if p.copy_error > 0 and better.any():
        copying = better.nonzero()[0]
        fails = rng.random((copying.size, p.n_components)) < p.copy_error
        # a bit that fails to copy keeps the district's own value
        theirs[copying] ^= (practice[copying] ^ theirs[copying]) & bits_to_codes(fails)
    np.copyto(candidate, theirs, where=better)
    _move(model, candidate, keep_equal=better)  # a copy is reverted only if worse


def looked_at(model: mesa.Model) -> tuple[np.ndarray, np.ndarray]:
    """Whom each district looks at this step, as compressed rows (district i's are
    ``picked[indptr[i]:indptr[i + 1]]``): a fresh sample of ``sample_size``, else every
    neighbour (:meth:`NICModel.district_neighbours`, with a hub's fellow members in a
    convening month)."""
    if model.p.sample_size:
        return sampled_neighbours(model, model.p.sample_size)
    ties = model.neighbour_arrays()
    if not model.convening():
        return ties.nbrs, ties.indptr
    rows = [model.district_neighbours(i) for i in range(len(model.districts))]
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    return np.fromiter((j for r in rows for j in r), np.int64, indptr[-1]), indptr


def row_modes(values: np.ndarray, indptr: np.ndarray) -> tuple[np.ndarray, ...]:
    """The most common value(s) of each row ``values[indptr[i]:indptr[i + 1]]``, for all
    rows at once: each row's top count (0 for an empty row), its modes in ascending order
    (row i's are ``modes[first[i]:first[i + 1]]``) and ``first``."""
    n = indptr.size - 1
    rows = np.repeat(np.arange(n), np.diff(indptr))
    order = np.lexsort((values, rows))  # by row, then value: equal values side by side
    v, r = values[order], rows[order]
    new = np.ones(v.size, dtype=bool)
    new[1:] = (v[1:] != v[:-1]) | (r[1:] != r[:-1])
    starts = np.flatnonzero(new)  # one run per distinct (row, value)
    count = np.diff(starts, append=v.size)
    run_row = r[starts]
    top = np.zeros(n, dtype=np.int64)
    np.maximum.at(top, run_row, count)
    is_mode = count == top[run_row]
    first = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(run_row[is_mode], minlength=n), out=first[1:])
    return top, v[starts[is_mode]], first


def conformity(model: mesa.Model) -> None:
    """Adopt the most common practice among neighbours (ties at random); else try a flip.

    Barkoczi & Galesic's (2016) conformist looks at ``sample_size`` neighbours, follows a
    practice only if at least ``conformity_min_count`` of them share it (2: not when all
    differ) and only if it scores strictly better (``conformity_if_better``); otherwise it
    searches alone. The defaults follow the most common practice of all neighbours whatever
    it scores. Every district's sample is counted at once (:func:`row_modes`).
    """
    p, rng = model.p, model.rng
    n = len(model.districts)
    practice = model.practice
    candidate = _fallback(model, rng)
    looking = rng.random(n) < p.velocity
    picked, indptr = looked_at(model)
    top, modes, first = row_modes(practice[picked], indptr)
    who = np.flatnonzero(looking & (top >= p.conformity_min_count))  # min count >= 1
    conforming = np.zeros(n, dtype=bool)
    if who.size:
        # which mode, for each deciding district in node order: one integer below its
        # number of modes (numpy draws nothing for a single mode, as one call per district
        # would: the same numbers)
        chosen = modes[first[who] + rng.integers(0, np.diff(first)[who])]
        if p.conformity_if_better:  # the rest keep their flip (or stay)
            better = model.score(chosen, who) > model.outcome[who]
            who, chosen = who[better], chosen[better]
        else:
            conforming[who] = True
        candidate[who] = chosen
    _move(model, candidate, always=conforming)
