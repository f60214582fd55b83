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
from labfinance.outputs.terminal import Words, fixed

MAX_PAYERS = 3
__all__ = ["Words", "verdict", "percent"]


def percent(p: float) -> str:
    """A whole percentage, rounded half up: 0.895 -> '90 %'."""
    return f"{fixed(100 * p, 0)} %"


def secured_part(year: float, short: float, peak: float, cur: str,
                 w: Words | None = None) -> str:
    """Part 1: what committed sources do (``year`` is NaN where cash never runs short)."""
    w = w or Words()
    if math.isnan(year):
        if short > 0:
            return w("secured_left", short=w.money(short, cur))
        return w("secured_covers")
    if short > 0:
        return w("secured_run_out", year=int(year), short=w.money(short, cur))
    return w("secured_bridge", year=int(year), peak=w.money(peak, cur))


def planned_part(year: float, short: float, at_risk: float, per_year: float, peak: float,
                 cur: str, w: Words | None = None) -> str:
    """Part 2: what happens if every expected source pays."""
    w = w or Words()
    head = w("planned_head", at_risk=w.money(at_risk, cur))
    if math.isnan(year):
        if short > 0:
            return w("planned_left", head=head, short=w.money(short, cur))
        return w("planned_covers", head=head)
    if short > 0:
        return w("planned_short", head=head, year=int(year), short=w.money(short, cur),
                 per_year=w.money(per_year, cur))
    return w("planned_bridge", head=head, year=int(year), peak=w.money(peak, cur))


def risk_part(likely: float, prudent: float, chance: float | None, cur: str,
              w: Words | None = None) -> str:
    """Part 3: the Monte Carlo's likely (P50) and prudent (P80) shortfall."""
    w = w or Words()
    text = w("risk", likely=w.money(likely, cur), prudent=w.money(prudent, cur))
    if chance is not None:
        text += w("risk_chance", chance=percent(chance))
    return text


def societal_part(npv: float, bcr: float, chance_below_1: float | None, cur: str,
                  w: Words | None = None) -> str:
    """Part 4: the net societal value and the benefit-cost ratio."""
    w = w or Words()
    text = w("societal", npv=w.money(npv, cur))
    if not math.isnan(bcr):
        # two decimals: 0.98 must not read as 1.0
        text += w("societal_bcr", bcr=w.number(bcr, 2))
        if chance_below_1 is not None:
            text += w("societal_below", chance=percent(chance_below_1))
    return text


def who_pays_part(secured_gap: bool, shares: list[tuple[str, float]], basis: str,
                  cur: str, w: Words | None = None) -> str:
    """Part 5: the largest fair shares (name, money), up to three; "" where there are none."""
    w = w or Words()
    if not shares:
        return ""
    named = ", ".join(f"{name} {w.money(v, cur)}" for name, v in shares[:MAX_PAYERS])
    gap = w("gap_secured" if secured_gap else "gap")
    return w("who_pays", gap=gap, basis=w(f"basis_{basis}"), named=named)


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
            likely: dict[str, Any] | None = None, prudent: dict[str, Any] | None = None,
            w: Words | None = None) -> str:
    """The verdict for the base draw. ``monte_carlo`` is the JSON section (where it ran);
    ``likely`` and ``prudent`` the Monte Carlo answers (:mod:`labfinance.analysis.answers`);
    ``w`` the words (English, as the JSON holds it, by default)."""
    w = w or Words()
    s = results.scenario
    cur = s.currency
    m = {k: float(v[0]) for k, v in results.metrics.items()}
    parts = [secured_part(m["secured_first_shortfall_year"], m["secured_funding_shortfall"],
                          float(results.ledger["secured_top_up"][0].sum()), cur, w)]
    if any(not f.committed and f.award_probability > 0 for f in s.funding):
        parts.append(planned_part(m["first_shortfall_year"], m["funding_shortfall"],
                                  m["funding_at_risk"], m["shortfall_per_year"],
                                  m["peak_cash_need"], cur, w))
    mc = monte_carlo if monte_carlo and monte_carlo.get("draws") else None
    if mc is not None and likely is not None and prudent is not None:
        parts.append(risk_part(likely["funding_shortfall"], prudent["funding_shortfall"],
                               mc.get("prob_shortfall"), cur, w))
    parts.append(societal_part(m["economic_npv"], m["bcr"],
                               mc.get("prob_bcr_below_1") if mc else None, cur, w))
    key, shares = who_pays(results)
    named = [(s.stakeholders[sid].name or sid, v) for sid, v in shares]
    parts.append(who_pays_part(key == "secured_fair_share", named, s.fair_share_basis, cur, w))
    return "; ".join(p for p in parts if p) + "."
