"""The decision view for the terminal: the answers side by side, the funding plan per payer and
the sources at risk, money rounded for reading."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from labfinance.analysis.answers import ANSWERS, CASES
from labfinance.engine.timeline import ZERO
from labfinance.outputs.terminal import analysis_lines, summary_lines
from labfinance.outputs.verdict import Words, percent, verdict
from labfinance.texts import Texts

if TYPE_CHECKING:
    from labfinance.analysis.run import Analysis

# the terminal's words: term.case.*, term.answer.*


def price_basis(analysis: Analysis, w: Words | None = None) -> str:
    s, t = analysis.scenario, (w or Words()).t
    return (t("summary.basis_real", currency=s.currency, year=s.start_year) if s.prices == "real"
            else t("summary.basis_nominal", currency=s.currency))


def _cell(value: Any, answer: str, currency: str, w: Words) -> str:
    if value is None:
        return w.t("value.none") if answer == "first_shortfall_year" else w.t("value.na")
    return str(value) if answer == "first_shortfall_year" else w.money(value, currency)


def answer_lines(analysis: Analysis, w: Words | None = None) -> list[str]:
    w = w or Words()
    t = w.t
    cur = analysis.scenario.currency
    cases = [c for c in CASES if c in analysis.answers]
    head = t("term.answers", basis=price_basis(analysis, w))
    cells = {c: [_cell(analysis.answers[c][a], a, cur, w) for a in ANSWERS] for c in cases}
    heads = {c: t(f"term.case.{c}") for c in cases}
    # columns of 15, wider where a language's words need it (they never run together)
    width = max([15] + [len(x) + 2 for c in cases for x in (*cells[c], heads[c])])
    lines = [f"  {head:<34}" + "".join(f"{heads[c]:>{width}}" for c in cases)]
    for i, answer in enumerate(ANSWERS):
        lines.append(f"    {t(f'term.answer.{answer}'):<30}" + "".join(
            f"{cells[c][i]:>{width}}" for c in cases))
    return lines


def plan_lines(analysis: Analysis, w: Words | None = None) -> list[str]:
    """Payers × the years that need new money, from the planned case's plan."""
    w = w or Words()
    t = w.t
    r, s = analysis.results, analysis.scenario
    cur = s.currency
    top_up = r.ledger["top_up"][0]
    years = [k for k in range(s.years) if top_up[k] > ZERO]
    payers = [(sid, f) for sid, f in r.stakeholders.items()
              if not np.all(np.isnan(f["plan"][0])) and np.nansum(f["plan"][0]) > ZERO]
    if not years:
        return ["  " + t("term.plan_none")]
    if not payers:
        return ["  " + t("term.plan_no_payer", money=w.money(float(top_up.sum()), cur))]
    rows = [(s.stakeholders[sid].name or sid, f["plan"][0]) for sid, f in payers]
    rows.append((t("term.all_payers"), top_up))
    money = [[w.money(values[k], cur) for k in years] + [w.money(float(values.sum()), cur)]
             for _, values in rows]
    width = max([11] + [len(x) + 1 for line in money for x in line])  # 11, or what fits
    lines = ["  " + t("term.plan", basis=price_basis(analysis, w)),
             "    " + f"{t('term.payer'):<26}" + "".join(f"{r.years[k]:>{width}}" for k in years)
             + f"{t('term.total'):>{width}}"]
    for (name, _), shown in zip(rows, money, strict=True):
        lines.append(f"    {name[:25]:<26}" + "".join(f"{x:>{width}}" for x in shown))
    secured = float(r.ledger["secured_top_up"][0].sum())
    if secured > float(top_up.sum()) + ZERO:
        lines.append("    " + t("term.plan_secured", money=w.money(secured, cur)))
    return lines


def sources_lines(analysis: Analysis, w: Words | None = None) -> list[str]:
    w = w or Words()
    t = w.t
    cur = analysis.scenario.currency
    if not analysis.sources_at_risk:
        return []
    lines = ["  " + t("term.sources")]
    for item in analysis.sources_at_risk:
        year = item["first_shortfall_year_without"]
        short = item["shortfall_without"] or 0.0
        if short > 0:
            without = t("term.without_short", money=w.money(short, cur)) + (
                t("term.without_from", year=year) if year else "")
        elif year is not None:
            without = t("term.without_bridge", year=year)
        else:
            without = t("term.without_covers")
        lines.append("    " + t("term.source", name=item["name"], status=t.word(item["status"]),
                                   probability=percent(item["probability"]),
                                   money=w.money(item["amount"], cur), without=without))
    return lines


def decision_lines(analysis: Analysis, w: Words | None = None) -> list[str]:
    return [*answer_lines(analysis, w), *plan_lines(analysis, w), *sources_lines(analysis, w)]


def analysis_verdict(analysis: Analysis, w: Words | None = None) -> str:
    """The decision in the spec's order: secured, planned, risk, societal, who pays (in English,
    as the JSON holds it, unless ``w`` says otherwise)."""
    return verdict(analysis.results, analysis.monte_carlo, analysis.answers.get("likely"),
                   analysis.answers.get("prudent"), w)


def terminal_lines(analysis: Analysis, lang: str = "en") -> list[str]:
    """The terminal summary in language ``lang``: the verdict first, the title, the answers, the
    plan and the sources at risk, then the figures and the analyses."""
    w = Words(Texts(lang), localised=True)
    figures = summary_lines(analysis.results, w)
    return [analysis_verdict(analysis, w), figures[0], *decision_lines(analysis, w),
            *figures[1:], *analysis_lines(analysis, w)]


def decision_json(analysis: Analysis) -> dict[str, Any]:
    """The JSON sections of the decision view: ``verdict``, ``answers``, ``sources_at_risk``."""
    return {"verdict": analysis_verdict(analysis), "answers": analysis.answers,
            "sources_at_risk": analysis.sources_at_risk}
