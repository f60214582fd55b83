"""The verdict's workings: the helper cells that build the Summary's sentence, one step each.

Each step is one labelled cell: the money in words, each of the five parts, the three largest
fair shares, and at the end the sentence that joins the parts. A reader follows it like any other
calculation; no formula is longer than a few hundred characters. The cached value of every step is
the terminal's own wording (:mod:`labfinance.outputs.verdict`), so the workbook, the terminal and
the JSON say the same thing, and a recalculation must reproduce it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labfinance.engine.core import Results
from labfinance.outputs.excel.decision_formulas import Formulas
from labfinance.outputs.verdict import (
    MAX_PAYERS,
    Words,
    planned_part,
    risk_part,
    secured_part,
    societal_part,
    who_pays,
    who_pays_part,
)
from labfinance.texts import Texts

# put(label, formula, cached value) writes one helper cell and returns its reference
Put = Callable[[str, str, Any], str]


@dataclass
class VerdictCells:
    """References (for the sheet being written) of the cells the verdict reads.

    ``metric`` maps a metric name to its cell; ``secured_peak`` is the committed-only peak cash
    need (the sum of the secured top-up row). ``likely``, ``prudent``, ``chance_short`` and
    ``chance_bcr_below_1`` are the Monte Carlo's value cells (None where it did not run).
    ``names``, ``ranks`` and ``asked`` are the Stakeholders ranges of the payers' names, the rank
    of each share asked (1 = largest, 0 where none) and the share asked (the fair share of the
    larger of the secured and planned shortfalls).
    """

    metric: dict[str, str]
    secured_peak: str
    names: str
    ranks: str
    asked: str
    likely: str | None = None
    prudent: str | None = None
    chance_short: str | None = None
    chance_bcr_below_1: str | None = None


def write(put: Put, c: VerdictCells, results: Results, monte_carlo: dict[str, Any] | None,
          likely: float | None, prudent: float | None, t: Texts) -> tuple[str, str]:
    """Write the workings with ``put``, in the words of ``t``; returns the verdict's formula and
    its cached value.

    ``likely`` and ``prudent`` are the Monte Carlo's P50 and P80 shortfall (None where it did not
    run).
    """
    F, W = Formulas(t), Words(t)  # the cached text as FIXED() writes it in an English Excel
    NONE = F.none  # noqa: N806
    s = results.scenario
    cur = s.currency
    m = {k: float(v[0]) for k, v in results.metrics.items()}
    secured_peak = float(results.ledger["secured_top_up"][0].sum())

    na = t("value.na")

    def words(key: str, ref: str, value: float) -> str:
        # a metric that can be null (the shortfall per year) reads "n/a", never an error value
        return put(t("workings.in_words", label=t(f"workings.{key}")),
                   f'=IF(ISNUMBER({ref}),{F.money(ref, cur)},"{na}")',
                   na if math.isnan(value) else W.money(value, cur))

    M = c.metric
    parts: list[tuple[str, str]] = []  # (reference, cached text)
    short_w = words("secured_shortfall", M["secured_funding_shortfall"],
                    m["secured_funding_shortfall"])
    peak_w = words("secured_peak", c.secured_peak, secured_peak)
    text = secured_part(m["secured_first_shortfall_year"], m["secured_funding_shortfall"],
                        secured_peak, cur, W)
    parts.append((put(t("workings.part_secured"), F.secured(
        M["secured_first_shortfall_year"], M["secured_funding_shortfall"], short_w, peak_w),
        text), text))

    if any(not f.committed and f.award_probability > 0 for f in s.funding):
        risk_w = words("at_risk", M["funding_at_risk"], m["funding_at_risk"])
        short_w = words("shortfall", M["funding_shortfall"], m["funding_shortfall"])
        per_year_w = words("per_year", M["shortfall_per_year"], m["shortfall_per_year"])
        peak_w = words("peak", M["peak_cash_need"], m["peak_cash_need"])
        text = planned_part(m["first_shortfall_year"], m["funding_shortfall"],
                            m["funding_at_risk"], m["shortfall_per_year"], m["peak_cash_need"],
                            cur, W)
        parts.append((put(t("workings.part_planned"), F.planned(
            M["first_shortfall_year"], M["funding_shortfall"], risk_w, short_w, per_year_w,
            peak_w), text), text))

    mc = monte_carlo if monte_carlo and monte_carlo.get("draws") else None
    if (mc is not None and likely is not None and prudent is not None and c.likely is not None
            and c.prudent is not None):
        likely_w = words("likely", c.likely, likely)
        prudent_w = words("prudent", c.prudent, prudent)
        chance = mc.get("prob_shortfall") if c.chance_short is not None else None
        text = risk_part(likely, prudent, chance, cur, W)
        parts.append((put(t("workings.part_risk"), F.risk(
            likely_w, prudent_w, c.chance_short if chance is not None else None), text), text))

    npv_w = words("npv", M["economic_npv"], m["economic_npv"])
    below = mc.get("prob_bcr_below_1") if mc and c.chance_bcr_below_1 is not None else None
    text = societal_part(m["economic_npv"], m["bcr"], below, cur, W)
    parts.append((put(t("workings.part_societal"), F.societal(
        npv_w, M["bcr"], c.chance_bcr_below_1 if below is not None else None), text), text))

    key, shares = who_pays(results)
    named = [(s.stakeholders[sid].name or sid, v) for sid, v in shares]
    payers = []
    for k in range(1, MAX_PAYERS + 1):
        name, value = named[k - 1] if k <= len(named) else (NONE, 0.0)
        at = f"MATCH({k},{c.ranks},0)"
        name_ref = put(t("workings.payer", k=k),
                       f'=IFERROR(INDEX({c.names},{at}),"{NONE}")', name)
        words_ref = put(t("workings.payer_words", k=k),
                        f'=IF({name_ref}="{NONE}","{NONE}",'
                        f'{F.money(f"INDEX({c.asked},{at})", cur)})',
                        W.money(value, cur) if k <= len(named) else NONE)
        payers.append((name_ref, words_ref))
    text = who_pays_part(key == "secured_fair_share", named, s.fair_share_basis, cur,
                         W) or NONE
    parts.append((put(t("workings.part_who_pays"), F.who_pays(M["secured_funding_shortfall"],
                                                 M["funding_shortfall"], payers,
                                                 s.fair_share_basis), text), text))
    sentence = "; ".join(text for _, text in parts if text != NONE) + "."
    return F.verdict([ref for ref, _ in parts]), sentence


def rank_formula(asked: str, column: str, above: str | None, tolerance: str) -> str:
    """The rank of a share asked among the payers (1 = largest; 0 where none is asked): the
    number of larger shares, plus the equal ones above it (file order on ties), plus 1. No
    COUNTIF with ">"&x, which turns the number into text and can lose digits."""
    equal_above = f"+SUMPRODUCT(({above}={asked})*1)" if above is not None else ""
    return (f'=IF({asked}>{tolerance},SUMPRODUCT(({column}>{asked})*1){equal_above}+1,0)')


def asked_formula(fair_share: str, secured_fair_share: str) -> str:
    """The share asked of a payer: its fair share of the larger of the secured and planned
    shortfalls (its weight is the same in both, so the larger of its two shares); 0 where it has
    none."""
    return (f"=IF(ISNUMBER({fair_share}),MAX({fair_share},{secured_fair_share}),0)")


def ranks(results: Results) -> dict[str, int]:
    """The cached side of :func:`rank_formula`: each stakeholder's place in "who pays" (1 = the
    largest share asked; 0 where it is asked nothing), as :func:`who_pays` orders them."""
    _, shares = who_pays(results)
    place = {sid: k for k, (sid, _) in enumerate(shares, start=1)}
    return {sid: place.get(sid, 0) for sid in results.stakeholders}
