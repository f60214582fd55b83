"""Years, timing masks and price factors.

Year ``t = year - start_year``; ``t = 0`` is the first year of the horizon. All arrays have the
years on their last axis.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ZERO", "case_rate", "price_factor", "recurring_mask", "year_mask"]

import numpy as np

from labfinance.engine.finance import ZERO
from labfinance.engine.metrics import nominal_rate
from labfinance.model.scenario import Scenario, Timed


def recurring_mask(scenario: Scenario, item: Timed) -> np.ndarray:
    """1.0 in the years a recurring amount falls: from `from` to `to`, every `every` years."""
    t = np.arange(scenario.years)
    first = (item.from_ if item.from_ is not None else scenario.start_year) - scenario.start_year
    last = (item.to if item.to is not None else scenario.last_year) - scenario.start_year
    every = item.every or 1
    return ((t >= first) & (t <= last) & ((t - first) % every == 0)).astype(float)


def year_mask(scenario: Scenario, year: int) -> np.ndarray:
    mask = np.zeros(scenario.years)
    t = year - scenario.start_year
    if 0 <= t < scenario.years:
        mask[t] = 1.0
    return mask


def price_factor(escalation: Any, inflation: Any, nominal: bool, n_years: int) -> Any:
    """``(1 + escalation)^t``, times ``(1 + inflation)^t`` in nominal prices.

    >>> price_factor(0.02, 0.0, False, 3).round(4).tolist()
    [1.0, 1.02, 1.0404]
    """
    t = np.arange(n_years, dtype=float)
    growth = (1 + np.asarray(escalation, dtype=float)) ** t
    if nominal:
        growth = growth * (1 + np.asarray(inflation, dtype=float)) ** t
    return growth


def case_rate(rate: Any, inflation: Any, nominal: bool) -> Any:
    """The rate that discounts the case's cash flows: real, or made nominal in nominal prices."""
    return nominal_rate(rate, inflation) if nominal else rate
