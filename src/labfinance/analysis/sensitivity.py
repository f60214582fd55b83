"""One-way sensitivity: the tornado and switching values.

Both run the same engine as the base case, with every case stacked on the draws axis, so a whole
tornado is one engine call and a whole set of switching values a dozen.

**Tornado.** Each uncertain parameter moves to the 10th and then the 90th percentile of its
distribution while every other parameter stays at its value in the case. Its bar is the metric at
those two points; ``swing = |at_high - at_low|``. Bars are listed per metric (``economic_npv``,
``funding_shortfall``, then any metric asked for), largest swing first within each metric; a bar
whose metric is null at either end has ``swing`` null and comes last. Each non-committed funding
source is a two-point bar ``funding.<id>`` (low 0: it does not take part; high 1: it pays as
planned; :mod:`labfinance.analysis.sources`), ranked with the rest; switching values leave these
out.

**Switching values** (EU CBA Guide 2008 p. 60; Green Book 2022 §5.60). For each uncertain
parameter and both discount rates: the value at which ``economic_npv`` reaches 0, ``bcr`` reaches 1
and ``funding_shortfall`` reaches 0, all else as in the case. The value is searched for in a range
that depends on what the parameter is:

=====================================================  ==========================================
shares (deadweight, displacement, attribution,          0 .. 1
drop_off, ramp_up, in-kind share, grant rate, advance,
retention)
rates (discount rates, inflation, escalation, loan      -0.99 .. 1
rate)
contingency                                             0 .. max(2, 10 × value in the case)
amounts, quantities, unit values, prices, caps, FTE      0 .. 10 × value in the case
=====================================================  ==========================================

widened to the support of the parameter's distribution where that is finite. The metric is
evaluated at 64 evenly spaced points of the range and at the value in the case; the crossing of
the target nearest the value in the case is then narrowed down (16 points per round, all
parameters in one engine call) to adjacent floating-point numbers. ``funding_shortfall`` is 0 on a
whole plateau; its switching value is the plateau's edge, where the money available at the end
(``cumulative_cash`` of the last year + ``receivable_after_horizon`` - ``debt_outstanding``)
crosses 0, and the value reported is on the side where the shortfall is 0. Where the metric does
not cross its target inside the range (it stays on one side, is the same everywhere, or is null)
the value is ``null`` and ``reason`` says why.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import numpy as np

from labfinance.analysis.distributions import Distribution, Uncertain
from labfinance.analysis.sources import tornado_bars
from labfinance.engine.catalogue import METRICS, SOLVED_METRICS
from labfinance.engine.core import ZERO, evaluate
from labfinance.engine.metrics import finite_or_none as number
from labfinance.engine.parameters import Parameters
from labfinance.model.scenario import Loan, Scenario

__all__ = [
    "SWITCHING_TARGETS",
    "TORNADO_METRICS",
    "TORNADO_PERCENTILES",
    "search_range",
    "sensitivity",
    "switching_values",
    "tornado",
]

TORNADO_METRICS = ("economic_npv", "funding_shortfall")
TORNADO_PERCENTILES = (0.10, 0.90)
SWITCHING_TARGETS = (("economic_npv", 0.0), ("bcr", 1.0), ("funding_shortfall", 0.0))
DISCOUNT_RATES = ("discount_rate", "social_discount_rate")

GRID_POINTS = 64        # first scan of each search range
ROUND_POINTS = 15       # interior points per narrowing round (16 sub-brackets: 4 bits a round)
MAX_ROUNDS = 40

_SHARES = {"deadweight", "displacement", "attribution", "drop_off", "share", "advance",
           "retention"}
_RATES = {"discount_rate", "social_discount_rate", "inflation", "escalation"}
RATE_RANGE = (-0.99, 1.0)
CONTINGENCY_MIN_HIGH = 2.0  # HM Treasury's optimism-bias upper bound for equipment: 200 %
AMOUNT_FACTOR = 10.0


# ----------------------------------------------------------------------------- stacking cases


def _followers(scenario: Scenario, paths: Sequence[str],
               base_values: Mapping[str, float]) -> dict[str, list[str]]:
    """For each path, the other paths whose value follows it where the file leaves them out.

    ``social_discount_rate`` follows ``discount_rate`` where the file gives no social rate, and a
    cost's ``contingency`` follows the top-level one. Stacking cases on the draws axis gives every
    row a value for every moved path, so a row that moves ``discount_rate`` must move a follower
    with it. The engine is asked rather than told: with each path set to its own odd value, a path
    whose default the engine reads as another's odd value follows that one.
    """
    # a follower's default is the value it follows, so only paths with equal values can be linked
    values = [base_values.get(path) for path in paths]
    if len(set(values)) == len(values):
        return {path: [] for path in paths}
    odd = {path: base_values.get(path, 0.0) * 1.000123 + 0.000987 * (i + 1)
           for i, path in enumerate(paths)}
    probe = Parameters(1, odd, record=True)
    evaluate(scenario, probe, detail=False, rates=False)
    assert probe.recorded is not None
    # paths by the value the engine read for them, in order: one pass, not one per pair (400
    # parameters made 160,000 comparisons, a quarter of a second)
    read_as: dict[float, list[str]] = {}
    for other in paths:
        value = probe.recorded.get(other)
        if value is not None:
            read_as.setdefault(value, []).append(other)
    return {path: [other for other in read_as.get(odd[path], []) if other != path]
            for path in paths}




@dataclass
class _Rows:
    """What the searches read of the stacked cases: every metric, and the cumulative cash of the
    last year, one value per row."""

    metrics: dict[str, np.ndarray]
    cash_at_end: np.ndarray


# Rows x years x (moved paths + a few dozen ledger rows) per engine call: each parameter a call
# moves makes the lines it feeds one value per row, so a call that moved every parameter on all
# its rows would need memory growing with the square of the parameters (3.2 GB at 400). Cut into
# calls of at most this many cells, memory stays flat and grows only with the parameters' own
# columns; fewer, larger calls are faster, since each pays the engine's fixed cost once.
CELLS_PER_CALL = 2 ** 22
_LEDGER_ROWS = 32


class _Stack:
    """Cases that each move one parameter, stacked as the rows of a few engine calls."""

    def __init__(self, scenario: Scenario, paths: Sequence[str], base_values: Mapping[str, float],
                 rates: bool = False):
        self.scenario = scenario
        self.rates = rates  # IRRs and MIRR are costly and only needed when a metric asks
        self.paths = list(dict.fromkeys(paths))
        self.base = {p: float(base_values[p]) for p in self.paths}
        self.followers = _followers(scenario, self.paths, base_values)

    def evaluate(self, moved: Sequence[str], values: np.ndarray) -> _Rows:
        """Row i moves ``moved[i]`` to ``values[i]``; every other parameter keeps its value."""
        parts = [self._call(list(moved[a:b]), values[a:b]) for a, b in self._calls(moved)]
        if not parts:
            return _Rows({name: np.empty(0) for name in METRICS}, np.empty(0))
        return _Rows({name: np.concatenate([p.metrics[name] for p in parts]) for name in METRICS},
                     np.concatenate([p.cash_at_end for p in parts]))

    def _calls(self, moved: Sequence[str]) -> list[tuple[int, int]]:
        """Row ranges of the engine calls: runs of rows moving the same path kept together."""
        years = self.scenario.years
        runs = [(path, len(list(group))) for path, group in groupby(moved)]
        calls: list[tuple[int, int]] = []
        start = rows = 0
        paths: set[str] = set()
        for path, length in runs:
            grown = paths | {path, *self.followers[path]}
            if rows and (rows + length) * years * (len(grown) + _LEDGER_ROWS) > CELLS_PER_CALL:
                calls.append((start, start + rows))
                start, rows, grown = start + rows, 0, {path, *self.followers[path]}
            rows += length
            paths = grown
        if rows:
            calls.append((start, start + rows))
        return calls

    def _call(self, moved: list[str], values: np.ndarray) -> _Rows:
        # Only the paths this call moves are columns; every other parameter is read from the
        # scenario as in the case (its base value), so the lines it feeds stay one row.
        n = len(moved)
        columns: dict[str, np.ndarray] = {}
        first = 0
        for path, group in groupby(moved):
            last = first + len(list(group))
            for target in (path, *self.followers[path]):
                column = columns.setdefault(target, np.full(n, self.base[target]))
                column[first:last] = values[first:last]
            first = last
        results = evaluate(self.scenario, Parameters(n, columns), detail=False, rates=self.rates)
        return _Rows(results.metrics, results.ledger["cumulative_cash"][:, -1].copy())


# ----------------------------------------------------------------------------- tornado


def tornado(scenario: Scenario, parameters: Sequence[Uncertain],
            metrics: Iterable[str] = TORNADO_METRICS,
            base_values: Mapping[str, float] | None = None) -> list[dict[str, Any]]:
    """Tornado bars: each parameter at its 10th and 90th percentile, the others at base.

    Returns the JSON list ``[{parameter, low, high, base, metric, at_low, at_high, swing}]``,
    grouped by metric in the order given and ranked by swing within each metric.
    """
    metrics = list(dict.fromkeys(metrics))
    # an uncertain funder is ranked beside the uncertain inputs (two points: without it, with it)
    funders = tornado_bars(scenario, metrics)
    by_metric: dict[str, list[dict[str, Any]]] = {m: [] for m in metrics}
    if not parameters:
        return _ranked(by_metric, funders)
    bases = dict(base_values or {p.path: p.base for p in parameters})
    bases.update({p.path: p.base for p in parameters})
    stack = _Stack(scenario, [p.path for p in parameters], bases,
                   rates=any(m in SOLVED_METRICS for m in metrics))
    ends = np.array([p.distribution.ppf(q) for p in parameters for q in TORNADO_PERCENTILES],
                    dtype=float)
    moved = [p.path for p in parameters for _ in TORNADO_PERCENTILES]
    results = stack.evaluate(moved, ends)
    for metric in metrics:
        values = results.metrics[metric]
        rows = by_metric[metric]
        for i, p in enumerate(parameters):
            at_low, at_high = number(values[2 * i]), number(values[2 * i + 1])
            swing = abs(at_high - at_low) if at_low is not None and at_high is not None else None
            rows.append({"parameter": p.path, "low": float(ends[2 * i]),
                         "high": float(ends[2 * i + 1]), "base": p.base, "metric": metric,
                         "at_low": at_low, "at_high": at_high, "swing": swing})
    return _ranked(by_metric, funders)


def _ranked(by_metric: dict[str, list[dict[str, Any]]], funders: list[dict[str, Any]]
            ) -> list[dict[str, Any]]:
    """Bars grouped by metric, largest swing first within each (a tie keeps the inputs before
    the funders, each in file order); a null swing comes last."""
    for bar in funders:
        by_metric[bar["metric"]].append(bar)
    bars: list[dict[str, Any]] = []
    for rows in by_metric.values():
        bars += sorted(rows, key=lambda bar: (bar["swing"] is None, -float(bar["swing"] or 0.0)))
    return bars


# ----------------------------------------------------------------------------- switching values


def search_range(scenario: Scenario, path: str, base: float,
                 distribution: Distribution | None = None) -> tuple[float, float]:
    """The range in which the switching value of ``path`` is sought (see the module docstring)."""
    parts = path.split(".")
    last = parts[-1]
    if parts[0] == "funding" and last == "rate" and len(parts) == 3:
        source = next((f for f in scenario.funding if f.id == parts[1]), None)
        kind = "rate" if isinstance(source, Loan) else "share"
    elif last in _SHARES or (parts[0] == "benefits" and "ramp_up" in parts):
        kind = "share"
    elif last in _RATES or parts[0] == "social_discount_rate":  # a step's rate too (1.2)
        kind = "rate"
    elif "contingency" in (parts[0], last):
        kind = "contingency"
    else:
        kind = "amount"
    if kind == "share":
        return (0.0, 1.0)
    if kind == "rate":
        domain = (RATE_RANGE[0], math.inf)
        low, high = min(RATE_RANGE[0], base), max(RATE_RANGE[1], base)
    elif kind == "contingency":
        domain = (0.0, math.inf)
        low, high = 0.0, max(CONTINGENCY_MIN_HIGH, AMOUNT_FACTOR * base)
    else:
        domain = (0.0, math.inf)
        low, high = 0.0, AMOUNT_FACTOR * max(base, 0.0)
    if distribution is not None:
        lo, hi = distribution.support
        if math.isfinite(lo):
            low = max(domain[0], min(low, lo))
        if math.isfinite(hi):
            high = max(high, hi)
    return (low, high)


@dataclass
class _Search:
    """One (parameter, metric) search, as columns over all searches."""

    param: np.ndarray       # index into the parameters
    metric: np.ndarray      # index into SWITCHING_TARGETS
    a: np.ndarray
    b: np.ndarray
    fa: np.ndarray
    fb: np.ndarray


def _gap(results: _Rows, metric: str, target: float) -> np.ndarray:
    """A smooth function with the sign of ``metric - target`` whose root is the switching value.

    The engine reports money within 0.005 of zero as zero, which would make the NPV flat around
    its root; ``bcr - 1`` has the same sign and the same root (ENPV = PV(costs) × (BCR - 1)), so
    the NPV's root is sought on it where the BCR is defined. For the shortfall, which is 0 on a
    plateau, it is the money left at the end.
    """
    m = results.metrics
    if metric == "funding_shortfall":
        return np.asarray(results.cash_at_end + m["receivable_after_horizon"]
                          - m["debt_outstanding"])
    if metric == "economic_npv" and target == 0:
        return np.asarray(np.where(np.isfinite(m["bcr"]), m["bcr"] - 1.0, m["economic_npv"]))
    return np.asarray(m[metric] - target)


Bracket = tuple[float, float, float, float]  # a, b, f(a), f(b)


def _first_crossing(x: np.ndarray, f: np.ndarray, base: float) -> Bracket | None:
    """The bracket [a, b] (with f(a), f(b)) of the sign change or zero of f nearest ``base``.

    Candidates are the grid points where f is 0 and the intervals where f changes sign (both ends
    finite); an interval holding ``base`` is at distance 0. On a tie the lower one wins.
    """
    x, f = np.asarray(x, dtype=float), np.asarray(f, dtype=float)
    if x.size == 0:
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        change = np.isfinite(f[:-1]) & np.isfinite(f[1:]) & (f[:-1] * f[1:] < 0)
    lo, hi = x[:-1], x[1:]
    inside = (lo <= base) & (base <= hi)
    span = np.where(inside, 0.0, np.minimum(np.abs(lo - base), np.abs(hi - base)))
    distance = np.full(x.size, np.inf)
    distance[:-1] = np.where(change, span, np.inf)
    zero = f == 0
    distance[zero] = np.abs(x[zero] - base)
    i = int(np.argmin(distance))  # the first of equal distances, as a scan from below finds
    if not np.isfinite(distance[i]):
        return None
    if zero[i]:
        return (float(x[i]), float(x[i]), 0.0, 0.0)
    return (float(x[i]), float(x[i + 1]), float(f[i]), float(f[i + 1]))


def _shown(x: float) -> str:
    """A number in a sentence: 1,200,000 or 0.0225."""
    return f"{x:,.10g}"


def _no_crossing_reason(metric: str, target: float, path: str, low: float, high: float,
                        f: np.ndarray) -> str:
    span = f"for every {path} from {_shown(low)} to {_shown(high)}"
    finite = f[np.isfinite(f)]
    if finite.size == 0:
        return f"{metric} is undefined (null) {span}"
    if metric == "funding_shortfall":
        if np.all(finite >= 0):
            return f"funding_shortfall is 0 {span}"
        if np.all(finite < 0):
            return f"a funding shortfall remains {span}"
        return f"the money left at the end jumps across 0 without reaching it {span}"
    scale = max(1.0, float(np.max(np.abs(finite))))
    if float(np.ptp(finite)) <= 1e-12 * scale:
        return f"{metric} does not depend on {path} (it stays at {_shown(finite[0] + target)})"
    if np.all(finite > 0):
        return f"{metric} stays above {target:g} {span}"
    if np.all(finite < 0):
        return f"{metric} stays below {target:g} {span}"
    return f"{metric} jumps across {target:g} without reaching it {span}"


def switching_values(scenario: Scenario, parameters: Sequence[Uncertain],
                     base_values: Mapping[str, float],
                     targets: Sequence[tuple[str, float]] = SWITCHING_TARGETS,
                     ) -> list[dict[str, Any]]:
    """Switching values of the uncertain parameters and both discount rates.

    ``base_values`` are the case's parameter values (from
    :func:`~labfinance.engine.parameters.numeric_parameters`).
    Returns the JSON list ``[{parameter, base, metric, target, value}]`` (``reason`` where ``value``
    is null), parameter by parameter in the order of ``parameters`` then the discount rates.
    """
    dists: dict[str, Distribution | None] = {p.path: p.distribution for p in parameters}
    for rate in DISCOUNT_RATES:
        dists.setdefault(rate, None)
    paths = [p for p in dists if p in base_values]
    bases = {p: float(base_values[p]) for p in paths}
    ranges = {p: search_range(scenario, p, bases[p], dists[p]) for p in paths}
    out: dict[tuple[str, int], dict[str, Any]] = {}

    def entry(path: str, k: int, value: float | None, reason: str | None = None) -> None:
        metric, target = targets[k]
        item: dict[str, Any] = {"parameter": path, "base": bases[path], "metric": metric,
                                "target": target, "value": value}
        if value is None:
            item["reason"] = reason
        out[(path, k)] = item

    searchable = []
    for path in paths:
        low, high = ranges[path]
        if not high > low:
            for k in range(len(targets)):
                entry(path, k, None, f"{path} is 0 in this case, so the search range 0 to "
                      f"{AMOUNT_FACTOR:g} × its value is empty")
        else:
            searchable.append(path)
    if not searchable:
        return [out[(p, k)] for p in paths for k in range(len(targets))]

    stack = _Stack(scenario, searchable, bases)
    grids = {p: np.unique(np.append(np.linspace(*ranges[p], GRID_POINTS), bases[p]))
             for p in searchable}
    moved = [p for p in searchable for _ in grids[p]]
    results = stack.evaluate(moved, np.concatenate([grids[p] for p in searchable]))
    gaps = [_gap(results, metric, target) for metric, target in targets]
    shown = [results.metrics[metric] - target if metric != "funding_shortfall" else gaps[k]
             for k, (metric, target) in enumerate(targets)]

    start = 0
    found: list[tuple[int, int, Bracket]] = []
    scales: dict[tuple[int, int], float] = {}
    for j, path in enumerate(searchable):
        x = grids[path]
        rows = slice(start, start + len(x))
        start += len(x)
        for k, (metric, target) in enumerate(targets):
            f = gaps[k][rows]
            finite = np.abs(f[np.isfinite(f)])
            scales[(j, k)] = max(1.0, float(finite.max())) if finite.size else 1.0
            bracket = _first_crossing(x, f, bases[path])
            if bracket is None:
                entry(path, k, None, _no_crossing_reason(metric, target, path, *ranges[path],
                                                         shown[k][rows]))
            else:
                found.append((j, k, bracket))

    if found:
        search = _Search(np.array([j for j, _, _ in found]), np.array([k for _, k, _ in found]),
                         *(np.array([b[i] for _, _, b in found]) for i in range(4)))
        _narrow(stack, searchable, targets, search)
        for i in range(len(search.param)):
            path = searchable[search.param[i]]
            k = int(search.metric[i])
            metric, target = targets[k]
            a, b, fa, fb = search.a[i], search.b[i], search.fa[i], search.fb[i]
            if fa == 0 or fb == 0:
                value, gap = (a, fa) if fa == 0 else (b, fb)
            elif metric == "funding_shortfall":  # the plateau's edge, on the side with no shortfall
                value, gap = (a, fa) if fa > 0 else (b, fb)
            else:
                value, gap = (a, fa) if abs(fa) <= abs(fb) else (b, fb)
            tolerance = 1e-9 * scales[(search.param[i], k)]
            if metric == "funding_shortfall":
                tolerance = max(tolerance, ZERO)
            if abs(gap) > tolerance:
                what = ("the money left at the end" if metric == "funding_shortfall" else metric)
                entry(path, k, None, f"{what} jumps across {target:g} at {path} = {_shown(value)} "
                      "without reaching it")
            else:
                entry(path, k, float(value))
    return [out[(p, k)] for p in paths for k in range(len(targets))]


def _narrow(stack: _Stack, paths: Sequence[str], targets: Sequence[tuple[str, float]],
            s: _Search) -> None:
    """Shrink every bracket to adjacent floating-point numbers, all in one engine call a round."""
    fractions = np.arange(1, ROUND_POINTS + 1) / (ROUND_POINTS + 1)
    for _ in range(MAX_ROUNDS):
        tolerance = 4 * np.spacing(np.maximum(np.abs(s.a), np.abs(s.b)))
        active = np.flatnonzero((s.b - s.a > tolerance) & (s.fa != 0) & (s.fb != 0))
        if active.size == 0:
            return
        a, b = s.a[active], s.b[active]
        x = a[:, None] + (b - a)[:, None] * fractions          # (n, ROUND_POINTS)
        moved = [paths[s.param[i]] for i in active for _ in fractions]
        results = stack.evaluate(moved, x.reshape(-1))
        gaps = np.stack([_gap(results, m, t) for m, t in targets])  # (metrics, rows)
        f = gaps[s.metric[active][:, None], np.arange(x.size).reshape(x.shape)]
        xs = np.concatenate([a[:, None], x, b[:, None]], axis=1)
        fs = np.concatenate([s.fa[active][:, None], f, s.fb[active][:, None]], axis=1)
        # the first sub-bracket with a sign change; NaN never brackets
        change = (np.sign(fs[:, :-1]) * np.sign(fs[:, 1:]) <= 0) & np.isfinite(fs[:, :-1]) \
            & np.isfinite(fs[:, 1:])
        has = change.any(axis=1)
        first = np.argmax(change, axis=1)
        rows = np.arange(active.size)
        # NaN inside a bracket (no sub-bracket changes sign): stop narrowing it where it is
        keep_a = np.where(has, xs[rows, first], a)
        keep_b = np.where(has, xs[rows, first + 1], a)
        keep_fa = np.where(has, fs[rows, first], s.fa[active])
        keep_fb = np.where(has, fs[rows, first + 1], s.fa[active])
        s.a[active], s.b[active], s.fa[active], s.fb[active] = keep_a, keep_b, keep_fa, keep_fb


# ----------------------------------------------------------------------------- both


def sensitivity(scenario: Scenario, parameters: Sequence[Uncertain],
                base_values: Mapping[str, float], extra_metrics: Iterable[str] = (),
                notes: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The JSON ``sensitivity`` section: ``tornado``, ``switching_values`` and ``notes``."""
    unknown = [m for m in extra_metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s): {', '.join(unknown)}")
    return {
        "tornado": tornado(scenario, parameters, (*TORNADO_METRICS, *extra_metrics), base_values),
        "switching_values": switching_values(scenario, parameters, base_values),
        "notes": dict(notes or {}),
    }
