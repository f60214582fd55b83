"""Financial metrics of yearly series: NPV, IRR, MIRR and payback, vectorised over draws.

Conventions shared by every function:

* The last axis of ``values`` is the year, t = 0 .. Y-1. Any leading axes (typically a Monte
  Carlo draws axis; a base case is one draw) are carried through to the result.
* Year t is discounted by ``(1 + rate) ** t``, so the first year is *not* discounted. This is
  ``numpy_financial.npv`` and the Green Book / EU convention. Excel's ``NPV()`` discounts its first
  value, so a workbook writes ``first + NPV(rate, rest)``.
* A rate is a scalar or an array that broadcasts against the leading axes of ``values``.
* Degenerate maths (no IRR, no payback) gives NaN or -1 and never raises.
* A 1-D series gives a numpy scalar; stacked series give an array with the leading shape.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "IrrResult",
    "discount_factors",
    "first_index_below",
    "irr",
    "irr_roots",
    "mirr",
    "nominal_rate",
    "payback_year_index",
    "present_value",
    "real_rate_from_nominal",
]


def discount_factors(rate: ArrayLike, n_years: int) -> NDArray[np.float64]:
    """Discount factor of each year, ``(1 + rate) ** -t`` for t = 0 .. n_years-1.

    Parameters
    ----------
    rate : array_like, shape (...)
        Discount rate per year (0.035 for 3.5 %), greater than -1.
    n_years : int
        Length of the horizon.

    Returns
    -------
    ndarray, shape (..., n_years)
        The first factor is always 1 (year 0 is not discounted).

    Examples
    --------
    >>> discount_factors(0.10, 3).round(6).tolist()
    [1.0, 0.909091, 0.826446]
    >>> discount_factors([0.0, 1.0], 3).tolist()
    [[1.0, 1.0, 1.0], [1.0, 0.5, 0.25]]
    """
    growth = 1.0 + np.asarray(rate, dtype=float)[..., np.newaxis]
    return growth ** -np.arange(n_years, dtype=float)


def present_value(values: ArrayLike, rate: ArrayLike) -> NDArray[np.float64]:
    """Present value (NPV) of yearly values: ``sum_t values[..., t] / (1 + rate) ** t``.

    The first year is not discounted, as in ``numpy_financial.npv``. Excel's
    ``NPV(rate, v1, ..., vn)`` equals ``present_value([0, v1, ..., vn], rate)``.

    Parameters
    ----------
    values : array_like, shape (..., Y)
        Yearly amounts; the last axis is the year.
    rate : array_like, shape (...)
        Discount rate, scalar or broadcasting against the leading axes of `values`.

    Returns
    -------
    ndarray, shape (...)

    Examples
    --------
    >>> round(float(present_value([-100, 60, 60], 0.10)), 6)
    4.132231
    >>> present_value([[-100, 60, 60], [-100, 0, 121]], [0.10, 0.10]).round(6).tolist()
    [4.132231, 0.0]
    """
    values = np.asarray(values, dtype=float)
    factors = discount_factors(rate, values.shape[-1])
    return np.sum(values * factors, axis=-1)[()]


class IrrResult(NamedTuple):
    """Result of :func:`irr`.

    Attributes
    ----------
    rate : ndarray, shape (...)
        The internal rate of return; NaN where none was found.
    n_roots : ndarray of int, shape (...)
        How many distinct real roots above -100 % were found (0 where none). Above 1 the rate
        is ambiguous: `rate` is then the root nearest the guess.
    """

    rate: NDArray[np.float64]
    n_roots: NDArray[np.int64]


def irr(values: ArrayLike, guess: ArrayLike = 0.1) -> IrrResult:
    """Internal rate of return: the rate r > -1 at which ``present_value(values, r) == 0``.

    * No sign change in the series (zeros ignored, all zeros included): NaN, ``n_roots`` 0.
    * One sign change: exactly one root (Descartes' rule), solved to full double precision by
      safeguarded Newton in ``u = ln(1 + r)`` with bisection fallback.
    * Several sign changes: every real root is bracketed by a scan of NPV over a grid in u
      (0.005 apart near r = 0, wider far out) and polished; the root nearest `guess` is
      returned (the lower one on a tie) and ``n_roots`` counts them. Roots closer together than
      the grid, and double (tangent) roots, where NPV touches zero without changing sign, are
      not found: :func:`irr_roots` lists those.

    Roots are sought for ``|ln(1 + r)| <= min(30, 600 / (Y - 1))`` (r from -99.99999999999 % to
    1e13 for Y <= 21), which keeps every power of ``1 + r`` finite; a root beyond that is NaN.
    Unlike ``numpy_financial.irr``, which keeps the root of smallest magnitude, several roots
    give the one nearest `guess` (Excel iterates from its guess, so it usually agrees).

    Speed: a (100_000, 15) array of project flows (one outlay, then inflows; 5 % of rows with
    a later outlay, so several sign changes) takes about 45 ms on a 2-core machine.

    Parameters
    ----------
    values : array_like, shape (..., Y)
        Yearly net flows; the last axis is the year.
    guess : array_like, shape (...)
        The rate to choose near when there are several roots: the case's discount rate.

    Returns
    -------
    IrrResult
        ``rate`` (float, NaN where undefined) and ``n_roots`` (int), each of shape (...).

    Examples
    --------
    >>> result = irr([-100, 39, 59, 55, 20])
    >>> round(float(result.rate), 5), int(result.n_roots)
    (0.28095, 1)
    >>> result = irr([-100, 100, 0, -7], guess=0.0)
    >>> round(float(result.rate), 4), int(result.n_roots)
    (-0.0833, 2)
    >>> irr([[-100, 110], [100, 200]]).rate.tolist()
    [0.10000000000000009, nan]
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 0:
        raise ValueError("irr needs a series with a years axis, not a scalar")
    n_years = values.shape[-1]
    lead_shape = np.broadcast_shapes(values.shape[:-1], np.shape(guess))
    flows = np.broadcast_to(values, (*lead_shape, n_years)).reshape(-1, n_years)
    guesses = np.broadcast_to(np.asarray(guess, dtype=float), lead_shape).reshape(-1)

    rate = np.full(flows.shape[0], np.nan)
    n_roots = np.zeros(flows.shape[0], dtype=np.int64)
    if n_years >= 2:
        # Blocks of rows small enough to stay in cache: 3-4 times faster than whole arrays.
        for first in range(0, flows.shape[0], _BLOCK_ROWS):
            block = slice(first, first + _BLOCK_ROWS)
            rate[block], n_roots[block] = _irr_of_rows(flows[block], guesses[block])
    return IrrResult(rate.reshape(lead_shape)[()], n_roots.reshape(lead_shape)[()])


def irr_roots(values: ArrayLike) -> list[float]:
    """Every distinct real IRR (r > -1) of one series, ascending, for a warning that lists them.

    NPV is a polynomial in ``x = 1 / (1 + r)``; its roots come from numpy's companion-matrix
    solver, keeping the real positive ones, polished by Newton and deduplicated. Unlike
    :func:`irr`, this also reports a double root where NPV touches zero.

    Parameters
    ----------
    values : array_like, shape (Y,)

    Returns
    -------
    list of float
        Empty where there is no root.

    Examples
    --------
    >>> [round(r, 4) for r in irr_roots([-100, 100, 0, -7])]
    [-0.6785, -0.0833]
    >>> irr_roots([100, 200])
    []
    """
    flows = np.asarray(values, dtype=float)
    if flows.ndim != 1:
        raise ValueError("irr_roots takes one series (a 1-D array)")
    nonzero = np.flatnonzero(flows)
    if not np.isfinite(flows).all() or nonzero.size < 2:
        return []
    # Leading zeros only add roots at x = 0 (r = infinity) and trailing zeros lower the degree.
    coeffs = flows[nonzero[0] : nonzero[-1] + 1]
    x = np.polynomial.polynomial.polyroots(coeffs)
    # A double root comes back as a conjugate pair with an imaginary part near sqrt(eps).
    x = x[(x.real > 0) & (np.abs(x.imag) <= 1e-6 * np.abs(x))].real
    derivative = np.polynomial.polynomial.polyder(coeffs)
    polyval = np.polynomial.polynomial.polyval
    for _ in range(8):
        with np.errstate(divide="ignore", invalid="ignore"):
            stepped = x - polyval(x, coeffs) / polyval(x, derivative)
        better = np.isfinite(stepped) & (stepped > 0)
        better &= np.abs(polyval(stepped, coeffs)) < np.abs(polyval(x, coeffs))
        x = np.where(better, stepped, x)
    scale = np.abs(coeffs) @ (x ** np.arange(coeffs.size)[:, np.newaxis])
    x = x[np.abs(polyval(x, coeffs)) <= 1e-9 * scale]
    rates = np.sort(1.0 / x - 1.0)
    distinct = np.ones(rates.size, dtype=bool)
    distinct[1:] = np.diff(rates) > 1e-6 * (1.0 + np.abs(rates[1:]))
    return [float(r) for r in rates[distinct]]


def mirr(values: ArrayLike, finance_rate: ArrayLike, reinvest_rate: ArrayLike) -> NDArray[np.float64]:
    """Modified internal rate of return, as defined by Excel and numpy-financial.

    With n years, positives compounded to the last year at `reinvest_rate` and negatives
    discounted to year 0 at `finance_rate`::

        MIRR = (FV(positives) / -PV(negatives)) ** (1 / (n - 1)) - 1

    Parameters
    ----------
    values : array_like, shape (..., n)
    finance_rate, reinvest_rate : array_like, shape (...)

    Returns
    -------
    ndarray, shape (...)
        NaN where there is no positive or no negative value, or fewer than 2 years.

    Examples
    --------
    >>> round(float(mirr([-120000, 39000, 30000, 21000, 37000, 46000], 0.10, 0.12)), 6)
    0.126094
    >>> float(mirr([100, 200], 0.10, 0.12))
    nan
    """
    values = np.asarray(values, dtype=float)
    n_years = values.shape[-1]
    reinvest_growth = 1.0 + np.asarray(reinvest_rate, dtype=float)
    inflows_fv = present_value(np.maximum(values, 0.0), reinvest_rate) * reinvest_growth ** (
        n_years - 1
    )
    outflows_pv = -present_value(np.minimum(values, 0.0), finance_rate)
    defined = (values > 0).any(axis=-1) & (values < 0).any(axis=-1) & (n_years >= 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = inflows_fv / outflows_pv
        result = np.where(defined, ratio ** (1.0 / max(n_years - 1, 1)) - 1.0, np.nan)
    return result[()]


def payback_year_index(cumulative: ArrayLike, tolerance: float = 0.005) -> NDArray[np.int64]:
    """First year index from which the cumulative net value stays ``>= -tolerance`` to the end.

    Amounts within `tolerance` of zero (half a cent by default) count as zero, so rounding
    noise does not delay payback.

    Parameters
    ----------
    cumulative : array_like, shape (..., Y)
        Cumulative net value (benefits - costs, undiscounted or discounted) by year.
    tolerance : float

    Returns
    -------
    ndarray of int, shape (...)
        -1 where the last year is below ``-tolerance`` (no payback within the horizon).

    Examples
    --------
    >>> int(payback_year_index([-100, -40, 20, -10, 30]))
    4
    >>> payback_year_index([[-100, -40, 20], [-1, -0.001, 5], [5, 1, -3]]).tolist()
    [2, 1, -1]
    """
    paid_back = np.asarray(cumulative, dtype=float) >= -tolerance
    # Years from the end back to the last shortfall: all of them stay paid back.
    years_paid_back_to_end = np.logical_and.accumulate(paid_back[..., ::-1], axis=-1).sum(axis=-1)
    n_years = paid_back.shape[-1]
    return np.where(years_paid_back_to_end > 0, n_years - years_paid_back_to_end, -1)[()]


def first_index_below(values: ArrayLike, threshold: float = -0.005) -> NDArray[np.int64]:
    """First year index where ``values < threshold``, -1 if there is none.

    With the default threshold this is the first shortfall year of cumulative cash, ignoring
    rounding noise of under half a cent.

    Examples
    --------
    >>> int(first_index_below([10, 0, -0.001, -5]))
    3
    >>> first_index_below([[1, 2], [-1, -2]]).tolist()
    [-1, 0]
    """
    below = np.asarray(values, dtype=float) < threshold
    return np.where(below.any(axis=-1), np.argmax(below, axis=-1), -1)[()]


def real_rate_from_nominal(nominal: ArrayLike, inflation: ArrayLike) -> NDArray[np.float64]:
    """Real rate of a nominal rate: ``(1 + nominal) / (1 + inflation) - 1`` (Fisher).

    Examples
    --------
    >>> round(float(real_rate_from_nominal(0.0609, 0.02)), 6)
    0.04
    """
    return ((1.0 + np.asarray(nominal, dtype=float)) / (1.0 + np.asarray(inflation)) - 1.0)[()]


def nominal_rate(real: ArrayLike, inflation: ArrayLike) -> NDArray[np.float64]:
    """Nominal rate of a real rate: ``(1 + real) * (1 + inflation) - 1`` (Fisher).

    Examples
    --------
    >>> round(float(nominal_rate(0.04, 0.02)), 6)
    0.0608
    """
    return ((1.0 + np.asarray(real, dtype=float)) * (1.0 + np.asarray(inflation)) - 1.0)[()]


# --- IRR internals ---------------------------------------------------------------------------
# All work on 2-D (rows, years) arrays and the variable u = ln(1 + r), so that x = exp(-u) is
# the per-year discount factor and NPV(u) = sum_t flows[t] * x**t is a polynomial in x.


_BLOCK_ROWS = 16_384


def _irr_of_rows(flows, guesses):
    """IRR and root count of each row of a 2-D block (rows, years)."""
    n_rows, n_years = flows.shape
    rate = np.full(n_rows, np.nan)
    n_roots = np.zeros(n_rows, dtype=np.int64)
    changes = _count_sign_changes(np.ascontiguousarray(flows.T))
    changes[~np.isfinite(flows).all(axis=1)] = 0
    limit = min(30.0, 600.0 / (n_years - 1))
    single = np.flatnonzero(changes == 1)
    if single.size:
        rate[single], n_roots[single] = _single_root(flows[single], guesses[single], limit)
    several = np.flatnonzero(changes >= 2)
    if several.size:
        rate[several], n_roots[several] = _nearest_root(flows[several], guesses[several], limit)
    return rate, n_roots


def _count_sign_changes(by_year: NDArray[np.float64]) -> NDArray[np.int64]:
    """Sign changes in each column of (years, rows), zeros skipped (Descartes' bound)."""
    changes = np.zeros(by_year.shape[1], dtype=np.int64)
    carried = np.sign(by_year[0])  # sign of the last nonzero value so far
    for year_values in by_year[1:]:
        sign = np.sign(year_values)
        changes += sign * carried < 0
        carried = np.where(sign != 0, sign, carried)
    return changes


def _drop_leading_zeros(flows: NDArray[np.float64]) -> NDArray[np.float64]:
    """Shift each row left past its leading zeros (same roots, and no underflow to 0 at small x)."""
    first = np.argmax(flows != 0, axis=1)
    if not first.any():
        return flows
    columns = np.arange(flows.shape[1]) + first[:, np.newaxis]
    shifted = np.take_along_axis(flows, np.minimum(columns, flows.shape[1] - 1), axis=1)
    shifted[columns >= flows.shape[1]] = 0.0
    return shifted


def _single_root(flows, guesses, limit):
    """Rows with one sign change: their only root, by safeguarded Newton from the guess."""
    flows = _drop_leading_zeros(flows)
    flows = flows * -np.sign(flows[:, :1])  # outlays first
    # With outlays before year m and inflows from m on, NPV * (1 + r)**m falls strictly as u
    # rises (each term is monotone), so Newton on it has no flat spots.
    first_inflow = np.argmax(flows > 0, axis=1)
    n_rows = flows.shape[0]
    start = np.log1p(np.where(guesses > -1.0, guesses, 0.0))
    start = np.clip(np.nan_to_num(start), -0.9 * limit, 0.9 * limit)
    u = _polish_roots(
        flows,
        shift=first_inflow,
        lower=np.full(n_rows, -limit),
        upper=np.full(n_rows, limit),
        sign_at_lower=np.ones(n_rows),
        start=start,
    )
    # Converging onto the edge of the search range means the root lies beyond it.
    inside = np.abs(u) < limit * (1.0 - 1e-9)
    return np.where(inside, np.expm1(u), np.nan), inside.astype(np.int64)


def _scan_grid(limit: float) -> NDArray[np.float64]:
    """Points in u, 0.005 apart near r = 0 and sinh-spaced wider out to +-limit."""
    scale, z_step = 0.25, 0.02
    z_max = np.arcsinh(limit / scale)
    z = np.linspace(-z_max, z_max, 2 * int(np.ceil(z_max / z_step)) + 1)
    return scale * np.sinh(z)


def _nearest_root(flows, guesses, limit, chunk_rows=2048):
    """Rows with several sign changes: bracket every root on a grid, polish, keep the nearest."""
    flows = _drop_leading_zeros(flows)
    grid = _scan_grid(limit)
    powers = np.exp(-np.outer(np.arange(flows.shape[1]), grid))  # x_k ** t, (years, grid)
    bracket_rows, bracket_cells, bracket_npv = [], [], []
    exact_rows, exact_points = [], []
    for first in range(0, flows.shape[0], chunk_rows):
        npv = flows[first : first + chunk_rows] @ powers
        negative, positive = npv < 0, npv > 0
        change = negative[:, :-1] & positive[:, 1:]
        change |= positive[:, :-1] & negative[:, 1:]
        # np.nonzero on 2-D is slow in numpy 2; flatnonzero + divmod is not.
        rows, cells = np.divmod(np.flatnonzero(change), change.shape[1])
        bracket_rows.append(rows + first)
        bracket_cells.append(cells)
        bracket_npv.append(np.stack([npv[rows, cells], npv[rows, cells + 1]]))
        rows, points = np.divmod(np.flatnonzero(~(negative | positive)), npv.shape[1])
        exact_rows.append(rows + first)  # a grid point that is itself a root
        exact_points.append(points)
    rows = np.concatenate(bracket_rows)
    cells = np.concatenate(bracket_cells)
    npv_lower, npv_upper = np.concatenate(bracket_npv, axis=1)
    lower, upper = grid[cells], grid[cells + 1]
    start = lower - npv_lower * (upper - lower) / (npv_upper - npv_lower)  # regula falsi
    polished = _polish_roots(
        flows[rows],
        shift=np.zeros(rows.size, dtype=np.int64),
        lower=lower,
        upper=upper,
        sign_at_lower=np.sign(npv_lower),
        start=np.clip(start, lower, upper),
    )
    root_rows = np.concatenate([rows, *exact_rows])
    root_rates = np.expm1(np.concatenate([polished, grid[np.concatenate(exact_points)]]))

    n_rows = flows.shape[0]
    n_roots = np.bincount(root_rows, minlength=n_rows)
    distance = np.abs(root_rates - guesses[root_rows])
    order = np.lexsort((root_rates, distance, root_rows))
    chosen_rows, first_of_row = np.unique(root_rows[order], return_index=True)
    rate = np.full(n_rows, np.nan)
    rate[chosen_rows] = root_rates[order[first_of_row]]
    return rate, n_roots


def _npv_and_slope(coeffs, u, shift):
    """NPV at u and d/du of NPV * exp(shift * u), divided by exp(shift * u) (Horner in x)."""
    x = np.exp(-u)
    npv = coeffs[-1].copy()
    d_npv_dx = np.zeros_like(npv)
    for year_coeffs in coeffs[-2::-1]:
        d_npv_dx *= x
        d_npv_dx += npv
        npv *= x
        npv += year_coeffs
    return npv, shift * npv - x * d_npv_dx


def _polish_roots(flows, shift, lower, upper, sign_at_lower, start, max_iter=200):
    """One root per row inside [lower, upper], where NPV has sign `sign_at_lower` at `lower`.

    Vectorised ``rtsafe`` (Numerical Recipes): a Newton step in u on NPV * exp(shift * u),
    replaced by bisection when it would leave the bracket or is not at least halving the step
    before last. Stops when the step is below 1e-13 * (1 + |u|), so the root is accurate to
    about 1e-13 relative, i.e. to full double precision after the last (quadratic) step.
    """
    root = np.asarray(start, dtype=float).copy()
    active = np.arange(root.size)  # rows still iterating, and their state below
    coeffs = np.ascontiguousarray(flows.T)  # years first: each Horner step reads one contiguous row
    shift = np.asarray(shift, dtype=float)
    lower = np.asarray(lower, dtype=float).copy()
    upper = np.asarray(upper, dtype=float).copy()
    sign_at_lower = np.asarray(sign_at_lower, dtype=float)
    u = root.copy()
    step = upper - lower
    step_before = step.copy()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(max_iter):
            npv, slope = _npv_and_slope(coeffs, u, shift)
            on_lower_side = np.sign(npv) == sign_at_lower
            lower = np.where(on_lower_side, u, lower)
            upper = np.where(on_lower_side, upper, u)
            newton_step = -npv / slope
            newton_u = u + newton_step
            bisect = ~((newton_u > lower) & (newton_u < upper))
            bisect |= ~(np.abs(newton_step) <= 0.5 * np.abs(step_before))
            step_before = step
            step = np.where(bisect, 0.5 * (upper - lower), newton_step)
            exact = npv == 0  # landed on the root: stay there
            u = np.where(exact, u, np.where(bisect, lower + 0.5 * (upper - lower), newton_u))
            done = exact | (np.abs(step) <= 1e-13 * (1.0 + np.abs(u)))
            if done.any():
                root[active[done]] = u[done]
                keep = ~done
                active, coeffs, shift, sign_at_lower = (
                    active[keep], coeffs[:, keep], shift[keep], sign_at_lower[keep]
                )
                u, lower, upper, step, step_before = (
                    u[keep], lower[keep], upper[keep], step[keep], step_before[keep]
                )
                if not active.size:
                    break
        root[active] = u  # not converged after max_iter: the bracket is tiny by then anyway
    return root
