"""Akima's bivariate interpolation of values on a rectangular grid: the revised Akima method
of Akima, H. (1996), "Algorithm 760: Rectangular-grid-data surface fitting that has the
accuracy of a bicubic polynomial", ACM Transactions on Mathematical Software 22(3),
357-361, whose subroutine RGBI3P is what R's ``akima::bicubic`` and ``akima::bicubic.grid``
call (docs/ODD.md, "The Mason & Watts landscape").

Knots x_0 < ... < x_{n-1} and y_0 < ... < y_{m-1} (at least four each, unevenly spaced
allowed) carry values z[i, j] = z(x_i, y_j). The method first estimates three partial
derivatives at every knot (RGPD3P), then fills each grid rectangle with the bicubic that
matches z, z_x, z_y and z_xy at its four corners (RGPLNL).

*The derivatives.* Along x, a knot lies in up to four runs of four consecutive knots (its
offsets -3, -2, -1; -2, -1, 1; -1, 1, 2; 1, 2, 3: those that fit in the grid, so one at
the first and last knot). Each run gives a primary estimate, the slope at x_i of the cubic
through its four points (d_k = x_{i+o_k} - x_i, z_k the values, z_0 = z[i, j])::

    p = sum_k c_k (z_k - z_0) / d_k,  c_1 = d_2 d_3 / ((d_1 - d_2)(d_1 - d_3)), and cyclically,

with weight 1 / (V D): V, the volatility, is the residual sum of squares of the least-
squares line through the run's four points, and D = sum_k d_k**2. z_x is the weighted mean
of the primary estimates, or, if some run has V <= 1e-12 sum z**2 (a weight taken as
infinite), the plain mean of those runs' estimates. z_y is the same along y. For z_xy each
pair of an x run and a y run (up to 16) gives the mixed derivative at the knot of the
bicubic through their 4 x 4 points (e_l the y offsets, z_kl the values)::

    p = sum_k sum_l c_k c_l (z_kl - z_k0 - z_0l + z_00) / (d_k e_l),

weighted likewise: V is the residual sum of squares of the 16 points about the surface
b00 + b10 x + b01 y + b11 x y (b00 the mean of the two lines' intercepts, b10 and b01 their
slopes, b11 fitted given those) and D = sum d_k**2 sum e_l**2.

*The surface.* On the rectangle [x_i, x_{i+1}] x [y_j, y_{j+1}], with s = (x - x_i) / dx
and t = (y - y_j) / dy, the bicubic Hermite patch::

    f = sum over corners (a, b) in {0, 1}**2 of
        z h_a(s) h_b(t) + z_x dx g_a(s) h_b(t) + z_y dy h_a(s) g_b(t) + z_xy dx dy g_a(s) g_b(t),

the corner's values at (x_{i+a}, y_{j+b}); h_1(s) = 3 s**2 - 2 s**3, h_0 = 1 - h_1,
g_0(s) = s (1 - s)**2, g_1(s) = s**2 (s - 1). The surface passes through the knots, is
continuous with continuous first derivatives, and reproduces any polynomial of degree up to
three in each variable (a bicubic: every primary estimate is then exact).

Two cases of RGBI3P are left out, as nothing here needs them: with fewer than four knots on
an axis it supplements points by a lower-degree fit, and outside the knots it extrapolates
linearly; both are refused here.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# RGPD3P's IDLT: the offsets, from a knot, of the other three knots of each run
RUNS = ((-3, -2, -1), (-2, -1, 1), (-1, 1, 2), (1, 2, 3))
# RGPD3P's threshold 1.0E-12, a single-precision constant in its Fortran
TINY = float(np.float32(1e-12))


class _Run(NamedTuple):
    """One run of four knots along the first axis, at every knot at once: arrays of
    shape (n, 1) for the knots' positions and (n, m) for values."""

    fits: np.ndarray  # the run lies inside the grid
    index: tuple  # the three other knots' indices (n,)
    d: tuple  # their distances from the knot
    c: tuple  # the weights of the cubic's slope
    z: tuple  # their values
    slope: np.ndarray  # the primary estimate
    b0: np.ndarray  # the least-squares line: intercept
    b1: np.ndarray  # and slope
    volatility: np.ndarray
    distance: np.ndarray


def _runs(t: np.ndarray, z: np.ndarray) -> list[_Run]:
    """The four runs along the first axis of z, knots t, with their primary estimates of
    the slope and their weights' parts."""
    n = t.size
    i = np.arange(n)
    out = []
    for offsets in RUNS:
        fits = (i + offsets[0] >= 0) & (i + offsets[2] < n)
        index = tuple(np.clip(i + o, 0, n - 1) for o in offsets)
        # where the run does not fit, stand-in distances keep the arithmetic finite
        d1, d2, d3 = (
            np.where(fits, t[k] - t, o)[:, None] for k, o in zip(index, offsets, strict=True)
        )
        c = (
            d2 * d3 / ((d1 - d2) * (d1 - d3)),
            d3 * d1 / ((d2 - d3) * (d2 - d1)),
            d1 * d2 / ((d3 - d1) * (d3 - d2)),
        )
        z1, z2, z3 = (z[k] for k in index)
        slope = c[0] * ((z1 - z) / d1) + c[1] * ((z2 - z) / d2) + c[2] * ((z3 - z) / d3)
        sx = d1 + d2 + d3
        sxx = d1 * d1 + d2 * d2 + d3 * d3
        sz = z + z1 + z2 + z3
        sxz = d1 * z1 + d2 * z2 + d3 * z3
        dnm = 4.0 * sxx - sx * sx
        b0 = (sxx * sz - sx * sxz) / dnm
        b1 = (4.0 * sxz - sx * sz) / dnm
        fit = (z - b0, z1 - (b0 + b1 * d1), z2 - (b0 + b1 * d2), z3 - (b0 + b1 * d3))
        out.append(
            _Run(
                fits[:, None],
                index,
                (d1, d2, d3),
                c,
                (z1, z2, z3),
                slope,
                b0,
                b1,
                _squares(fit),
                sxx,
            )
        )
    return out


def _weighted_mean(estimates) -> np.ndarray:
    """RGPD3P's final estimate from (estimate, volatility, distance, small, fits) tuples:
    the mean weighted by 1 / (volatility distance) or, where some volatility is at most
    ``small``, the plain mean of those estimates."""
    finite_sum = finite_weight = infinite_sum = infinite_count = 0.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for estimate, volatility, distance, small, fits in estimates:
            finite = fits & (volatility > small)
            infinite = fits & ~(volatility > small)
            weight = 1.0 / (volatility * distance)
            finite_sum = finite_sum + np.where(finite, weight * estimate, 0.0)
            finite_weight = finite_weight + np.where(finite, weight, 0.0)
            infinite_sum = infinite_sum + np.where(infinite, estimate, 0.0)
            infinite_count = infinite_count + infinite
        return np.where(
            infinite_count > 0.5, infinite_sum / infinite_count, finite_sum / finite_weight
        )


def _squares(values) -> np.ndarray:
    total = 0.0
    for v in values:
        total = total + v * v
    return total


def partials(x: np.ndarray, y: np.ndarray, z: np.ndarray):
    """The estimates z_x, z_y, z_xy at every knot (RGPD3P; see the module), each of z's
    shape (len(x), len(y))."""
    x, y, z = (np.asarray(a, dtype=np.float64) for a in (x, y, z))
    if z.shape != (x.size, y.size) or min(z.shape) < 4:
        raise ValueError(f"need values of shape (len(x), len(y)), each 4 or more: {z.shape}")
    if (np.diff(x) <= 0).any() or (np.diff(y) <= 0).any():
        raise ValueError("the knots must increase")
    along_x = _runs(x, z)
    along_y = [_Run(*(_transposed(f) for f in r)) for r in _runs(y, z.T)]

    def single(r: _Run):
        return r.slope, r.volatility, r.distance, TINY * _squares((z, *r.z)), r.fits

    zx = _weighted_mean(single(r) for r in along_x)
    zy = _weighted_mean(single(r) for r in along_y)
    zxy = _weighted_mean(_mixed(z, rx, ry) for rx in along_x for ry in along_y)
    return zx, zy, zxy


def _transposed(field):
    if isinstance(field, tuple):
        return tuple(_transposed(f) for f in field)
    return field.T if field.ndim == 2 else field


def _mixed(z: np.ndarray, rx: _Run, ry: _Run):
    """The primary estimate of z_xy from an x run and a y run, with its weight's parts."""
    zz = [[z, *ry.z]]  # zz[k][l]: the value at x offset k and y offset l (0: the knot)
    for k in range(3):
        zz.append([rx.z[k], *(z[np.ix_(rx.index[k], j)] for j in ry.index)])
    dx, dy = (0.0, *rx.d), (0.0, *ry.d)
    estimate = 0.0
    for k in range(1, 4):
        inner = 0.0
        for m in range(1, 4):
            inner = inner + ry.c[m - 1] * ((zz[k][m] - zz[k][0] - zz[0][m] + z) / (dx[k] * dy[m]))
        estimate = estimate + rx.c[k - 1] * inner
    b00 = (rx.b0 + ry.b0) / 2.0
    sx, sy = dx[1] + dx[2] + dx[3], dy[1] + dy[2] + dy[3]
    sxyz = 0.0
    for k in range(1, 4):
        sxyz = sxyz + dx[k] * (dy[1] * zz[k][1] + dy[2] * zz[k][2] + dy[3] * zz[k][3])
    b11 = (sxyz - b00 * (sx * sy) - rx.b1 * (rx.distance * sy) - ry.b1 * (sx * ry.distance)) / (
        rx.distance * ry.distance
    )
    fit = [
        zz[k][m] - (b00 + ry.b1 * dy[m] + dx[k] * (rx.b1 + b11 * dy[m]))
        for k in range(4)
        for m in range(4)
    ]
    small = TINY * _squares(v for row in zz for v in row)
    return estimate, _squares(fit), rx.distance * ry.distance, small, rx.fits & ry.fits


def _hermite(t: np.ndarray, u: np.ndarray):
    """For points u within the knots t: each point's cell k, and the basis values
    (h_0, h_1) and (dx g_0, dx g_1) of the module's patch."""
    u = np.asarray(u, dtype=np.float64)
    if u.min() < t[0] or u.max() > t[-1]:
        raise ValueError("points outside the knots: no extrapolation")
    k = np.clip(np.searchsorted(t, u, side="right") - 1, 0, t.size - 2)
    width = t[k + 1] - t[k]
    s = (u - t[k]) / width
    h1 = s * s * (3.0 - 2.0 * s)
    return k, (1.0 - h1, h1), (width * s * (1.0 - s) ** 2, width * s * s * (s - 1.0))


def interpolate(x, y, z, xi, yi) -> np.ndarray:
    """The surface at every (xi[a], yi[b]), shape (len(xi), len(yi)): RGBI3P at the grid
    of points, which is what ``akima::bicubic.grid`` returns (see the module)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    zx, zy, zxy = partials(x, y, z)
    kx, hx, gx = _hermite(x, xi)
    ky, hy, gy = _hermite(y, yi)
    out = 0.0
    for a in (0, 1):
        for b in (0, 1):
            corner = np.ix_(kx + a, ky + b)
            out = out + (
                z[corner] * np.outer(hx[a], hy[b])
                + zx[corner] * np.outer(gx[a], hy[b])
                + zy[corner] * np.outer(hx[a], gy[b])
                + zxy[corner] * np.outer(gx[a], gy[b])
            )
    return out
