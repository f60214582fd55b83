"""Monte Carlo risk analysis: seeded draws through the same engine, summarised per metric.

Each draw takes every uncertain parameter from its distribution (inverse transform of a uniform
draw, :mod:`labfinance.analysis.distributions`), independently except where ``correlations`` link
parameters through a Gaussian copula; awards each non-committed funding source once, with its
probability; and lets each risk's event happen in each year at risk with its probability. A
parameter that a variant or ``--set`` fixed is held at that value.

The uniforms come from ``numpy.random.Generator(PCG64(...))`` in fixed blocks of :data:`BLOCK`
draws: block ``j`` is seeded with ``SeedSequence(seed, spawn_key=(j,))`` (the j-th child of
``SeedSequence(seed).spawn``) and holds one row of uniforms for every ``uncertainty`` entry of the
file, every funding source and every year of every risk, in file order. So a draw's numbers depend
only on the seed, the file's structure and the draw's index, never on the chunk size, and a variant
sees the same draws as the base case (common random numbers), which makes their comparison sharper.
(The metrics then agree whatever the chunk size, bar the last binary digit of an IRR, whose
iterations can stop one rounding apart when a series sits elsewhere in a batch.)

The engine runs on chunks of draws with ``detail=False``, so memory stays bounded while the metric
samples are kept whole for percentiles (8 MB a metric per million draws). A chunk takes about
:data:`CHUNK_BYTES` of working memory: fewer draws for a longer horizon or more items fed by
uncertain parameters (each such line is one row per draw), between :data:`MIN_CHUNK` draws and
whole blocks. The chunk size depends on the file alone, never on the machine, so the results are
the same bytes everywhere. Up to :data:`MAX_THREADS` chunks run at once, on the cores this process
may use: numpy releases the GIL inside its loops, so the engine calls overlap, and each chunk
writes its own slice of the samples, so the results are the same bytes whatever the number of
threads.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.random import PCG64, Generator, SeedSequence

from labfinance.analysis.distributions import Copula, Uncertain, copula, values_at
from labfinance.engine.catalogue import YEAR_METRICS, reported
from labfinance.engine.core import evaluate
from labfinance.engine.parameters import Parameters
from labfinance.engine.threads import one_blas_thread
from labfinance.model.scenario import Scenario

__all__ = ["BLOCK", "CHUNK_BYTES", "MAX_THREADS", "MIN_CHUNK", "Draws", "MonteCarlo", "Spread",
           "available_cores", "chunk_draws", "default_threads", "draw", "needs_risk_analysis",
           "percentiles", "simulate", "spread", "uniforms"]

BLOCK = 2_500
CHUNK_BYTES = 120 * 2 ** 20  # working memory of one engine call
MIN_CHUNK = 1_000            # below this the engine's fixed cost per call dominates
MAX_THREADS = 2              # engine calls at once: at most 240 MB in flight
# Measured working memory per draw and year, in 8-byte numbers: about 130 for the ledger, funding
# and metrics, and 4 per item an uncertain parameter feeds (a cost line's cost, cost before
# contingency, base amount and price factor become one row per draw; two parameters of one line
# widen the same rows: 200 lines with two ranges each measured 3.75 a line, 100 MB at 1,000
# draws). The largest example (12 years, 7 parameters on 7 items) then takes 7,500 draws a call
# (1,000 to 17,500 a call cost about the same CPU per draw), two calls at a time; 2,000 cost
# lines with 200 uncertain ones take 1,400 a call.
_NUMBERS_PER_DRAW_YEAR = 130
_NUMBERS_PER_ITEM = 4
PERCENTILES = (5, 10, 20, 50, 80, 90, 95)  # P20 and P80: the decision view's prudent figures


def needs_risk_analysis(scenario: Scenario) -> bool:
    """Sensitivity and Monte Carlo run when anything is uncertain: a range, an unsigned source
    or a risk that may happen."""
    return (bool(scenario.uncertainty) or any(not f.committed for f in scenario.funding)
            or bool(scenario.risks))


def random_columns(scenario: Scenario) -> list[str]:
    """What each row of a block of uniforms is for: the uncertain paths, then every source, then
    each risk's years (``risk:<id>:<t>``). Rows added at the end leave the earlier rows' numbers
    as they were, so a file without risks draws what it drew before."""
    return [*scenario.uncertainty, *(f"funding:{f.id}" for f in scenario.funding),
            *(f"risk:{r.id}:{t}" for r in scenario.risks for t in range(scenario.years))]


@dataclass
class Draws:
    """The random inputs of draws ``first .. first + n - 1``: parameter values, the awards of the
    non-committed sources, and in which years each risk's event happens."""

    values: dict[str, np.ndarray]
    awarded: dict[str, np.ndarray]
    happens: dict[str, np.ndarray]


def draw(scenario: Scenario, parameters: Sequence[Uncertain], seed: int, first: int, n: int,
         linked: Copula | None = None, kept: dict[int, np.ndarray] | None = None) -> Draws:
    """The inputs of ``n`` draws from draw ``first`` on: each depends only on the seed, the
    file's structure and the draw's index (never on the chunk), correlated parameters included
    (the copula maps each draw's own uniforms). ``kept`` is passed to :func:`uniforms`."""
    columns = {name: row for row, name in enumerate(random_columns(scenario))}
    u = uniforms(seed, first, n, len(columns), kept)
    rows = {p.path: u[columns[p.path]] for p in parameters}
    if linked is not None:
        moved = linked.correlate(np.stack([rows[path] for path in linked.paths]))
        rows.update(zip(linked.paths, moved, strict=True))
    values = values_at(parameters, rows)
    awarded = {f.id: u[columns[f"funding:{f.id}"]] < f.award_probability
               for f in scenario.funding if not f.committed}
    happens = {}
    for r in scenario.risks:
        at = columns[f"risk:{r.id}:0"]
        # (draws, years): the event happens in a year where its uniform is below the probability
        happens[r.id] = (u[at:at + scenario.years] < r.probability).T
    return Draws(values, awarded, happens)


def uniforms(seed: int, first: int, count: int, columns: int,
             kept: dict[int, np.ndarray] | None = None) -> np.ndarray:
    """Uniforms ``(columns, count)`` for draws ``first .. first + count - 1`` of ``seed``.

    ``kept`` (block -> its numbers) keeps the last block made, for the next chunk: chunks
    smaller than a block (many parameters) would otherwise make each block two or three times.
    """
    out = np.empty((columns, count))
    if count == 0:
        return out
    done = 0
    for block in range(first // BLOCK, (first + count - 1) // BLOCK + 1):
        if kept is not None and block in kept:
            numbers = kept[block]
        else:
            numbers = Generator(PCG64(SeedSequence(seed, spawn_key=(block,)))).random(
                (columns, BLOCK))
            if kept is not None:
                kept.clear()
                kept[block] = numbers
        lo = max(first, block * BLOCK) - block * BLOCK
        hi = min(first + count, (block + 1) * BLOCK) - block * BLOCK
        out[:, done:done + hi - lo] = numbers[:, lo:hi]
        done += hi - lo
    return out


@dataclass
class MonteCarlo:
    """The draws of one Monte Carlo run.

    ``samples`` maps every metric to a ``(draws,)`` array (NaN where the metric is null in a
    draw); ``cash_out_by_year[t]`` is the share of draws whose cumulative cash fell below -0.005
    in year t or before; ``notes`` maps a held parameter to the reason.
    """

    draws: int
    seed: int
    years: list[int]
    samples: dict[str, np.ndarray]
    cash_out_by_year: np.ndarray
    notes: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        """The JSON ``monte_carlo`` section."""
        shortfall = self.samples["funding_shortfall"]
        bcr = self.samples["bcr"]
        defined = bcr[~np.isnan(bcr)]
        return {
            "draws": self.draws,
            "seed": self.seed,
            "metrics": {name: describe(values, years=name in YEAR_METRICS)
                        for name, values in self.samples.items()},
            "prob_shortfall": float(np.mean(shortfall > 0)) if self.draws else None,
            "prob_bcr_below_1": float(np.mean(defined < 1)) if defined.size else None,
            "prob_cash_out_by_year": [float(p) for p in self.cash_out_by_year],
            "notes": dict(self.notes),
        }


def describe(values: np.ndarray, years: bool = False) -> dict[str, float | None]:
    """``mean``, ``sd`` (n - 1), percentiles, ``prob_below_zero`` and ``share_null`` of draws.

    Nulls (NaN) count only in ``share_null``; the other figures are of the defined draws.
    Percentiles interpolate linearly between order statistics (numpy's default), except for a
    year metric (``years``): its percentile p is a year a draw has, the first year by which at
    least p % of the defined draws have it (the inverted distribution function), never 2027.5.

    >>> describe(np.array([2027.0, 2028.0]), years=True)["p50"]
    2027.0
    >>> describe(np.array([2027.0, 2028.0]))["p50"]
    2027.5
    """
    n = values.size
    defined = values[~np.isnan(values)]
    out: dict[str, float | None] = dict.fromkeys(
        ("mean", "sd", *(f"p{p}" for p in PERCENTILES), "prob_below_zero"))
    if defined.size:
        out["mean"] = float(np.mean(defined))
        out["sd"] = float(np.std(defined, ddof=1)) if defined.size > 1 else None
        for p, v in zip(PERCENTILES, percentiles(np.sort(defined), PERCENTILES, years),
                        strict=True):
            out[f"p{p}"] = float(v)
        out["prob_below_zero"] = float(np.mean(defined < 0))
    out["share_null"] = float((n - defined.size) / n) if n else None
    return out


def percentiles(ordered: np.ndarray, percents: Sequence[float], years: bool = False
                ) -> np.ndarray:
    """``np.percentile(x, percents)`` of the sorted draws ``ordered`` (``method="inverted_cdf"``
    where ``years``), the same numbers bit for bit: one sort served seven percentiles in half
    the time of numpy's partition on 100,000 draws (25 metrics: 0.1 s of a 100,000-draw run).

    Linear: at h = (n - 1) q between the order statistics a = x[floor h] and b = x[floor h + 1],
    ``a + (b - a) g`` with g = h - floor h, or ``b - (b - a)(1 - g)`` where g >= 0.5 (numpy's
    ``_lerp``, exact at both ends). Inverted distribution function: x[ceil(n q) - 1].

    >>> percentiles(np.array([1.0, 2.0, 3.0, 4.0]), [50, 90]).tolist()
    [2.5, 3.7]
    >>> percentiles(np.array([2027.0, 2028.0]), [50], years=True).tolist()
    [2027.0]
    """
    n = ordered.size
    q = np.asarray(percents, dtype=float) / 100
    if years:
        return ordered[np.clip(np.ceil(n * q).astype(np.intp) - 1, 0, n - 1)]
    h = (n - 1) * q
    below = np.floor(h).astype(np.intp)
    gamma = h - below
    a, b = ordered[below], ordered[np.minimum(below + 1, n - 1)]
    step = b - a
    return np.where(gamma >= 0.5, b - step * (1 - gamma), a + step * gamma)


def chunk_draws(scenario: Scenario, parameters: Sequence[Uncertain]) -> int:
    """Draws per engine call, sized by the horizon and the items the drawn parameters feed (see
    the module: ``costs.cameras.amount`` and ``costs.cameras.escalation`` feed one line); a
    risk, whose cost line and events are one row per draw, counts as an item."""
    return _whole_blocks(_draws_in(CHUNK_BYTES, scenario, parameters))


def _draws_in(memory: int, scenario: Scenario, parameters: Sequence[Uncertain]) -> int:
    """The draws whose working memory fits in ``memory`` bytes (see :func:`chunk_draws`)."""
    items = {".".join(p.path.split(".")[:2]) for p in parameters}
    drawn = len(items) + len(scenario.risks)
    return memory // (8 * scenario.years * (_NUMBERS_PER_DRAW_YEAR + _NUMBERS_PER_ITEM * drawn))


def _whole_blocks(chunk: int) -> int:
    """Whole blocks (each generated once) where a chunk holds one; else at least MIN_CHUNK."""
    return chunk - chunk % BLOCK if chunk >= BLOCK else max(MIN_CHUNK, chunk - chunk % 100)


@dataclass(frozen=True)
class Spread:
    """How a metric's draws spread, for a histogram and a cumulative distribution chart:
    ``shares[i]`` of the defined draws fall in the bin around ``centres[i]`` (20 equal bins over
    the range; one bin where every draw is the same), and ``quantiles[j]`` is the
    ``probabilities[j]`` percentile (0, 5, ..., 100 %)."""

    centres: np.ndarray
    shares: np.ndarray
    probabilities: np.ndarray
    quantiles: np.ndarray


def spread(values: np.ndarray, bins: int = 20) -> Spread | None:
    """The :class:`Spread` of the defined draws of ``values``; None where no draw is defined.

    >>> s = spread(np.array([1.0, 2.0, 3.0, 4.0]), bins=2)
    >>> s.centres.tolist(), s.shares.tolist()
    ([1.75, 3.25], [0.5, 0.5])
    >>> spread(np.array([5.0, 5.0])).centres.tolist()
    [5.0]
    """
    defined = values[np.isfinite(values)]
    if defined.size == 0:
        return None
    low, high = float(defined.min()), float(defined.max())
    if not high > low:  # every draw the same: one bin, not 20 of zero width
        centres, shares = np.array([low]), np.array([1.0])
    else:
        counts, edges = np.histogram(defined, bins=bins, range=(low, high))
        centres, shares = (edges[:-1] + edges[1:]) / 2, counts / defined.size
    probabilities = np.linspace(0, 1, 21)
    return Spread(centres, shares, probabilities, np.quantile(defined, probabilities))


def simulate(scenario: Scenario, parameters: Sequence[Uncertain], *, draws: int, seed: int,
             chunk: int | None = None, notes: dict[str, str] | None = None,
             on_chunk: Callable[[int], Any] | None = None, threads: int | None = None
             ) -> MonteCarlo:
    """Run ``draws`` draws of ``scenario`` with ``parameters`` drawn and awards drawn.

    ``parameters`` are the uncertain parameters to draw (held ones left out, see
    :func:`labfinance.analysis.distributions.uncertain_parameters`). ``on_chunk(n)`` is called
    after each chunk with the number of draws it held (for a progress bar), always from the
    calling thread. ``chunk`` overrides the draws per engine call (:func:`chunk_draws`).
    ``threads`` engine calls run at once (default :func:`default_threads`); the results are the
    same bytes whatever the number.
    """
    linked = copula(scenario, list(parameters))
    samples = {name: np.empty(draws) for name in reported(scenario)}
    threads = max(1, default_threads() if threads is None else threads)
    if chunk is None:
        chunk = chunk_draws(scenario, parameters)
    chunk = _whole_blocks(chunk)
    starts = list(range(0, draws, chunk))

    def run(first: int, kept: dict[int, np.ndarray]) -> int:
        """Draws ``first`` .. of one chunk into ``samples``; how many there were."""
        n = min(chunk, draws - first)
        d = draw(scenario, parameters, seed, first, n, linked, kept)
        results = evaluate(scenario, Parameters(n, d.values), d.awarded, detail=False,
                           happens=d.happens)
        for name, sample in samples.items():
            sample[first:first + n] = results.metrics[name]
        return n

    # One BLAS thread from the calling thread, held across the chunks: OpenBLAS (0.3.31) ignores
    # a limit set from any other thread, and each chunk's own limit then sets and restores 1.
    with one_blas_thread():
        for n in _in_threads(starts, run, min(threads, len(starts))):
            if on_chunk is not None:
                on_chunk(n)
    # a draw is out of cash in year t from its first year short of cash on (cumulative cash
    # below -0.005, as the engine finds that year)
    short = samples["first_shortfall_year"]
    first_short = (short[~np.isnan(short)] - scenario.start_year).astype(np.int64)
    cash_out = np.cumsum(np.bincount(first_short, minlength=scenario.years)).astype(float)
    return MonteCarlo(draws, seed, scenario.calendar_years, samples,
                      cash_out / draws if draws else cash_out, dict(notes or {}))


def default_threads() -> int:
    """Engine calls a Monte Carlo runs at once: the cores this process may use, at most
    :data:`MAX_THREADS` (each call takes :data:`CHUNK_BYTES`)."""
    return min(MAX_THREADS, available_cores())


def available_cores() -> int:
    """The cores this process may use (``taskset`` and container limits included on Linux)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


Chunk = Callable[[int, dict[int, np.ndarray]], int]


def _in_threads(starts: list[int], run: Chunk, threads: int) -> Iterator[int]:
    """``run(first, kept)`` for each chunk start, yielding each result in the calling thread.

    ``threads`` threads take the next chunk as each finishes one (so a short last chunk does
    not leave one thread idle), each with its own ``kept`` block of uniforms. numpy releases the
    GIL inside its loops, so the engine calls overlap. The first error stops the others taking
    more chunks and is raised here.
    """
    if threads <= 1:
        kept: dict[int, np.ndarray] = {}
        for first in starts:
            yield run(first, kept)
        return
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for first in starts:
        todo.put(first)
    finished: queue.SimpleQueue[int | BaseException] = queue.SimpleQueue()
    stop = threading.Event()

    def work() -> None:
        own: dict[int, np.ndarray] = {}
        try:
            while not stop.is_set():
                try:
                    first = todo.get_nowait()
                except queue.Empty:
                    return
                finished.put(run(first, own))
        except BaseException as exc:  # handed to the calling thread, which raises it
            finished.put(exc)

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="labfinance-mc") as pool:
        for _ in range(threads):
            pool.submit(work)
        try:
            for _ in starts:
                item = finished.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
