"""The root search behind :func:`labfinance.engine.metrics.irr`, vectorised over series.

Series are held years-first, (years, series), so that each step over the years is one fast
vector operation across series. The unknown is u = ln(1 + r): x = exp(-u) is the discount
factor of one year and NPV(u) = sum_t flows[t] * x**t is a polynomial in x.

* One sign change: one root, by a bracketed Newton search on ln(PV inflows / PV outlays)
  (:func:`_one_root_each`).
* Several: every root bracketed on a grid in u and polished, the one nearest the guess kept
  (:func:`_nearest_roots`); without counting roots, a window of the grid around the guess first,
  one window for guesses that lie close together (a Monte Carlo's drawn discount rates)
  (:func:`_roots_near_guess`).

Internal: the rules, edge cases and examples are those of :func:`~labfinance.engine.metrics.irr`,
whose tests exercise every path here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["solve_irr"]

_BLOCK_ROWS = 8192


def solve_irr(flows, guesses, rate, n_roots, count_roots=True):
    """Fill `rate` and `n_roots` for the rows of `flows` (series, years).

    Series are turned years first once, and those with one sign change go through in blocks
    small enough to stay in cache (3-4 times faster than whole arrays). The solvers avoid large
    temporaries: on the 2-core development VM, fresh multi-megabyte arrays cost more in page
    faults than the arithmetic done on them.
    """
    n_series, n_years = flows.shape
    limit = min(30.0, 600.0 / (n_years - 1))
    by_year = np.ascontiguousarray(flows.T)
    changes = _count_sign_changes(by_year)
    changes[~np.isfinite(by_year).all(axis=0)] = 0
    # one sign change: one root each, solved together (most of a lab's economic flows have
    # several and are left to the grid below)
    single = np.flatnonzero(changes == 1)
    singles = by_year if single.size == n_series else by_year[:, single]
    for first in range(0, single.size, _BLOCK_ROWS):
        block = singles[:, first : first + _BLOCK_ROWS]
        rate[single[first : first + block.shape[1]]] = _one_root_each(block, limit)
    several = np.flatnonzero(changes >= 2)
    n_roots[~np.isnan(rate)] = 1  # each rate found so far is the only root of its series
    if several.size and not count_roots:
        near, count, settled = _roots_near_guess(by_year[:, several], guesses[several], limit)
        rate[several[settled]], n_roots[several[settled]] = near[settled], count[settled]
        several = several[~settled]
    if several.size:
        rate[several], n_roots[several] = _nearest_roots(
            by_year[:, several], guesses[several], limit)


def _count_sign_changes(by_year):
    """Sign changes in each series, zeros skipped (Descartes' bound on the number of roots)."""
    positive, negative = by_year > 0, by_year < 0
    if (positive | negative).all():  # no zeros (the usual case): compare neighbours
        return np.count_nonzero(positive[1:] != positive[:-1], axis=0)
    signs = positive.astype(np.int8) - negative
    changes = np.zeros(by_year.shape[1], dtype=np.int64)
    carried = signs[0]  # sign of the last nonzero value so far
    for sign in signs[1:]:
        changes += sign * carried < 0
        carried = np.where(sign != 0, sign, carried)
    return changes


def _drop_leading_zeros(by_year):
    """Shift each series back past its leading zeros: the roots stay, and NPV cannot underflow."""
    if (by_year[0] != 0).all():
        return by_year
    n_years = by_year.shape[0]
    years = np.arange(n_years)[:, np.newaxis] + np.argmax(by_year != 0, axis=0)
    shifted = np.take_along_axis(by_year, np.minimum(years, n_years - 1), axis=0)
    shifted[years >= n_years] = 0.0
    return shifted


def _one_root_each(by_year, limit):
    """The root of each column, every one of which has one sign change (NaN beyond the range)."""
    by_year = _drop_leading_zeros(by_year)
    orientation = -np.sign(by_year[0])  # 1 where the series opens with an outlay
    n_years, n_series = by_year.shape
    # Start from the IRR of two flows with the totals and mean timing of the outlays and of
    # the inflows: often within a few points, so the search needs 4-5 evaluations. Sums of
    # inflows and outflows come from sums of amounts and of magnitudes.
    weights = np.stack([np.ones(n_years), np.arange(n_years)])
    (net, net_time), (gross, gross_time) = weights @ by_year, weights @ np.abs(by_year)
    net, net_time = net * orientation, net_time * orientation
    inflow, outflow = gross + net, gross - net  # both doubled, which cancels below
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_lag = (gross_time + net_time) / inflow - (gross_time - net_time) / outflow
        start = np.nan_to_num(np.log(inflow / outflow) / mean_lag)
    # Every outlay comes before every inflow, so g(u) = ln(PV of inflows / PV of outlays) falls
    # strictly (its slope is minus the gap between the PV-weighted mean years of the inflows and
    # of the outlays) and is nearly straight, and its two sums of positive terms keep full
    # precision at the root, where NPV is the difference of nearly equal sums. Newton on NPV
    # itself crept towards a root near -100 % (13 steps for outlays with a small inflow at the
    # end) and, started at a root, could bisect 50 times on rounding noise.
    parts = np.empty((2, n_years, n_series))
    np.multiply(by_year, orientation, out=parts[0])
    np.negative(parts[0], out=parts[1])
    np.maximum(parts, 0.0, out=parts)
    # years where some series of the batch has an inflow (an outlay): a Monte Carlo's series
    # share their pattern, often a single year of inflow at the end, and Horner skips the rest
    spans = tuple(_nonzero_span(part) for part in parts)
    u = _polish_roots(
        parts,
        shift=np.zeros(n_series),
        lower=np.full(n_series, -limit),
        upper=np.full(n_series, limit),
        sign_at_lower=np.ones(n_series),
        start=np.clip(start, -0.9 * limit, 0.9 * limit),
        evaluate=lambda parts, u, shift: _log_ratio_and_slope(parts, u, spans),
    )
    # Converging onto the edge of the search range means the root lies beyond it.
    return np.where(np.abs(u) < limit * (1.0 - 1e-9), np.expm1(u), np.nan)


def _nonzero_span(part):
    """(first, last + 1) of the years in which any column of ``part`` is not zero."""
    years = np.flatnonzero(part.any(axis=1))
    return (int(years[0]), int(years[-1]) + 1) if years.size else (0, 1)


def _log_ratio_and_slope(parts, u, spans):
    """g(u) = ln(PV of inflows / PV of outlays) and dg/du; ``parts`` stacks the inflows and the
    outlays (both positive), (2, years, series), and ``spans`` gives for each the years outside
    which it is zero in every column. With positive terms only, neither sum loses precision to
    cancellation. A part's years from ``first`` on are summed as if ``first`` were year 0:
    ln PV = ln(that sum) - first * u, and its PV-weighted mean year is that sum's plus ``first``.
    """
    x = np.exp(-u)
    (first_in, stop_in), (first_out, stop_out) = spans
    pv_in, timed_in = _pv_and_timed(parts[0][first_in:stop_in], x)
    pv_out, timed_out = _pv_and_timed(parts[1][first_out:stop_out], x)
    g = np.log(pv_in) - np.log(pv_out)
    if first_in != first_out:
        g -= (first_in - first_out) * u
    return g, timed_out / pv_out - timed_in / pv_in + (first_out - first_in)


def _pv_and_timed(coeffs, x):
    """sum_t c_t x**t and sum_t t c_t x**t of each column (Horner in x: measured quicker than
    powers and a matrix product at 12 years and 10,000 series, 0.76 against 0.98 ms)."""
    pv = coeffs[-1].copy()
    d_pv_dx = np.zeros_like(pv)
    for year_coeffs in coeffs[-2::-1]:
        d_pv_dx *= x
        d_pv_dx += pv
        pv *= x
        pv += year_coeffs
    return pv, x * d_pv_dx


def _scan_grid(limit):
    """About 290 points in u, sinh-spaced: 0.008 apart at r = 0, 0.011 at 22 %, 0.03 at 100 %."""
    scale, z_step = 0.2, 0.04
    z_max = np.arcsinh(limit / scale)
    z = np.linspace(-z_max, z_max, 2 * int(np.ceil(z_max / z_step)) + 1)
    return scale * np.sinh(z)


_WINDOW = 24  # grid points on each side of the guess scanned first when roots are not counted


def _roots_near_guess(by_year, guesses, limit):
    """The root nearest the guess from the grid points near it: (rate, roots found, settled).

    A series is settled where its nearest root found lies nearer the guess than both edges of
    the window (or the window reaches the end of the grid on that side): any root outside the
    window is then farther, so the full scan would choose the same one. Brackets and polishing
    are those of :func:`_nearest_roots` on the same grid points.
    """
    grid = _scan_grid(limit)
    n_series = by_year.shape[1]
    centre = np.searchsorted(grid, np.log1p(np.maximum(guesses, -1 + 1e-300)))
    low = np.clip(centre - _WINDOW, 0, max(grid.size - 2 * _WINDOW - 1, 0))
    rate = np.full(n_series, np.nan)
    count = np.zeros(n_series, dtype=np.int64)
    settled = np.zeros(n_series, dtype=bool)
    # guesses cluster (a Monte Carlo draws the discount rate near its base value): series whose
    # windows start within _WINDOW points of each other share one window, the union of theirs
    bucket = low // _WINDOW
    for b in np.flatnonzero(np.bincount(bucket)):
        members = np.flatnonzero(bucket == b)
        start = int(low[members].min())
        stop = min(int(low[members].max()) + 2 * _WINDOW, grid.size - 1)
        window = grid[start : stop + 1]
        columns = by_year if members.size == n_series else by_year[:, members]
        near, found = _nearest_roots(columns, guesses[members], limit, grid=window, chunk=4096)
        below = -np.inf if start == 0 else np.expm1(window[0])
        above = np.inf if stop == grid.size - 1 else np.expm1(window[-1])
        distance = np.abs(near - guesses[members])
        settled[members] = (found > 0) & (distance < guesses[members] - below) \
            & (distance < above - guesses[members])
        rate[members], count[members] = near, found
    return rate, count, settled


def _nearest_roots(by_year, guesses, limit, chunk=1024, grid=None):
    """Series with several sign changes: bracket each root on a grid, polish, keep the nearest."""
    by_year = _drop_leading_zeros(by_year)
    grid = _scan_grid(limit) if grid is None else grid
    powers = np.exp(-np.outer(grid, np.arange(by_year.shape[0])))  # x_k ** t, (grid, years)
    found = []  # (series, lower grid index, npv at lower, npv at upper) of each bracket
    exact = []  # (series, grid index) where a grid point is itself a root
    for first in range(0, by_year.shape[1], chunk):
        npv = powers @ by_year[:, first : first + chunk]  # (grid, series)
        negative, positive = npv < 0, npv > 0
        change = negative[:-1] & positive[1:]
        change |= positive[:-1] & negative[1:]
        # np.nonzero on 2-D is slow in numpy 2; flatnonzero and divmod are not.
        cells, series = np.divmod(np.flatnonzero(change), npv.shape[1])
        # a third grid point beside the bracket (below it where there is one), for the start
        third = np.where(cells > 0, cells - 1, np.minimum(cells + 2, npv.shape[0] - 1))
        found.append((series + first, cells, npv[cells, series], npv[cells + 1, series],
                      third, npv[third, series]))
        points, series = np.divmod(np.flatnonzero(npv == 0), npv.shape[1])
        exact.append((series + first, points))
    series, cells, npv_lower, npv_upper, third, npv_third = (
        np.concatenate(parts) for parts in zip(*found, strict=True)
    )
    lower, upper = grid[cells], grid[cells + 1]
    start = _start_in_bracket(lower, upper, grid[third], npv_lower, npv_upper, npv_third)
    polished = _polish_roots(
        by_year[:, series],
        shift=np.zeros(series.size),
        lower=lower,
        upper=upper,
        sign_at_lower=np.sign(npv_lower),
        start=start,
    )
    exact_series, exact_points = (np.concatenate(parts) for parts in zip(*exact, strict=True))
    root_series = np.concatenate([series, exact_series])
    root_rates = np.expm1(np.concatenate([polished, grid[exact_points]]))

    n_series = by_year.shape[1]
    n_roots = np.bincount(root_series, minlength=n_series)
    rate = np.full(n_series, np.nan)
    # a series with one root found has it; only those with several are sorted (most series of
    # a Monte Carlo window have one: the sort of all of them cost as much as their scan)
    alone = n_roots[root_series] == 1
    rate[root_series[alone]] = root_rates[alone]
    root_series, root_rates = root_series[~alone], root_rates[~alone]
    distance = np.abs(root_rates - guesses[root_series])
    order = np.lexsort((root_rates, distance, root_series))  # nearest first, then the lower
    chosen, first_of_each = np.unique(root_series[order], return_index=True)
    rate[chosen] = root_rates[order[first_of_each]]
    return rate, n_roots


def _start_in_bracket(u0, u1, u2, f0, f1, f2):
    """Where to start polishing a root bracketed by grid points u0 and u1 (NPV f0, f1 of
    opposite signs), with a third grid point u2 beside them: inverse quadratic interpolation
    through the three (error of the order of the grid step cubed, so Newton needs one step
    fewer than from regula falsi), regula falsi where that falls outside the bracket."""
    with np.errstate(divide="ignore", invalid="ignore"):
        quadratic = (u0 * f1 * f2 / ((f0 - f1) * (f0 - f2))
                     + u1 * f0 * f2 / ((f1 - f0) * (f1 - f2))
                     + u2 * f0 * f1 / ((f2 - f0) * (f2 - f1)))
        falsi = u0 - f0 * (u1 - u0) / (f1 - f0)
    inside = (quadratic > u0) & (quadratic < u1)
    return np.clip(np.where(inside, quadratic, falsi), u0, u1)


def _npv_and_slope(coeffs, u, shift):
    """NPV at u, and d/du of NPV * exp(shift * u) divided by exp(shift * u): shift * NPV less
    the year-weighted sum (dNPV/du = -sum_t t c_t x**t)."""
    npv, timed = _pv_and_timed(coeffs, np.exp(-u))
    return npv, shift * npv - timed


def _polish_roots(coeffs, shift, lower, upper, sign_at_lower, start, max_iter=200,
                  evaluate=None):
    """One root per series inside [lower, upper], where NPV has sign `sign_at_lower` at `lower`.

    Vectorised ``rtsafe`` (Numerical Recipes): a Newton step in u on NPV * exp(shift * u),
    replaced by bisection when it would leave the bracket or is not at least halving the step
    before last. A series stops when its step is below 1e-14 * (1 + |u|), or when two Newton
    steps in a row show the error left after the last (step**3 / previous step**2 under
    quadratic convergence) is below 1e-16 * (1 + |u|): full precision, one evaluation sooner.
    ``evaluate(coeffs, u, shift)`` gives the function and its slope (default: the NPV's, by
    :func:`_npv_and_slope`; a single root uses :func:`_log_ratio_and_slope`).
    """
    root = np.asarray(start, dtype=float).copy()
    active = np.arange(root.size)  # series still iterating; the arrays below hold their state
    shift = np.asarray(shift, dtype=float)
    sign_at_lower = np.asarray(sign_at_lower, dtype=float)
    lower = np.asarray(lower, dtype=float).copy()
    upper = np.asarray(upper, dtype=float).copy()
    u = root.copy()
    step = upper - lower
    step_before = step.copy()
    newton_before = np.zeros(root.size, dtype=bool)
    finished = np.zeros(root.size, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(max_iter):
            if finished.all():
                break
            # Drop finished series once they are half the work; until then they iterate on
            # harmlessly, since their root is already recorded.
            if 2 * np.count_nonzero(finished) >= finished.size:
                keep = ~finished
                active, coeffs, shift, sign_at_lower = (
                    array[..., keep] for array in (active, coeffs, shift, sign_at_lower)
                )
                u, lower, upper, step, step_before, newton_before, finished = (
                    array[keep]
                    for array in (u, lower, upper, step, step_before, newton_before, finished)
                )
            npv, slope = (evaluate or _npv_and_slope)(coeffs, u, shift)
            on_lower_side = np.sign(npv) == sign_at_lower
            lower = np.where(on_lower_side, u, lower)
            upper = np.where(on_lower_side, upper, u)
            newton_step = -npv / slope
            newton_u = u + newton_step
            # a step below the last digit leaves u on the bracket's end: Newton still (it stops)
            bisect = ~((newton_u >= lower) & (newton_u <= upper))
            bisect |= ~(np.abs(newton_step) <= 0.5 * np.abs(step_before))
            step_before = step
            step = np.where(bisect, 0.5 * (upper - lower), newton_step)
            exact = npv == 0  # landed on the root: stay there
            u = np.where(exact, u, np.where(bisect, lower + 0.5 * (upper - lower), newton_u))
            size = np.abs(step)
            tolerance = 1e-14 * (1.0 + np.abs(u))
            done = exact | (size <= tolerance)
            predicted_error = size * size * size / (step_before * step_before)
            done |= ~bisect & newton_before & (predicted_error <= 0.01 * tolerance)
            newton_before = ~bisect
            newly_done = done & ~finished
            root[active[newly_done]] = u[newly_done]
            finished |= done
        else:
            root[active[~finished]] = u[~finished]  # max_iter reached: the bracket is tiny
    return root


