"""The decision view for the terminal: the answers side by side, the funding plan per payer and
the sources at risk, money rounded for reading."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from labfinance.analysis.answers import ANSWERS, CASES
from labfinance.engine.timeline import ZERO
from labfinance.outputs.terminal import analysis_lines, money, summary_lines
from labfinance.outputs.verdict import percent, verdict

if TYPE_CHECKING:
    from labfinance.analysis.run import Analysis

CASE_HEADS = {"secured": "secured", "planned": "planned", "likely": "likely (P50)",
              "prudent": "prudent (P80)"}
ANSWER_LABELS = {"first_shortfall_year": "first year short of cash",
                 "funding_shortfall": "funding shortfall",
                 "shortfall_per_year": "shortfall per year",
                 "peak_cash_need": "peak cash need"}


def price_basis(analysis: Analysis) -> str:
    s = analysis.scenario
    return (f"{s.currency}, {s.start_year} prices" if s.prices == "real"
            else f"{s.currency}, cash of the day")


def _cell(value: Any, answer: str, currency: str) -> str:
    if value is None:
        return "none" if answer == "first_shortfall_year" else "n/a"
    return str(value) if answer == "first_shortfall_year" else money(value, currency)


def answer_lines(analysis: Analysis) -> list[str]:
    cur = analysis.scenario.currency
    cases = [c for c in CASES if c in analysis.answers]
    lines = [f"  {'answers (' + price_basis(analysis) + ')':<34}"
             + "".join(f"{CASE_HEADS[c]:>15}" for c in cases)]
    for answer in ANSWERS:
        lines.append(f"    {ANSWER_LABELS[answer]:<30}" + "".join(
            f"{_cell(analysis.answers[c][answer], answer, cur):>15}" for c in cases))
    return lines


def plan_lines(analysis: Analysis) -> list[str]:
    """Payers × the years that need new money, from the planned case's plan."""
    r, s = analysis.results, analysis.scenario
    cur = s.currency
    top_up = r.ledger["top_up"][0]
    years = [t for t in range(s.years) if top_up[t] > ZERO]
    payers = [(sid, f) for sid, f in r.stakeholders.items()
              if not np.all(np.isnan(f["plan"][0])) and np.nansum(f["plan"][0]) > ZERO]
    if not years:
        return ["  funding plan: no new money needed if every expected source pays"]
    if not payers:
        return [f"  funding plan: new money of {money(float(top_up.sum()), cur)} is needed, but "
                "no payer gains, so there is nothing to share it by"]
    lines = [f"  funding plan, new money per year if every expected source pays "
             f"({price_basis(analysis)}):",
             "    " + f"{'payer':<26}" + "".join(f"{r.years[t]:>11}" for t in years)
             + f"{'total':>11}"]
    for sid, f in payers:
        plan = f["plan"][0]
        name = s.stakeholders[sid].name or sid
        lines.append(f"    {name[:25]:<26}" + "".join(f"{money(plan[t], cur):>11}"
                                                      for t in years)
                     + f"{money(float(plan.sum()), cur):>11}")
    lines.append(f"    {'all payers':<26}" + "".join(f"{money(top_up[t], cur):>11}" for t in years)
                 + f"{money(float(top_up.sum()), cur):>11}")
    secured = float(r.ledger["secured_top_up"][0].sum())
    if secured > float(top_up.sum()) + ZERO:
        lines.append(f"    on committed sources alone the payers would need to put in "
                     f"{money(secured, cur)} in all")
    return lines


def sources_lines(analysis: Analysis) -> list[str]:
    cur = analysis.scenario.currency
    if not analysis.sources_at_risk:
        return []
    lines = ["  sources at risk (not yet committed):"]
    for item in analysis.sources_at_risk:
        year = item["first_shortfall_year_without"]
        short = item["shortfall_without"] or 0.0
        if short > 0:
            without = f"shortfall {money(short, cur)}" + (f" from {year}" if year else "")
        elif year is not None:
            without = f"short from {year} until money due later arrives"
        else:
            without = "cash covers every year"
        lines.append(f"    {item['name']} ({item['status']}, {percent(item['probability'])}): "
                     f"{money(item['amount'], cur)}; without it {without}")
    return lines


def decision_lines(analysis: Analysis) -> list[str]:
    return [*answer_lines(analysis), *plan_lines(analysis), *sources_lines(analysis)]


def analysis_verdict(analysis: Analysis) -> str:
    """The decision in the spec's order: secured, planned, risk, societal, who pays."""
    return verdict(analysis.results, analysis.monte_carlo, analysis.answers.get("likely"),
                   analysis.answers.get("prudent"))


def terminal_lines(analysis: Analysis, lang: str = "en") -> list[str]:
    """The terminal summary: the verdict first, the title, the answers, the plan and the sources
    at risk, then the figures, the warnings and the analyses."""
    figures = summary_lines(analysis.results)
    return [analysis_verdict(analysis), figures[0], *decision_lines(analysis), *figures[1:],
            *analysis_lines(analysis)]


def decision_json(analysis: Analysis) -> dict[str, Any]:
    """The JSON sections of the decision view: ``verdict``, ``answers``, ``sources_at_risk``."""
    return {"verdict": analysis_verdict(analysis), "answers": analysis.answers,
            "sources_at_risk": analysis.sources_at_risk}
