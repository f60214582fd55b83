"""Funding that is not yet committed: what the case becomes without each such source.

``sources_at_risk`` lists every non-committed source (probability above 0) with the planned
shortfall without it, and the tornado ranks each as a two-point parameter ``funding.<id>`` (low:
the source does not take part; high: it pays as planned). "Without" is exactly a Monte Carlo draw
that does not award that one source and awards every other: an in-kind source's cost is then paid
in cash, a grant's entitlement is recomputed. All cases run as the rows of one engine call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from labfinance.engine.core import Results, evaluate
from labfinance.engine.parameters import Parameters
from labfinance.model.scenario import Funding, Loan, Scenario

RATE_METRICS = ("financial_irr", "financial_mirr", "economic_irr")


def number(value: float) -> float | None:
    """A JSON number: NaN and infinities are ``None``."""
    x = float(value)
    return x if np.isfinite(x) else None


def uncertain_sources(scenario: Scenario) -> list[Funding]:
    """The sources a decision maker cannot count on: not committed, probability above 0."""
    return [f for f in scenario.funding if not f.committed and f.award_probability > 0]


def without_each(scenario: Scenario, sources: Sequence[Funding], *, rates: bool = False
                 ) -> Results:
    """Row 0: the planned case (every source takes part); row i + 1: without ``sources[i]``.
    Each source's cash by year is in ``lines["funding"]`` (the engine keeps it in every call)."""
    n = len(sources) + 1
    awarded = {f.id: np.arange(n) != i + 1 for i, f in enumerate(sources)}
    return evaluate(scenario, Parameters(n), awarded, detail=False, rates=rates)


def _year(value: float) -> int | None:
    return None if np.isnan(value) else int(value)


def sources_at_risk(scenario: Scenario) -> list[dict[str, Any]]:
    """The JSON ``sources_at_risk`` list, ranked by ``shortfall_without`` (largest first)."""
    sources = uncertain_sources(scenario)
    if not sources:
        return []
    r = without_each(scenario, sources)
    m = r.metrics
    out: list[dict[str, Any]] = []
    for i, f in enumerate(sources):
        planned = r.lines["funding"][f.id][0]
        # a loan is no funding: its amount is the principal it pays out inside the horizon
        amount = np.clip(planned, 0, None).sum() if isinstance(f, Loan) else planned.sum()
        out.append({
            "id": f.id, "name": f.label, "type": f.type, "status": f.status,
            "probability": f.award_probability, "amount": float(amount),
            "shortfall_without": number(m["funding_shortfall"][i + 1]),
            "first_shortfall_year_without": _year(float(m["first_shortfall_year"][i + 1])),
        })
    out.sort(key=lambda item: -float(item["shortfall_without"] or 0.0))
    return out


def tornado_bars(scenario: Scenario, metrics: Iterable[str]) -> list[dict[str, Any]]:
    """Two-point tornado bars ``funding.<id>``: ``low`` 0 (the source does not take part) and
    ``high`` 1 (it pays as planned), for every metric asked."""
    sources = uncertain_sources(scenario)
    metrics = list(metrics)
    if not sources:
        return []
    r = without_each(scenario, sources, rates=any(m in RATE_METRICS for m in metrics))
    bars = []
    for metric in metrics:
        values = r.metrics[metric]
        for i, f in enumerate(sources):
            at_low, at_high = number(values[i + 1]), number(values[0])
            swing = abs(at_high - at_low) if at_low is not None and at_high is not None else None
            bars.append({"parameter": f"funding.{f.id}", "low": 0, "high": 1, "base": 1,
                         "metric": metric, "at_low": at_low, "at_high": at_high, "swing": swing})
    return bars
