"""The decision maker's answers side by side: secured, planned, likely (P50) and prudent (P80).

For each case: the first year short of cash, the funding shortfall, the shortfall per year and the
peak cash need. **secured** counts committed sources only, **planned** every source as entered
(the base case); **likely** and **prudent** are the 50th and 80th percentiles of the Monte Carlo
draws, present only where it ran.

A percentile of money is taken over all draws (a draw without a shortfall counts as 0, also for
the shortfall per year). A percentile of the *first year short* reads the other way: the prudent
year is the one by which cash has run out in at least 20 % of the draws (so cash lasts until the
year before in 80 % of them), the likely year the one by which it has run out in at least half;
``null`` where cash runs out in fewer draws than that inside the horizon.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labfinance.engine.core import Results

CASES = ("secured", "planned", "likely", "prudent")
ANSWERS = ("first_shortfall_year", "funding_shortfall", "shortfall_per_year", "peak_cash_need")
QUANTILES = {"likely": 0.50, "prudent": 0.80}


def number(value: float) -> float | None:
    """A JSON number: NaN and infinities are ``None``."""
    x = float(value)
    return x if np.isfinite(x) else None


def _year(x: float) -> int | None:
    return None if np.isnan(x) else int(x)


def answers(results: Results, samples: Mapping[str, np.ndarray] | None = None,
            cash_out_by_year: Sequence[float] | None = None) -> dict[str, dict[str, Any]]:
    """``{case: {answer: value}}`` for the base draw; likely and prudent where ``samples`` (the
    Monte Carlo draws of every metric) and ``cash_out_by_year`` are given and hold draws."""
    m = {k: float(v[0]) for k, v in results.metrics.items()}
    out: dict[str, dict[str, Any]] = {
        "secured": {
            "first_shortfall_year": _year(m["secured_first_shortfall_year"]),
            "funding_shortfall": m["secured_funding_shortfall"],
            "shortfall_per_year": number(m["secured_shortfall_per_year"]),
            "peak_cash_need": float(results.ledger["secured_top_up"][0].sum()),
        },
        "planned": {
            "first_shortfall_year": _year(m["first_shortfall_year"]),
            "funding_shortfall": m["funding_shortfall"],
            "shortfall_per_year": number(m["shortfall_per_year"]),
            "peak_cash_need": m["peak_cash_need"],
        },
    }
    if not samples or cash_out_by_year is None or samples["funding_shortfall"].size == 0:
        return out
    per_year = np.nan_to_num(samples["shortfall_per_year"], nan=0.0)
    for case, q in QUANTILES.items():
        out_by = [i for i, p in enumerate(cash_out_by_year) if p >= 1 - q - 1e-12]
        out[case] = {
            "first_shortfall_year": results.years[out_by[0]] if out_by else None,
            "funding_shortfall": float(np.percentile(samples["funding_shortfall"], 100 * q)),
            "shortfall_per_year": float(np.percentile(per_year, 100 * q)),
            "peak_cash_need": float(np.percentile(samples["peak_cash_need"], 100 * q)),
        }
    return out
