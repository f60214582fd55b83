"""A portfolio: every initiative of a city or a programme, each evaluated as ``run`` would, summed
by calendar year, with one Monte Carlo answer for the whole (``workbook-and-cli.md``, "Portfolio").

- **Files.** A path is a scenario file or a folder (its ``*.yaml``, ``*.yml`` and ``*.toml``,
  sorted by name, not recursive). A file that fails validation is left out with its located
  errors; the others still run.
- **Seeds.** Each file draws its own, independent stream: its seed is the first 13 hex digits
  (52 bits) of ``sha256("<portfolio seed>:<file's sha256 in hex>")`` read as a number
  (:func:`file_seed`), so ``labfinance run FILE --seed <that seed>`` gives the same draws as the
  portfolio, and editing one file changes only that file's draws.
- **Sums.** Yearly rows are summed over the union of the initiatives' calendar years, a file
  counting 0 outside its own years, with exactly rounded sums (``math.fsum``): the totals do not
  depend on the order of the files, and equal the sum of each file's ``run`` JSON rounded once.
  The portfolio's cumulative cash is the running total of its summed net cash (a finished
  initiative's last cumulative cash carries on), not the sum of each file's cumulative row.
- **Monte Carlo.** Draw *d* of the portfolio is draw *d* of every file: the total shortfall of
  the draw is the sum of the files' shortfalls in it. A file with nothing uncertain adds its base
  shortfall to every draw. Only per-file statistics and the per-draw totals are kept, so memory
  grows with the draws, not with the draws times the files.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from labfinance.analysis.run import Analysis, analyse
from labfinance.engine.core import LEDGER_ROWS, Results
from labfinance.model.loader import Loaded
from labfinance.model.reading import ScenarioError
from labfinance.model.scenario import Loan
from labfinance.model.workbook import load_any

SUFFIXES = (".yaml", ".yml", ".toml")
QUANTILES = (20, 50, 80, 95)
# ledger rows summed by calendar year (the top-up rows too: each initiative needs its own new
# money); cumulative cash is the running total of the summed net cash. The cash-of-the-day rows
# are left out: only files in real prices with inflation have them.
SUMMED_ROWS = tuple(row for row in LEDGER_ROWS if row != "cumulative_cash")


def file_seed(seed: int, sha256: str) -> int:
    """The seed of one file in a portfolio: the first 13 hex digits (52 bits, exact in any JSON
    reader) of ``sha256("<seed>:<sha256>")``.

    >>> file_seed(20261127, "0" * 64) == int(hashlib.sha256(
    ...     ("20261127:" + "0" * 64).encode()).hexdigest()[:13], 16)
    True
    """
    return int(hashlib.sha256(f"{seed}:{sha256}".encode()).hexdigest()[:13], 16)


def scenario_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[str]]:
    """The scenario files that ``paths`` name, in order, each once; and the paths that name none."""
    files: list[Path] = []
    problems: list[str] = []
    seen: set[Path] = set()
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
            if not found:
                problems.append(f"{path}: the folder holds no *.yaml, *.yml or *.toml file")
        elif path.exists():
            found = [path]
        else:
            problems.append(f"{path}: no such file or folder")
            found = []
        for p in found:
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                files.append(p)
    return files, problems


def quantiles(values: np.ndarray) -> dict[str, float | None]:
    """``mean`` and the 20th, 50th, 80th and 95th percentiles (linear interpolation between order
    statistics, as elsewhere); None where there are no draws."""
    out: dict[str, float | None] = {"mean": None, **{f"p{q}": None for q in QUANTILES}}
    if values.size:
        out["mean"] = float(np.mean(values))
        for q, v in zip(QUANTILES, np.percentile(values, QUANTILES), strict=True):
            out[f"p{q}"] = float(v)
    return out


@dataclass
class Initiative:
    """One file of the portfolio as ``run`` evaluated it: its analysis (the base draw's results,
    without the workbook's workings or the Monte Carlo draws), its seed, and the statistics of its
    shortfall over the draws."""

    path: str
    sha256: str
    seed: int
    analysis: Analysis
    shortfall: dict[str, float | None] = field(default_factory=dict)
    prob_shortfall: float | None = None

    @property
    def results(self) -> Results:
        return self.analysis.results

    @property
    def name(self) -> str:
        return self.analysis.scenario.name

    def metric(self, name: str) -> float:
        return float(self.results.metrics[name][0])

    @property
    def secured_first_shortfall_year(self) -> float:
        return self.metric("secured_first_shortfall_year")


@dataclass
class Outcome:
    """What a worker sends back for one file: the initiative, or the file's problems; and the
    file's shortfall in every draw (summed into the portfolio's, then dropped)."""

    initiative: Initiative | None
    problems: list[str]
    draws: np.ndarray | None = None


def evaluate_file(path: str, seed: int, draws: int, threads: int | None = None) -> Outcome:
    """Evaluate one scenario file as ``run`` would, with the file's own seed (a process-pool
    worker: everything it returns is pickled). A workbook labfinance wrote counts as the
    scenario it comes back as, the reader's edits included (its seed from that text, so an
    unedited workbook draws as its scenario file does). ``threads``: the Monte Carlo's, one
    where files run in parallel processes (each process takes a core)."""
    try:
        loaded = load_any(path)
    except ScenarioError as exc:
        return Outcome(None, exc.messages)
    sha = loaded.document.sha256
    own_seed = file_seed(seed, sha)
    analysis = analyse(loaded, loaded.scenario, draws=draws, seed=own_seed,
                       with_variants=False, with_sensitivity=False, threads=threads)
    samples = analysis.samples.get("funding_shortfall")
    analysis.samples = {}
    initiative = Initiative(path, sha, own_seed, analysis)
    # the portfolio shows neither the workbook's workings nor the file's text: dropping them
    # keeps what the parent holds per file small (about a third)
    analysis.results.workings = None
    analysis.loaded = Loaded(replace(loaded.document, raw=None, lines={}, text=""),
                             loaded.scenario)
    if analysis.monte_carlo is not None and samples is not None and samples.size:
        # the figures of the file's own run: its Monte Carlo section, as its JSON gives them
        stats = analysis.monte_carlo["metrics"]["funding_shortfall"]
        initiative.shortfall = {key: stats[key] for key in ("mean", *(f"p{q}" for q in QUANTILES))}
        initiative.prob_shortfall = analysis.monte_carlo["prob_shortfall"]
    return Outcome(initiative, [], samples)


@dataclass
class Portfolio:
    """Every valid initiative, the yearly tables summed over them, and the portfolio's risk.

    ``yearly`` is the long table (initiative, row, year, value) of each file's ledger rows on its
    own years; ``totals`` the rows summed by calendar year on ``years``; ``payers`` and
    ``funders`` map an id to its yearly amounts summed over the files; ``monte_carlo`` is None
    where no draws ran.
    """

    seed: int
    draws: int
    currency: str
    initiatives: list[Initiative]
    years: list[int]
    yearly: pd.DataFrame
    totals: dict[str, np.ndarray]
    payers: dict[str, np.ndarray]
    funders: dict[str, np.ndarray]
    names: dict[str, str]              # payer or funder id -> the name its first file gives
    monte_carlo: dict[str, Any] | None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    _wide: pd.DataFrame | None = field(default=None, repr=False)

    def row(self, initiative: int, row: str) -> np.ndarray:
        """One initiative's ledger row on the portfolio's years (0 outside its own)."""
        if self._wide is None:  # pivoted once: one row per (initiative, ledger row)
            self._wide = (self.yearly.pivot(index=["initiative", "row"], columns="year",
                                            values="value")
                          .reindex(columns=self.years).fillna(0.0))
        return self._wide.loc[(initiative, row)].to_numpy(dtype=float)


# ``progress(total)`` gives a context manager whose value has ``update(n)``, or is None
Progress = Callable[[int], Any]


def _outcomes(files: list[Path], seed: int, draws: int, jobs: int) -> Iterator[Outcome]:
    """Each file's outcome, in the files' order (so the per-draw sums are the same whatever
    finishes first), with at most ``2 × jobs`` results waiting at once."""
    if jobs <= 1 or len(files) <= 1:  # one process: its Monte Carlo takes the jobs' cores
        for path in files:
            yield evaluate_file(str(path), seed, draws, jobs)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: list[Future[Outcome]] = []
        queue = iter(files)
        for path in queue:
            pending.append(pool.submit(evaluate_file, str(path), seed, draws, 1))
            if len(pending) >= 2 * jobs:
                break
        while pending:
            outcome = pending.pop(0).result()
            following = next(queue, None)
            if following is not None:
                pending.append(pool.submit(evaluate_file, str(following), seed, draws, 1))
            yield outcome


def evaluate_portfolio(paths: Sequence[str | Path], *, draws: int, seed: int, jobs: int = 1,
                       progress: Progress | None = None) -> Portfolio:
    """Evaluate every scenario that ``paths`` name and sum them (see the module's docstring)."""
    files, problems = scenario_files(paths)
    initiatives: list[Initiative] = []
    total = np.zeros(draws)
    short_count = np.zeros(draws, dtype=np.int64)
    currency: str | None = None
    with (progress or (lambda total: nullcontext()))(len(files)) as bar:
        for outcome in _outcomes(files, seed, draws, jobs):
            if bar is not None:
                bar.update(1)
            problems += outcome.problems
            item = outcome.initiative
            if item is None:
                continue
            s = item.analysis.scenario
            currency = currency or s.currency
            if s.currency != currency:
                problems.append(f"{item.path}: currency {s.currency} differs from the "
                                f"portfolio's {currency} (the first valid file's); left out")
                continue
            initiatives.append(item)
            # a file without draws (nothing uncertain) has its base shortfall in every draw
            drawn = (outcome.draws if outcome.draws is not None and outcome.draws.size == draws
                     else np.full(draws, item.metric("funding_shortfall")))
            total += drawn
            short_count += drawn > 0
    return _summed(initiatives, seed, draws, currency or "EUR", total, short_count, problems)


def _summed(initiatives: list[Initiative], seed: int, draws: int, currency: str,
            total: np.ndarray, short_count: np.ndarray, problems: list[str]) -> Portfolio:
    years = sorted({y for item in initiatives for y in item.results.years})
    records = []
    payer_records = []
    funder_records = []
    names: dict[str, str] = {}
    for i, item in enumerate(initiatives):
        r, s = item.results, item.analysis.scenario
        rows = {row: r.ledger[row][0] for row in SUMMED_ROWS}
        for row, values in rows.items():
            records += [(i, row, year, float(v)) for year, v in zip(r.years, values, strict=True)]
        for sid, figures in r.stakeholders.items():
            names.setdefault(sid, s.stakeholders[sid].name or sid)
            plan = figures["plan"]  # NaN where a payer has none (represented by another, ...)
            if not np.all(np.isnan(plan[0])):
                payer_records += [(sid, year, float(v))
                                  for year, v in zip(r.years, np.nan_to_num(plan[0]), strict=True)]
        for f in s.funding:
            if isinstance(f, Loan):  # lent and repaid: financing, not funding (see total_funding)
                continue
            funder = f.stakeholder or f"source:{f.id}"
            names.setdefault(funder, f.label if f.stakeholder is None else funder)
            funder_records += [(funder, year, float(v)) for year, v in
                               zip(r.years, r.lines["funding"][f.id][0], strict=True)]
    yearly = pd.DataFrame.from_records(records, columns=["initiative", "row", "year", "value"])
    totals = _by_year(yearly, "row", years)
    if "net_cash" in totals:
        totals["cumulative_cash"] = np.cumsum(totals["net_cash"])
    payers = _by_year(pd.DataFrame.from_records(payer_records, columns=["id", "year", "value"]),
                      "id", years)
    funders = _by_year(pd.DataFrame.from_records(funder_records, columns=["id", "year", "value"]),
                       "id", years)
    monte_carlo = None
    if draws > 0 and initiatives:
        monte_carlo = {"total_shortfall": quantiles(total),
                       "prob_any_shortfall": float(np.mean(short_count > 0)),
                       "sum_of_p80": math.fsum(item.shortfall.get("p80") or
                                               item.metric("funding_shortfall")
                                               for item in initiatives)}
    return Portfolio(seed, draws, currency, initiatives, years, yearly, totals, payers, funders,
                     names, monte_carlo, problems, _warnings(initiatives))


def _by_year(table: pd.DataFrame, key: str, years: list[int]) -> dict[str, np.ndarray]:
    """``table`` (key, year, value) summed exactly (fsum) per key and year, on ``years``."""
    if table.empty:
        return {}
    summed = table.groupby([key, "year"], sort=True)["value"].agg(math.fsum)
    wide = summed.unstack("year").reindex(columns=years, fill_value=0.0).fillna(0.0)
    return {str(k): wide.loc[k].to_numpy(dtype=float) for k in wide.index}


def _warnings(initiatives: list[Initiative]) -> list[str]:
    out = []
    by_sha: dict[str, str] = {}
    for item in initiatives:
        if item.sha256 in by_sha:
            out.append(f"{item.path} has the same content as {by_sha[item.sha256]}: it is counted "
                       "twice, with the same draws")
        by_sha.setdefault(item.sha256, item.path)
    bases = {(s.prices, s.start_year if s.prices == "real" else None)
             for s in (item.analysis.scenario for item in initiatives)}
    if len(bases) > 1:
        out.append("the initiatives are in different price bases (real prices of different "
                   "start years, or real and nominal); their sums mix them")
    return out
