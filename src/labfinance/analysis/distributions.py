"""The distributions of the ``uncertainty`` section, as percentile functions.

Each distribution is a small frozen object with ``ppf(q)``: the value below which a share ``q`` of
outcomes falls. Sensitivity reads the 10th and 90th percentiles; Monte Carlo samples by inverse
transform, ``ppf(u)`` of uniform draws ``u``, so one stream of uniforms gives every distribution
and the draws never depend on how many of them are made at once.

* ``triangular``: low, mode, high; closed-form percentiles.
* ``pert``: the beta distribution on [low, high] with
  ``alpha = 1 + 4 (mode - low) / (high - low)`` and ``beta = 1 + 4 (high - mode) / (high - low)``
  (lambda = 4; mean ``(low + 4 mode + high) / 6``).
* ``uniform``: low, high.
* ``normal``: mean, sd, optionally truncated to ``low``/``high``; percentiles are then those of the
  truncated distribution, ``mean + sd * Phi^-1(Phi(a) + q (Phi(b) - Phi(a)))``.

Scalar in gives scalar out; arrays are handled element by element.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labfinance.model import scenario as model
from labfinance.model.parameters import numeric_parameters
from labfinance.model.rules import correlation_matrix, items_by_path, parameter_domain

__all__ = [
    "Copula", "Distribution", "Normal", "Pert", "Triangular", "Uncertain", "Uniform", "copula",
    "from_spec", "uncertain_parameters", "values_at",
]


class Distribution(Protocol):
    """What sensitivity and Monte Carlo need of a distribution."""

    @property
    def support(self) -> tuple[float, float]: ...

    @property
    def mean(self) -> float: ...

    def ppf(self, q: ArrayLike) -> Any: ...


def _special() -> Any:
    """scipy.special, imported on first use: its import costs ~0.3 s of start-up (it pulls in
    numpy.f2py), which a case with only triangular and uniform ranges does not need."""
    from scipy import special

    return special


def _out(x: NDArray[np.float64]) -> Any:
    return x[()] if x.ndim == 0 else x


@dataclass(frozen=True)
class Uniform:
    """Every value in [low, high] equally likely.

    >>> Uniform(10, 20).ppf([0.1, 0.9]).tolist()
    [11.0, 19.0]
    """

    low: float
    high: float

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def ppf(self, q: ArrayLike) -> Any:
        q = np.asarray(q, dtype=float)
        return _out(self.low + q * (self.high - self.low))


@dataclass(frozen=True)
class Triangular:
    """Triangular on [low, high] with its peak at ``mode``.

    ``F(mode) = (mode - low) / (high - low)``; below it
    ``x = low + sqrt(q (high - low)(mode - low))``, above it
    ``x = high - sqrt((1 - q)(high - low)(high - mode))``.

    >>> round(float(Triangular(0, 0.5, 1).ppf(0.5)), 12)
    0.5
    >>> round(float(Triangular(0, 0, 1).ppf(0.75)), 12)
    0.5
    """

    low: float
    mode: float
    high: float

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def ppf(self, q: ArrayLike) -> Any:
        q = np.asarray(q, dtype=float)
        a, c, b = self.low, self.mode, self.high
        width = b - a
        below = a + np.sqrt(q * width * (c - a))
        above = b - np.sqrt((1 - q) * width * (b - c))
        return _out(np.where(q < (c - a) / width, below, above))


# PERT percentiles: scipy's betaincinv costs ~2 µs a value, too slow for a million draws. A table
# of exact percentiles brackets each answer between two neighbouring nodes (the percentile function
# is increasing). Cubic Hermite interpolation (slopes dx/dq = 1 / density) lands within ~1e-9 of
# the answer, and one Newton step on betainc, kept inside the bracket, finishes: the result is the
# exact percentile of a q within 2e-14 of the one asked for, at ~0.6 µs a value (1.1 µs where
# neither shape parameter is 1). Nodes crowd into the tails, where the percentile function is
# steep. Between most nodes the interpolation alone is that exact: where it misses the exact
# percentile at the middle of an interval (its largest error there) by less than
# _HERMITE_EXACT, measured once per shape, the Newton step is skipped (about 80 % of draws).
_TABLE_Q = np.unique(np.concatenate([
    np.linspace(0.0, 1.0, 4097),
    np.geomspace(1e-15, 1e-2, 200), 1.0 - np.geomspace(1e-15, 1e-2, 200),
]))
_NEWTON_STEPS = 1
_HERMITE_EXACT = 1e-14  # on the [0, 1] scale: 1e-14 of the range of low..high


def _beta_density(a: float, b: float, x: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.asarray(np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x)
                                 - _special().betaln(a, b)))


def _hermite(x0: Any, x1: Any, s0: Any, s1: Any, s: Any) -> Any:
    """Cubic Hermite interpolation at ``s`` (0..1) between x0 and x1 with scaled slopes s0, s1."""
    return (x0 * (1 + 2 * s) * (1 - s) ** 2 + s0 * s * (1 - s) ** 2
            + x1 * s * s * (3 - 2 * s) - s1 * s * s * (1 - s))


@functools.lru_cache(maxsize=256)
def _pert_table(alpha: float, beta: float
                ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Percentiles of beta(alpha, beta) at the nodes, their slopes dx/dq, and for each interval
    between nodes whether interpolation alone is exact there (all read-only).

    About 10-20 ms each; many ranges of a large file share a shape (a line's -20 % / +50 % is
    the same beta distribution whatever its amount), which computes it once.
    """
    special = _special()
    table = special.betaincinv(alpha, beta, _TABLE_Q)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = 1.0 / _beta_density(alpha, beta, table)
        width = np.diff(_TABLE_Q)
        middle = _hermite(table[:-1], table[1:], slope[:-1] * width, slope[1:] * width, 0.5)
        exact = special.betaincinv(alpha, beta, _TABLE_Q[:-1] + width / 2)
        interpolated = np.abs(middle - exact) < _HERMITE_EXACT  # False where NaN
    for array in (table, slope, interpolated):
        array.setflags(write=False)
    return table, slope, interpolated


@dataclass(frozen=True)
class Pert:
    """PERT (lambda = 4): a beta distribution on [low, high] shaped by the mode.

    >>> d = Pert(0, 0.5, 1)
    >>> (d.alpha, d.beta, round(float(d.ppf(0.5)), 12))
    (3.0, 3.0, 0.5)
    >>> Pert(100, 150, 300).mean
    166.66666666666666
    """

    low: float
    mode: float
    high: float
    _table: NDArray[np.float64] = field(init=False, repr=False, compare=False)
    _slope: NDArray[np.float64] = field(init=False, repr=False, compare=False)
    _interpolated: NDArray[np.bool_] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        table, slope, interpolated = _pert_table(self.alpha, self.beta)
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_slope", slope)
        object.__setattr__(self, "_interpolated", interpolated)

    @property
    def alpha(self) -> float:
        return 1 + 4 * (self.mode - self.low) / (self.high - self.low)

    @property
    def beta(self) -> float:
        return 1 + 4 * (self.high - self.mode) / (self.high - self.low)

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    @property
    def mean(self) -> float:
        return (self.low + 4 * self.mode + self.high) / 6

    def ppf(self, q: ArrayLike) -> Any:
        return self.scaled(self.standard_ppf(np.asarray(q, dtype=float)))

    def scaled(self, standard: NDArray[np.float64]) -> Any:
        """Percentiles on [low, high] from those of the standard beta on [0, 1]."""
        return _out(self.low + (self.high - self.low) * standard)

    def _density(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return _beta_density(self.alpha, self.beta, x)

    def standard_ppf(self, q: NDArray[np.float64]) -> NDArray[np.float64]:
        """Percentiles of beta(alpha, beta) on [0, 1], each from its own ``q`` alone (any
        shape)."""
        a, b, table, slope = self.alpha, self.beta, self._table, self._slope
        flat = np.clip(q.reshape(-1), 0.0, 1.0)
        right = np.clip(np.searchsorted(_TABLE_Q, flat, side="right"), 1, len(_TABLE_Q) - 1)
        x0, x1 = table[right - 1], table[right]
        q0, q1 = _TABLE_Q[right - 1], _TABLE_Q[right]
        h = q1 - q0
        s = (flat - q0) / h
        s0, s1 = slope[right - 1] * h, slope[right] * h
        with np.errstate(divide="ignore", invalid="ignore"):
            hermite = _hermite(x0, x1, s0, s1, s)
            linear = x0 + (x1 - x0) * s
            x = np.clip(np.where(np.isfinite(s0) & np.isfinite(s1), hermite, linear), x0, x1)
            polish = np.flatnonzero(~self._interpolated[right - 1])
            if polish.size:
                y, y0, y1, want = x[polish], x0[polish], x1[polish], flat[polish]
                for _ in range(_NEWTON_STEPS):
                    step = (_special().betainc(a, b, y) - want) / self._density(y)
                    y = np.clip(np.where(np.isfinite(step), y - step, y), y0, y1)
                x[polish] = y
        x = np.where(flat <= 0.0, 0.0, np.where(flat >= 1.0, 1.0, x))
        return np.asarray(np.where(np.isnan(q.reshape(-1)), np.nan, x)).reshape(q.shape)


@dataclass(frozen=True)
class Normal:
    """Normal with mean ``mu`` and standard deviation ``sd``, optionally truncated to [low, high].

    ``mean`` is the mean after truncation.

    >>> round(float(Normal(10, 2).ppf(0.5)), 12)
    10.0
    >>> round(float(Normal(0, 1, low=0).ppf(0.5)), 6)  # half-normal median
    0.67449
    """

    mu: float
    sd: float
    low: float | None = None
    high: float | None = None

    @property
    def support(self) -> tuple[float, float]:
        return (-math.inf if self.low is None else self.low,
                math.inf if self.high is None else self.high)

    @property
    def _bounds(self) -> tuple[float, float]:
        lo, hi = self.support
        return ((lo - self.mu) / self.sd, (hi - self.mu) / self.sd)

    @property
    def mean(self) -> float:
        """Mean after truncation: ``mu + sd (phi(a) - phi(b)) / (Phi(b) - Phi(a))``."""
        a, b = self._bounds
        mass = _special().ndtr(b) - _special().ndtr(a)
        pdf = lambda z: 0.0 if math.isinf(z) else math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
        return self.mu + self.sd * (pdf(a) - pdf(b)) / mass

    def ppf(self, q: ArrayLike) -> Any:
        q = np.asarray(q, dtype=float)
        a, b = self._bounds
        # in the upper tail, work on the mirror image, where Phi keeps its precision
        z = (-_truncated_standard_ppf(1.0 - q, -b, -a) if a > 0
             else _truncated_standard_ppf(q, a, b))
        lo, hi = self.support
        return _out(np.clip(self.mu + self.sd * z, lo, hi))


def _truncated_standard_ppf(q: NDArray[np.float64], a: float, b: float) -> NDArray[np.float64]:
    cdf_a, cdf_b = _special().ndtr(a), _special().ndtr(b)
    return np.asarray(_special().ndtri(cdf_a + q * (cdf_b - cdf_a)))


def from_spec(spec: model.Distribution) -> Distribution:
    """The distribution an ``uncertainty`` entry of the scenario describes."""
    if isinstance(spec, model.Triangular):
        return Triangular(spec.low, spec.mode, spec.high)
    if isinstance(spec, model.Pert):
        return Pert(spec.low, spec.mode, spec.high)
    if isinstance(spec, model.Uniform):
        return Uniform(spec.low, spec.high)
    if isinstance(spec, model.Normal):
        return Normal(spec.mean, spec.sd, spec.low, spec.high)
    raise TypeError(f"unknown distribution {spec!r}")


@dataclass(frozen=True)
class Censored:
    """A distribution whose draws beyond what the parameter may be are set to that edge: a normal
    without ``low``/``high`` on a share stays in 0..1, on an amount at 0 or above (the edges are
    far in the tails of any range the validation lets through, so inside them nothing changes).

    The median of N(0.9, 0.1) is 0.9; its 99th percentile, 0.9 + 2.326 × 0.1 = 1.13, is set to 1:

    >>> Censored(Normal(0.9, 0.1), 0.0, 1.0).ppf([0.5, 0.99]).round(2).tolist()
    [0.9, 1.0]
    """

    inner: Distribution
    low: float
    high: float

    @property
    def support(self) -> tuple[float, float]:
        low, high = self.inner.support
        return (max(low, self.low), min(high, self.high))

    @property
    def mean(self) -> float:
        return min(max(self.inner.mean, self.low), self.high)

    def ppf(self, q: ArrayLike) -> Any:
        return _out(np.clip(np.asarray(self.inner.ppf(q), dtype=float), self.low, self.high))


@dataclass(frozen=True)
class Uncertain:
    """An uncertain parameter of the case: its path, its value in the case and its range."""

    path: str
    base: float
    distribution: Distribution


def values_at(parameters: Sequence[Uncertain], uniforms: Mapping[str, NDArray[np.float64]]
              ) -> dict[str, Any]:
    """Each parameter's values at its uniforms (``uniforms[path]``), by inverse transform, in
    the order of ``parameters``.

    PERT ranges of one shape (every line's -20 % / +50 %) share their percentile table, and
    take it in one call over all their uniforms: a file's 50 such ranges cost one lookup, not
    50 (the same numbers: each percentile is worked out on its own uniform alone).
    """
    shapes: dict[tuple[float, float], list[Uncertain]] = {}
    for p in parameters:
        if isinstance(p.distribution, Pert):
            shapes.setdefault((p.distribution.alpha, p.distribution.beta), []).append(p)
    values: dict[str, Any] = {}
    for group in shapes.values():
        if len(group) > 1:
            first = group[0].distribution
            assert isinstance(first, Pert)
            standard = first.standard_ppf(np.stack([uniforms[p.path] for p in group]))
            for p, row in zip(group, standard, strict=True):
                assert isinstance(p.distribution, Pert)
                values[p.path] = p.distribution.scaled(row)
    return {p.path: values[p.path] if p.path in values
            else p.distribution.ppf(uniforms[p.path]) for p in parameters}


def uncertain_parameters(scenario: model.Scenario, fixed: Mapping[str, str] | None = None,
                         base_values: Mapping[str, float] | None = None,
                         ) -> tuple[list[Uncertain], dict[str, str]]:
    """The parameters of ``uncertainty`` that sensitivity and Monte Carlo move, in file order.

    ``fixed`` maps a path that a variant or ``--set`` fixed to who fixed it ("--set", "variant
    no_eu_grant"). Such a parameter is held at its value: it is left out, and the second value
    returned (a map from path to a sentence, the ``notes`` of the JSON) says so.
    """
    known = dict(base_values) if base_values is not None else numeric_parameters(scenario)
    moved: list[Uncertain] = []
    notes: dict[str, str] = {}
    items = items_by_path(scenario)
    for path, spec in scenario.uncertainty.items():
        by = next((who for held, who in (fixed or {}).items()
                   if held == path or path.startswith(held + ".") or held.startswith(path + ".")),
                  None)
        if by is not None:
            value = known.get(path)
            shown = f" at {value:g}" if value is not None else ""
            notes[path] = f"held{shown} by {by}; its uncertainty range is not used"
        elif path not in known:
            notes[path] = "not a parameter of this case; its uncertainty range is not used"
        else:
            distribution = from_spec(spec)
            low, high, _ = parameter_domain(scenario, path, items)
            if distribution.support[0] < low or distribution.support[1] > high:
                distribution = Censored(distribution, low, high)
            moved.append(Uncertain(path, known[path], distribution))
    return moved, notes


# --------------------------------------------------------------------------- correlated
# uncertainty (format 1.2): a Gaussian copula on the given rank correlations


def pearson_for_rank(rho: ArrayLike) -> Any:
    """The correlation of two normals whose rank (Spearman) correlation is ``rho``:
    ``2 sin(pi rho / 6)`` (Pearson 1907; the inverse of ``rho_s = 6/pi asin(r / 2)``). Ranks are
    unchanged by the copula's maps, so the drawn parameters then have rank correlation ``rho``.

    >>> [round(float(pearson_for_rank(x)), 6) for x in (0.0, 0.5, 1.0, -1.0)]
    [0.0, 0.517638, 1.0, -1.0]
    """
    return _out(2 * np.sin(np.pi * np.asarray(rho, dtype=float) / 6))


@dataclass(frozen=True)
class Copula:
    """A Gaussian copula over ``paths``: ``factor @ factor.T`` is the normals' correlation matrix.

    :meth:`correlate` takes independent uniforms (one row per path) and returns uniforms with
    the copula's dependence: each row is still uniform, so every marginal stays as given.
    """

    paths: tuple[str, ...]
    factor: NDArray[np.float64]

    def correlate(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """Uniforms ``(paths, draws)`` -> correlated uniforms of the same shape, draw by draw
        (so the result never depends on how many draws are made at once)."""
        special = _special()
        tiny = np.finfo(float).eps / 2  # a uniform of exactly 0 would be an infinite normal
        z = special.ndtri(np.clip(u, tiny, 1.0 - tiny))
        return np.asarray(special.ndtr(self.factor @ z))


def copula_factor(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """A factor ``F`` with ``F F' = matrix``: Cholesky where the matrix is positive definite
    (the first parameter then keeps its own draws), else from the eigen-decomposition with
    eigenvalues below 0 (rounding, or where the rank-to-normal map left the semidefinite cone)
    set to 0 and the rows scaled back to unit variance.

    Two parameters correlated 1 follow one normal (the matrix is singular, Cholesky fails):

    >>> f = copula_factor(np.array([[1.0, 1.0], [1.0, 1.0]]))
    >>> (f @ f.T).round(12).tolist(), bool(np.allclose(f[0], f[1]))
    ([[1.0, 1.0], [1.0, 1.0]], True)
    """
    try:
        return np.asarray(np.linalg.cholesky(matrix), dtype=np.float64)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(matrix)
        factor = vectors * np.sqrt(np.clip(values, 0.0, None))
        norms = np.sqrt((factor ** 2).sum(axis=1, keepdims=True))
        return np.asarray(factor / np.where(norms > 0, norms, 1.0), dtype=np.float64)


def copula(scenario: model.Scenario, parameters: list[Uncertain]) -> Copula | None:
    """The copula of the file's ``correlations`` between the parameters that are drawn (a
    parameter held by a variant or ``--set`` drops out with its entries); None without any."""
    drawn = {p.path for p in parameters}
    entries = [(a, b, rho) for a, b, rho in scenario.correlations if a in drawn and b in drawn]
    if not entries:
        return None
    paths, ranks = correlation_matrix(entries)
    pearson = np.asarray(pearson_for_rank(ranks))
    np.fill_diagonal(pearson, 1.0)
    return Copula(tuple(paths), copula_factor(pearson))
