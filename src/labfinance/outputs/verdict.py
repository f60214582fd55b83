"""The verdict: the decision in one paragraph, in the order a decision maker asks
(``scenario-format.md``, "The verdict").

1. secured: what committed sources alone do;
2. planned (where some funding is not yet committed): what happens if every expected source pays;
3. risk (where Monte Carlo ran): the likely and prudent shortfall and the chance of one;
4. societal value: the net present value and the benefit-cost ratio (and the chance it is below 1);
5. who should pay: the largest fair shares, where there is a shortfall.

It opens with the committed sources, and the planned case is always said to be conditional, so the
hopeful case is never presented as the answer where committed sources or the Monte Carlo tell a
worse story. Who pays is shared out of the larger of the secured and planned shortfalls for the
same reason. Plain words, no metric names; money rounded for reading, percentages whole.
"""

from __future__ import annotations

import math
from typing import Any

from labfinance.engine.core import Results
from labfinance.engine.timeline import ZERO
from labfinance.outputs.report import fixed, money

BASIS_SHORT = {"net_gain": "by net gain", "benefits": "by benefits received",
               "cash_releasing": "by budget freed"}
MAX_PAYERS = 3


def percent(p: float) -> str:
    """A whole percentage, rounded half up: 0.895 -> '90 %'."""
    return f"{fixed(100 * p, 0)} %"


def _secured(m: dict[str, float], cur: str) -> str:
    year, short = m["secured_first_shortfall_year"], m["secured_funding_shortfall"]
    if math.isnan(year):
        if short > 0:
            return f"Committed sources leave {money(short, cur)} uncovered at the end"
        return "Committed sources cover every year"
    if short > 0:
        return f"Committed sources run out in {int(year)} and leave {money(short, cur)} uncovered"
    return (f"Committed sources run short in {int(year)} until money due later arrives "
            f"(bridge finance {money(m['secured_peak_cash_need'], cur)})")


def _planned(m: dict[str, float], cur: str) -> str:
    head = f"if every expected source pays ({money(m['funding_at_risk'], cur)} not yet committed)"
    year, short = m["first_shortfall_year"], m["funding_shortfall"]
    if math.isnan(year):
        if short > 0:
            return f"{head}, {money(short, cur)} is left uncovered at the end"
        return f"{head}, cash covers every year"
    if short > 0:
        return (f"{head}, short from {int(year)} by {money(short, cur)} (about "
                f"{money(m['shortfall_per_year'], cur)} a year)")
    return (f"{head}, short from {int(year)} until money due later arrives (bridge finance "
            f"{money(m['peak_cash_need'], cur)})")


def _societal(m: dict[str, float], cur: str, mc: dict[str, Any] | None) -> str:
    text = f"net societal value {money(m['economic_npv'], cur)}"
    if not math.isnan(m["bcr"]):
        # two decimals: 0.98 must not read as 1.0
        text += f", benefits {fixed(m['bcr'], 2)} times the costs"
        below = mc.get("prob_bcr_below_1") if mc else None
        if below is not None:
            text += f" ({percent(below)} chance they fall short of the costs)"
    return text


def who_pays(results: Results) -> tuple[str, list[tuple[str, float]]]:
    """Which fair share answers "who pays" (``fair_share`` or ``secured_fair_share``: the one of
    the larger shortfall) and the payers with a positive share, largest first."""
    m = results.metrics
    key = ("secured_fair_share"
           if float(m["secured_funding_shortfall"][0]) > float(m["funding_shortfall"][0])
           else "fair_share")
    shares = [(sid, float(f[key][0])) for sid, f in results.stakeholders.items()
              if not math.isnan(float(f[key][0])) and float(f[key][0]) > ZERO]
    shares.sort(key=lambda item: -item[1])
    return key, shares


def verdict(results: Results, monte_carlo: dict[str, Any] | None = None,
            likely: dict[str, Any] | None = None, prudent: dict[str, Any] | None = None) -> str:
    """The verdict for the base draw. ``monte_carlo`` is the JSON section (where it ran);
    ``likely`` and ``prudent`` the Monte Carlo answers (:mod:`labfinance.analysis.answers`)."""
    s = results.scenario
    cur = s.currency
    m = {k: float(v[0]) for k, v in results.metrics.items()}
    m["secured_peak_cash_need"] = float(results.ledger["secured_top_up"][0].sum())
    parts = [_secured(m, cur)]
    if any(not f.committed and f.award_probability > 0 for f in s.funding):
        parts.append(_planned(m, cur))
    mc = monte_carlo if monte_carlo and monte_carlo.get("draws") else None
    if mc is not None and likely is not None and prudent is not None:
        risk = (f"likely shortfall {money(likely['funding_shortfall'], cur)}, prudent "
                f"{money(prudent['funding_shortfall'], cur)}")
        if mc.get("prob_shortfall") is not None:
            risk += f"; {percent(mc['prob_shortfall'])} chance of a shortfall"
        parts.append(risk)
    parts.append(_societal(m, cur, mc))
    key, shares = who_pays(results)
    if shares:
        named = ", ".join(f"{s.stakeholders[sid].name or sid} {money(v, cur)}"
                          for sid, v in shares[:MAX_PAYERS])
        gap = "the committed-only gap" if key == "secured_fair_share" else "the gap"
        parts.append(f"fair shares of {gap} ({BASIS_SHORT[s.fair_share_basis]}): {named}")
    return "; ".join(parts) + "."
