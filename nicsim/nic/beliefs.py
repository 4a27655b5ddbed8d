"""Gaussian beliefs over the landscape's contribution tables (docs/ODD.md, "Beliefs").

Knowledge in model 2 is carried by people and institutions: a leader believes something
about the shared landscape S and its district's local landscape L, a university about S
alone. A belief is a mean and a variance for every entry of the contribution tables, the
dependency structure (which K components each component reads) being known. Rows are
holders (a leader's post, a university), columns the entries of the parts it holds:
entry ``part * N * T + i * T + j`` is component i's contribution when its K + 1 bits
spell j, with T = 2**(K + 1) and part 0 = S, 1 = L.

The prior of an entry nobody has studied is what the landscape's construction says:
uniform on [0, 1), summarised as mean 1/2 and variance 1/12 (``PRIOR_MEAN``, ``PRIOR_VAR``).

Observations. A test of a change from practice x to x' in a district of context c
observes the gain in outcome units plus noise:

    y = sum_j a_j theta_j + e,   e ~ Normal(0, s^2),

with a_j = +-u (1 - h) / N on the S entries and +-u h / N on the L entries that the change
moves (u = 100 / (max_c - mean_c), the percent scale; + at x', - at x; a component whose
K + 1 bits do not change contributes nothing). The update is the Kalman step for this
scalar observation keeping only the diagonal of the covariance (entries stay independent):

    S = sum_j a_j^2 v_j + s^2,   theta_j += v_j a_j (y - sum a theta) / S,
    v_j -= v_j^2 a_j^2 / S.

An entry with variance 0 (an oracle's table) never moves. Several observations for one
holder are applied one after another, in the order given, never summed as if independent,
which would count the shared entries' residual many times over.

Compiled loops. The steps are sequential by definition (a holder's second observation
reads what its first wrote) and each touches a few dozen entries, so they run as a loop
compiled by numba (``_kalman_steps``), as do the predictions (``_predictions``); in numpy
they were rounds of small calls. Their sums add in numpy's order (``numpy_sum``), so the
numbers are numpy's to the bit. numba compiles them at the first call in a new
installation (a few seconds) and keeps them in ``__pycache__``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..core import libm
from ..core.sums import numpy_sum
from .entries import EntryIndex, code_entries, table_indices

PRIOR_MEAN = 0.5
PRIOR_VAR = 1.0 / 12.0
SHARED, LOCAL = 0, 1  # the parts of a leader's belief (a university holds SHARED only)
VAR_FLOOR = PRIOR_VAR * 1e-6  # knowledge of an exactly known entry counts as log(1e6)


class Changes:
    """The table entries a batch of changes x -> x' moves, with their coefficients.

    ``entries`` and ``coeffs`` are (M, 4N): for each component, its S entry at x' and at
    x, then its L entry at x' and at x (columns of a two-part belief; a one-part belief
    reads the first 2N). A component the change does not move has coefficient 0 there.
    ``local_variance`` (M,) is the prior variance of each change's L part: the spread a
    district's own context adds to a result seen by someone who does not know that context.
    S and every L have dependency structures of their own: ``shared_deps`` is (N, K+1),
    ``local_deps`` (N, K+1) or one per change, (M, N, K+1). :meth:`at` starts from the
    entries rather than the structures, :meth:`between` from a landscape's entry indexes.
    """

    def __init__(
        self,
        shared_deps: np.ndarray,
        local_deps: np.ndarray,
        base: np.ndarray,
        new: np.ndarray,
        scale: np.ndarray,
        h: float,
    ) -> None:
        n, t = shared_deps.shape[0], 1 << shared_deps.shape[1]
        column = np.arange(n, dtype=np.int64) * t
        shared = [column + table_indices(codes, shared_deps) for codes in (base, new)]
        local = [column + table_indices(codes, local_deps) for codes in (base, new)]
        self._fill(shared, local, scale, h, n * t)

    @classmethod
    def at(cls, shared, local, scale: np.ndarray, h: float, size: int) -> Changes:
        """The changes whose S entries before and after are ``shared`` (two (M, N) arrays
        of positions i * T + j in S's flattened table of ``size`` = N * T entries) and whose
        L entries are ``local``: what a landscape's ``EntryIndex`` finds without the bit
        arithmetic of :func:`table_indices`."""
        changes = cls.__new__(cls)
        changes._fill(shared, local, scale, h, size)
        return changes

    @classmethod
    def between(
        cls, shared: EntryIndex, local: EntryIndex, contexts, base, new, scale, h: float
    ) -> Changes:
        """The changes from ``base`` to ``new`` in local landscapes ``contexts``, their
        entries found by the landscape's entry indexes ``shared`` and ``local`` (both with
        look-up tables) in the same compiled pass that fills the coefficients."""
        changes = cls.__new__(cls)
        size = shared.table.shape[1] << shared.deps.shape[-1]  # N * T
        changes._set(
            *_changes_between(
                shared.table,
                shared.chunks,
                local.table,
                local.chunks,
                *(_ints(x) for x in (contexts, base, new)),
                _floats(scale),
                float(h),
                size,
            )
        )
        return changes

    def _fill(self, shared, local, scale, h: float, size: int) -> None:
        """Each change's row from its S and L entries before and after."""
        ends = [_ints(x) for x in (*shared, *local)]
        self._set(*_changes_at(*ends, _floats(scale), float(h), size))

    def _set(self, entries: np.ndarray, coeffs: np.ndarray, local_variance: np.ndarray):
        self.entries, self.coeffs, self.local_variance = entries, coeffs, local_variance
        self.width = entries.shape[1] // 2  # columns that touch S

    def __len__(self) -> int:
        return self.entries.shape[0]

    def shared(self) -> tuple[np.ndarray, np.ndarray]:
        """Entries and coefficients of the S part alone (a university's view)."""
        return self.entries[:, : self.width], self.coeffs[:, : self.width]


def _ints(x) -> np.ndarray:
    """``x`` as a C-contiguous int64 array: one compiled form for every caller."""
    return np.ascontiguousarray(x, dtype=np.int64)


def _floats(x) -> np.ndarray:
    """``x`` as a C-contiguous float64 array."""
    return np.ascontiguousarray(x, dtype=np.float64)


class Beliefs:
    """Mean and variance of every table entry, one row per holder."""

    def __init__(self, holders: int, parts: int, n: int, k: int) -> None:
        width = parts * n * (1 << (k + 1))
        self.mean = np.full((holders, width), PRIOR_MEAN)
        self.var = np.full((holders, width), PRIOR_VAR)

    def reset(self, rows: np.ndarray) -> None:
        """Forget everything held in ``rows``: back to the prior."""
        self.mean[rows] = PRIOR_MEAN
        self.var[rows] = PRIOR_VAR

    def predict(
        self, rows: np.ndarray, entries: np.ndarray, coeffs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each change's predicted gain and the variance of that prediction, sum a theta
        and sum a^2 v, for its holder: ``entries`` and ``coeffs`` are (M, width), ``rows``
        (M,) or (M, L) (L holders judging each change), the results of ``rows``' shape."""
        rows = np.asarray(rows, dtype=np.int64)
        gain, spread = _predictions(
            self.mean.reshape(-1),
            self.var.reshape(-1),
            rows.reshape(len(entries), -1) * self.mean.shape[1],
            np.ascontiguousarray(entries, dtype=np.int64),  # one compiled form for all callers
            np.ascontiguousarray(coeffs, dtype=np.float64),
        )
        return gain.reshape(rows.shape), spread.reshape(rows.shape)

    def observe(
        self,
        rows: np.ndarray,
        entries: np.ndarray,
        coeffs: np.ndarray,
        observed: np.ndarray,
        noise_var: np.ndarray,
    ) -> None:
        """Diagonal Kalman steps, one per observation, in the order given (see the module
        docstring): observation i of ``observed`` (with noise variance ``noise_var``, a
        number or one per observation) is of the change in row i of ``entries`` and
        ``coeffs``, seen by holder ``rows[i]``."""
        rows = np.asarray(rows, dtype=np.int64)
        if not rows.size:
            return
        _kalman_steps(
            self.mean.reshape(-1),  # views: the tables are C-contiguous
            self.var.reshape(-1),
            rows * self.mean.shape[1],
            np.ascontiguousarray(entries, dtype=np.int64),  # one compiled form for all callers
            np.ascontiguousarray(coeffs, dtype=np.float64),
            np.ascontiguousarray(observed, dtype=np.float64),
            np.full(rows.shape, noise_var, dtype=np.float64),  # a number or one each
        )

    def copy_entries(self, to: np.ndarray, source: Beliefs, rows: np.ndarray, share: np.ndarray):
        """Holders ``to`` take ``source``'s rows ``rows`` on the entries where ``share``
        (a boolean (len(to), source width) array) is true: a graduate carries its
        university's belief into its first post."""
        width = source.mean.shape[1]
        for t, r, s in zip(to.tolist(), rows.tolist(), share, strict=True):
            self.mean[t, :width][s] = source.mean[r, s]
            self.var[t, :width][s] = source.var[r, s]

    def knowledge(self, rows: np.ndarray) -> float:
        """Information held in ``rows`` beyond the prior: sum of log(v0 / v) over their
        entries (an exactly known entry counts as log(1e6))."""
        v = np.maximum(self.var[rows], VAR_FLOOR)
        return float(libm.log(PRIOR_VAR / v).sum())  # the C library's log: see core.libm

    def error(self, truth: np.ndarray, which: np.ndarray) -> np.ndarray:
        """Root mean square error of every holder's means against its true tables: holder
        r's against row ``which[r]`` of ``truth`` (a leader's, its district's context's)."""
        return _rms_errors(
            self.mean,
            np.ascontiguousarray(truth, dtype=np.float64),
            np.asarray(which, dtype=np.int64),
        )


@njit(cache=True)
def _rms_errors(mean, truth, which):
    """:meth:`Beliefs.error` in one pass over the means, each row's squares summed in
    numpy's order (a row's mean, then its root: ``np.sqrt(mean(d * d))`` to the bit)."""
    out = np.empty(mean.shape[0])
    squares = np.empty(mean.shape[1])
    for r in range(mean.shape[0]):
        row, true = mean[r], truth[which[r]]
        for j in range(squares.size):
            d = row[j] - true[j]
            squares[j] = d * d
        out[r] = np.sqrt(numpy_sum(squares) / squares.size)
    return out


@njit(cache=True)
def _kalman_steps(mean, var, offsets, entries, coeffs, observed, noise_var):
    """:meth:`Beliefs.observe` on the flat tables, holder i's row starting at
    ``offsets[i]``: each observation's step reads its entries, then writes them all (as
    numpy's ``put`` did: an entry listed twice, with coefficient 0, keeps its value)."""
    width = entries.shape[1]
    theta, v, va, terms = np.empty(width), np.empty(width), np.empty(width), np.empty(width)
    for i in range(entries.shape[0]):
        e, a = offsets[i] + entries[i], coeffs[i]
        for j in range(width):
            theta[j], v[j] = mean[e[j]], var[e[j]]
            va[j] = v[j] * a[j]
            terms[j] = va[j] * a[j]
        total = numpy_sum(terms) + noise_var[i]
        if not total > 0:  # nothing uncertain and no noise: nothing to learn
            continue
        for j in range(width):
            terms[j] = theta[j] * a[j]
        step = (observed[i] - numpy_sum(terms)) / total
        for j in range(width):
            mean[e[j]] = theta[j] + va[j] * step
            var[e[j]] = v[j] - va[j] * va[j] / total


@njit(cache=True)
def _predictions(mean, var, offsets, entries, coeffs):
    """:meth:`Beliefs.predict` in one pass over the flat tables, each holder's row
    starting at ``offsets`` (M, L), without a table-sized temporary."""
    count, holders = offsets.shape
    width = entries.shape[1]
    gain, spread = np.empty((count, holders)), np.empty((count, holders))
    terms, squares = np.empty(width), np.empty(width)
    for i in range(count):
        for h in range(holders):
            for j in range(width):
                a, k = coeffs[i, j], offsets[i, h] + entries[i, j]
                terms[j] = mean[k] * a
                squares[j] = var[k] * (a * a)
            gain[i, h], spread[i, h] = numpy_sum(terms), numpy_sum(squares)
    return gain, spread


@njit(cache=True)
def _change_row(s0, s1, l0, l1, scale, h, size, entries, coeffs, squares):
    """One change's row of :class:`Changes` from its S and L entries before (``s0``,
    ``l0``) and after (``s1``, ``l1``); returns its local variance. The coefficient of a
    component is u (1 - h) / N on S and u h / N on L where the change moves its entry, 0
    elsewhere; the products are formed as numpy formed them, (u / N) (1 - h) times 1 or 0."""
    n = s0.size
    unit = scale / n
    for i in range(n):
        a_s = unit * (1 - h) * (1.0 if s0[i] != s1[i] else 0.0)
        a_l = unit * h * (1.0 if l0[i] != l1[i] else 0.0)
        entries[i], entries[n + i] = s1[i], s0[i]
        entries[2 * n + i], entries[3 * n + i] = l1[i] + size, l0[i] + size
        coeffs[i], coeffs[n + i], coeffs[2 * n + i], coeffs[3 * n + i] = a_s, -a_s, a_l, -a_l
    for j in range(2 * n):
        squares[j] = coeffs[2 * n + j] * coeffs[2 * n + j]
    return numpy_sum(squares) * PRIOR_VAR


@njit(cache=True)
def _changes_at(s0, s1, l0, l1, scale, h, size):
    """:meth:`Changes.at`: each change's row from its entries, (M, N) arrays."""
    m, n = s0.shape
    entries, coeffs = np.empty((m, 4 * n), dtype=np.int64), np.empty((m, 4 * n))
    local, squares = np.empty(m), np.empty(2 * n)
    for r in range(m):
        local[r] = _change_row(
            s0[r], s1[r], l0[r], l1[r], scale[r], h, size, entries[r], coeffs[r], squares
        )
    return entries, coeffs, local


@njit(cache=True)
def _changes_between(s_table, s_chunks, l_table, l_chunks, contexts, base, new, scale, h, size):
    """:meth:`Changes.between`: each change's entries looked up, then its row filled."""
    m, n = base.size, s_table.shape[1]
    entries, coeffs = np.empty((m, 4 * n), dtype=np.int64), np.empty((m, 4 * n))
    local, squares = np.empty(m), np.empty(2 * n)
    s0, s1 = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    l0, l1 = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    for r in range(m):
        code_entries(s_table, s_chunks, 0, base[r], s0)
        code_entries(s_table, s_chunks, 0, new[r], s1)
        code_entries(l_table, l_chunks, contexts[r], base[r], l0)
        code_entries(l_table, l_chunks, contexts[r], new[r], l1)
        local[r] = _change_row(s0, s1, l0, l1, scale[r], h, size, entries[r], coeffs[r], squares)
    return entries, coeffs, local
