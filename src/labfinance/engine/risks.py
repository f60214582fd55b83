"""The risk register (format 1.2): events that may happen in each year at risk.

The planned and secured cases carry each risk's expected cost, ``probability × impact × price
factor`` in each year at risk, as a cost line of its category (the Green Book's risk-adjusted
cost; no contingency, as the register replaces optimism bias for the risks it names). Monte Carlo
passes, per risk, a ``(draws, years)`` array of 0/1 that says in which years of which draw the
event happens; the line then costs ``impact × price factor`` in those years.

Risk lines are kept apart from the cost items: they add to the ledger's ``costs`` (and so to the
shortfall and every NPV), but no grant or in-kind source covers them, and the EU funding-gap rate
leaves them out as it leaves out contingency (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from labfinance.engine import finance
from labfinance.engine.lineitems import Case


@dataclass
class RiskLine:
    """One risk and its workings, as the Costs sheet shows them. Series ``(1 or draws, years)``."""

    id: str
    category: str
    cost: np.ndarray          # expected (planned, secured) or drawn (Monte Carlo) cost per year
    expected: np.ndarray      # probability × impact × price factor in the years at risk
    at_risk: np.ndarray       # (years,) 1 in the years at risk
    price_factor: np.ndarray
    probability: Any
    impact: Any


def at_risk_years(c: Case, first: int, last: int) -> np.ndarray:
    years = c.s.start_year + np.arange(c.Y)
    return ((years >= first) & (years <= last)).astype(float)


def risk_lines(c: Case, happens: Mapping[str, np.ndarray] | None = None) -> list[RiskLine]:
    """Each risk's cost per year; with ``happens`` (risk id -> ``(draws, years)`` 0/1, Monte
    Carlo) the drawn cost, else the expected cost."""
    lines = []
    for r in c.s.risks:
        path = f"risks.{r.id}"
        probability = c.P.get(f"{path}.probability", r.probability)
        impact = c.P.get(f"{path}.impact", r.impact)
        pf = c.full(c.price(path, r.escalation))
        flags = at_risk_years(c, *c.s.risk_window(r))
        expected = c.full(finance.expected_risk_cost(probability, impact, pf, flags))
        if happens is not None and r.id in happens:
            cost = c.full(finance.risk_cost_drawn(happens[r.id], impact, pf, flags))
        else:
            cost = expected
        lines.append(RiskLine(r.id, r.category, cost, expected, flags, pf, probability, impact))
    return lines
