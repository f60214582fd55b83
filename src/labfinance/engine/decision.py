"""The decision view: when new money must come in, how much a year is missing, and how much of the
planned funding is not yet committed (``scenario-format.md``, "The decision view").

Pure functions of the cumulative cash rows and the metrics the core has already computed, so that
the same figures come out for the base case, the secured case and every Monte Carlo draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labfinance.engine import finance
from labfinance.engine import metrics as fm
from labfinance.engine.sums import running
from labfinance.engine.timeline import ZERO
from labfinance.model.scenario import Loan, Scenario

LEDGER_ROWS = ("top_up", "secured_top_up")
NOMINAL_ROWS = ("top_up_nominal", "secured_top_up_nominal")
METRICS = ("secured_first_shortfall_year", "shortfall_per_year", "secured_shortfall_per_year",
           "bridge_finance", "funding_at_risk")


@dataclass
class Decision:
    rows: dict[str, np.ndarray]       # (draws, years)
    metrics: dict[str, np.ndarray]    # (draws,)
    notes: dict[str, str]


def top_up(cumulative: np.ndarray) -> np.ndarray:
    """New money needed each year to keep cumulative cash at or above 0.

    ``c_t = max(0, -(cumulative_t + sum of c_s for s < t))``, year by year as a spreadsheet
    computes it, with money within 0.005 of zero counted as zero (a year whose cumulative cash is
    not below -0.005 needs nothing). The sum over the years is the peak cash need.
    """
    # sum of c_s for s <= t is the running maximum of the deficits counted so far, so the
    # year-by-year rule is the increments of that running maximum (vectorised over draws)
    deficit = -np.asarray(cumulative, dtype=float)
    need = running(np.maximum, np.where(deficit < ZERO, 0.0, deficit))
    return finance.increase(need)


def top_up_formula(cumulative: str, earlier: str, tolerance: str) -> str:
    """``c_t = max(0, -(cumulative_t + earlier))``, ``earlier`` the sum of the top-ups before
    year t; nothing where cumulative cash is not below -tolerance (the function is
    :func:`top_up`)."""
    return f"IF(-{cumulative}<{tolerance},0,MAX(0,-{cumulative}-{earlier}))"


def per_year_formula(shortfall: str, first_year: str, last_year: str, na: str) -> str:
    """The shortfall spread from its first year short of cash to the last year."""
    return f'IF(ISNUMBER({first_year}),{shortfall}/({last_year}-{first_year}+1),"{na}")'


def bridge_finance_formula(peak: str, shortfall: str, tolerance: str) -> str:
    """``max(0, peak cash need - shortfall)``, within the tolerance of zero counted as 0."""
    gap = f"MAX(0,{peak}-{shortfall})"
    return f"IF(ABS({gap})<{tolerance},0,{gap})"


def _zero_small(x: np.ndarray) -> np.ndarray:
    return np.where(np.abs(x) < ZERO, 0.0, x)


def _first_year(cumulative: np.ndarray, start_year: int) -> np.ndarray:
    index = fm.first_index_below(cumulative, -ZERO)
    return np.where(index >= 0, index + start_year, np.nan).astype(float)


def _per_year(shortfall: np.ndarray, first_year: np.ndarray, last_year: int) -> np.ndarray:
    """The shortfall spread over the years from the first year short of cash to the last."""
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(first_year), np.nan, shortfall / (last_year - first_year + 1))


def decision_view(s: Scenario, cumulative: np.ndarray, secured_cumulative: np.ndarray,
                  lines: dict[str, np.ndarray], m: dict[str, np.ndarray],
                  inflation: np.ndarray, with_rows: bool = True) -> Decision:
    """Top-up rows and decision metrics of one evaluation.

    ``lines`` are the planned funding lines by source (``(draws, years)``); ``m`` holds the
    metrics already computed (shortfalls, peak cash need); ``inflation`` is the ``(draws,)``
    inflation of the case, used for the cash-of-the-day rows in real prices. ``with_rows=False``
    leaves out the top-up rows (the metrics do not need them; a Monte Carlo chunk does not
    report them).
    """
    D = cumulative.shape[0]
    rows = ({"top_up": top_up(cumulative), "secured_top_up": top_up(secured_cumulative)}
            if with_rows else {})
    if with_rows and s.prices == "real" and s.inflation != 0:
        growth = (1 + inflation.reshape(-1, 1)) ** np.arange(s.years)
        rows["top_up_nominal"] = rows["top_up"] * growth
        rows["secured_top_up_nominal"] = rows["secured_top_up"] * growth
    first = m["first_shortfall_year"]
    secured_first = _first_year(secured_cumulative, s.start_year)
    at_risk = np.zeros(D)
    for f in s.funding:
        if not f.committed and not isinstance(f, Loan):
            at_risk = at_risk + lines[f.id].sum(axis=-1)
    metrics = {
        "secured_first_shortfall_year": secured_first,
        "shortfall_per_year": _per_year(m["funding_shortfall"], first, s.last_year),
        "secured_shortfall_per_year": _per_year(m["secured_funding_shortfall"], secured_first,
                                                s.last_year),
        # cash needed only until later receipts arrive; within 0.005 of zero is zero
        "bridge_finance": _zero_small(np.maximum(0.0, m["peak_cash_need"]
                                                 - m["funding_shortfall"])),
        "funding_at_risk": at_risk,
    }
    notes = {}
    if np.isnan(secured_first[0]):
        notes["secured_first_shortfall_year"] = ("on committed sources alone cash never runs "
                                                 "short inside the horizon")
    if np.isnan(metrics["shortfall_per_year"][0]):
        notes["shortfall_per_year"] = "cash never runs short inside the horizon"
    if np.isnan(metrics["secured_shortfall_per_year"][0]):
        notes["secured_shortfall_per_year"] = ("on committed sources alone cash never runs short "
                                               "inside the horizon")
    return Decision(rows, metrics, notes)
