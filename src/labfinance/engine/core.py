"""Scenario -> Results: the yearly ledger, the financing and the appraisal. Pure, no I/O.

Every array has a leading draws axis and the years last: ``(draws, years)``. A base case is one
draw; sensitivity and Monte Carlo pass :class:`~labfinance.engine.parameters.Parameters` holding
arrays
of values and, for Monte Carlo, which non-committed funding sources each draw awards. The same
code computes them all.

Conventions (``docs/scenario-format.md``): costs are positive; money is in prices of
``start_year`` times each item's price factor; cash rows hold only money inside the horizon; the
first year is not discounted; the financial case is discounted at ``discount_rate`` and the
societal case at ``social_discount_rate`` (both real, made nominal in nominal prices); IRRs and
MIRRs are reported in real terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labfinance.engine import decision, finance
from labfinance.engine import metrics as fm
from labfinance.engine.catalogue import EU_METRICS
from labfinance.engine.financing import FundingFlows, SourceWorkings, funding_flows
from labfinance.engine.lineitems import (
    BenefitLine,
    Case,
    CostLine,
    benefit_lines,
    left_out_lines,
)
from labfinance.engine.linesums import LineSums
from labfinance.engine.parameters import Parameters
from labfinance.engine.reuse import case_cost_lines, reused_cost_lines
from labfinance.engine.risks import RiskLine, risk_lines
from labfinance.engine.stakeholders import stakeholder_totals, stakeholders
from labfinance.engine.sums import add_up, running
from labfinance.engine.threads import one_blas_thread
from labfinance.engine.timeline import ZERO, case_rate
from labfinance.model.scenario import Scenario

__all__ = ["LEDGER_ROWS", "NOMINAL_ROWS", "Results", "evaluate", "stakeholder_totals"]

LEDGER_ROWS = (
    "costs", "funding", "revenue", "loan_in", "debt_service", "net_cash", "cumulative_cash",
    "benefits", "cash_releasing_benefits", "residual_value", *decision.LEDGER_ROWS,
)
# only where prices are real and inflation is not 0: the top-ups in cash of the day
NOMINAL_ROWS = decision.NOMINAL_ROWS


@dataclass
class Cash:
    """The cash position of one selection of sources: its funding flows, net cash and
    cumulative cash by year."""

    flows: FundingFlows
    net_cash: np.ndarray
    cumulative_cash: np.ndarray


@dataclass
class Appraisal:
    """The workings of the financial and societal cases: rates, discount factors, the flows
    whose NPV and IRR are taken, the running totals behind payback, and the present values
    behind the funding-gap rate and the benefit-cost ratio. Arrays keep the draws axis."""

    financial_rate: np.ndarray            # (draws,) the case rate: real, or nominal in nominal
    social_rate: np.ndarray
    financial_factors: np.ndarray         # (1 or draws, years)
    social_factors: np.ndarray
    financial_flows: np.ndarray           # revenue + residual - costs, half a cent counted as 0
    economic_flows: np.ndarray            # benefits + residual - costs, the same
    net_benefit: np.ndarray               # benefits - costs (payback leaves residual value out)
    cumulative_net_benefit: np.ndarray
    discounted_net_benefit: np.ndarray
    cumulative_discounted_net_benefit: np.ndarray
    investment: np.ndarray                # capex before contingency, first purchases (for DIC)
    before_contingency: np.ndarray        # all costs before contingency
    other_costs: np.ndarray               # before_contingency - investment
    dic: np.ndarray                       # (draws,) present values at the financial rate ...
    pv_revenue: np.ndarray
    pv_other_costs: np.ndarray
    pv_residual: np.ndarray
    dnr: np.ndarray
    pv_costs: np.ndarray                  # ... and at the social rate
    pv_gains: np.ndarray
    shortfall_years: np.ndarray           # the year where cumulative cash is below 0, else 0
    below_years: np.ndarray               # ... cumulative net benefit below 0
    below_discounted_years: np.ndarray    # ... cumulative discounted net benefit below 0
    # declining social rates (format 1.2): each year's case rate r_t; None for one rate
    social_rate_by_year: np.ndarray | None = None


@dataclass
class Workings:
    """Every number the workbook shows beside the ledger, as the engine computed it: the line
    items, the cash of both selections (``planned``: every source with a probability above 0;
    ``secured``: committed sources only) and the appraisal."""

    costs: list[CostLine]
    benefits: list[BenefitLine]
    planned: Cash
    secured: Cash
    appraisal: Appraisal
    left_out: list[CostLine] = field(default_factory=list)  # in-kind amounts at probability 0
    risks: list[RiskLine] = field(default_factory=list)  # the risk register (format 1.2)

    def cost(self, cost_id: str) -> CostLine:
        return next(line for line in self.costs if line.id == cost_id)

    def benefit(self, benefit_id: str) -> BenefitLine:
        return next(line for line in self.benefits if line.id == benefit_id)

    def source(self, source_id: str, secured: bool = False) -> SourceWorkings:
        return (self.secured if secured else self.planned).flows.sources[source_id]


@dataclass
class Results:
    """What the engine reports for one scenario over ``draws`` rows.

    ``ledger`` and ``lines`` (costs and benefits with ``detail=True``) hold ``(draws, years)``
    arrays; ``metrics`` and the stakeholder figures ``(draws,)`` arrays with NaN where a metric
    is undefined (``notes`` says why, for the first draw). ``workings`` (with ``detail=True``)
    holds every number the workbook shows.
    """

    scenario: Scenario
    years: list[int]
    draws: int
    ledger: dict[str, np.ndarray]
    lines: dict[str, dict[str, np.ndarray]]
    metrics: dict[str, np.ndarray]
    stakeholders: dict[str, dict[str, np.ndarray]]
    warnings: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    workings: Workings | None = None
    irr_roots: dict[str, list[float]] = field(default_factory=dict)
    represented_by: dict[str, str | None] = field(default_factory=dict)  # None for a payer
    # format 1.2: each loan's interest, principal and balance by year, as in the planned case
    loans: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def _rate_and_factors(rate: Any, D: int, Y: int) -> tuple[np.ndarray, np.ndarray]:
    """A case rate as a ``(draws,)`` array, and its discount factors ``(1 or draws, years)``."""
    column = np.asarray(rate, dtype=float).reshape(-1)
    return np.broadcast_to(column, (D,)), fm.discount_factors(column, Y)


def declining_rate_and_factors(c: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Declining social rates (format 1.2): the first step's case rate as ``(draws,)`` (where
    EIRR starts its search), the factors ``D_t = D_(t-1) / (1 + r_t)`` and the rates r_t by year,
    each step's rate made nominal in nominal prices as a single rate is."""
    steps = c.s.social_discount_steps
    assert steps is not None
    rates = [case_rate(c.P.get(f"social_discount_rate.{k}.rate", rate), c.inflation, c.nominal)
             for k, (_, rate) in enumerate(steps)]
    by_year = finance.step_rates([start for start, _ in steps], rates, c.Y)
    first = np.asarray(rates[0], dtype=float).reshape(-1)
    return (np.broadcast_to(first, (c.D,)), finance.declining_discount_factors(by_year),
            by_year)


def _present_value(values: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """PV of ``(draws, years)`` values with ``(1 or draws, years)`` discount factors."""
    if factors.shape[0] == 1:
        return np.asarray(values, dtype=float) @ factors[0]
    return np.einsum("dy,dy->d", values, factors)


_zero_small = finance.zero_small
_shortfall = finance.shortfall


def _year_or_nan(index: np.ndarray, start_year: int) -> np.ndarray:
    return np.where(index >= 0, index + start_year, np.nan).astype(float)


def evaluate(scenario: Scenario, params: Parameters | None = None,
             awarded: Mapping[str, np.ndarray] | None = None, *, detail: bool = True,
             rates: bool = True, happens: Mapping[str, np.ndarray] | None = None) -> Results:
    """Evaluate a scenario for every draw of ``params`` (one draw: the base case).

    ``awarded`` maps a non-committed source id to a ``(draws,)`` boolean array of the draws that
    award it (Monte Carlo); by default every source with a probability above 0 takes part.
    ``detail=False`` skips the stakeholders, workings and top-up rows; ``rates=False`` skips
    the IRRs and MIRR (NaN), which sensitivity searches do not need. ``happens`` maps a risk id to a
    ``(draws, years)`` 0/1 array of the years in which its event happens (Monte Carlo); without
    it each risk costs its expected cost.
    """
    # amounts near the float limit overflow to inf; they then read as null, not as a warning
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), one_blas_thread():
        return _evaluate(scenario, params, awarded, detail, rates, happens)


def _evaluate(scenario: Scenario, params: Parameters | None,
              awarded: Mapping[str, np.ndarray] | None, detail: bool, rates: bool,
              happens: Mapping[str, np.ndarray] | None = None) -> Results:
    s = scenario
    P = params or Parameters()
    c = Case(s, P)
    D, Y = c.D, c.Y
    costs = reused_cost_lines(c)
    sums = LineSums(costs, case_cost_lines(s))
    benefits = benefit_lines(c)
    risks = risk_lines(c, happens)

    def part(f: Any, secured: bool) -> Any:
        if f.award_probability <= 0 or (secured and not f.committed):
            return 0.0
        if awarded is not None and f.id in awarded and not f.committed:
            return np.asarray(awarded[f.id], dtype=float).reshape(D, 1)
        return 1.0

    def wide(x: Any) -> np.ndarray:
        """From here on every series has all draws: ``(draws, years)`` (a read-only view, no
        copy; one already that shape is viewed as it is, twenty times quicker than numpy's
        broadcast_to, which the 2,000 lines of a large case paid on every detailed call)."""
        if isinstance(x, np.ndarray) and x.shape == (D, Y):
            view = x.view()
            view.flags.writeable = False
            return view
        return np.broadcast_to(x, (D, Y))

    def wide1(x: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, dtype=float).reshape(-1), (D,))

    def widen(f: FundingFlows) -> FundingFlows:
        return FundingFlows({k: wide(v) for k, v in f.lines.items()}, wide(f.funding),
                            wide(f.revenue), wide(f.loan_in), wide(f.debt_service),
                            wide1(f.receivable), wide1(f.debt_outstanding), f.sources,
                            f.net_of_in_kind, f.due_after,
                            {i: {k: wide(v) for k, v in rows.items()}
                             for i, rows in f.loans.items()})

    everything = widen(funding_flows(c, costs, benefits, {f.id: part(f, False) for f in s.funding},
                                     sums, workings=detail))
    secured = widen(funding_flows(c, costs, benefits, {f.id: part(f, True) for f in s.funding},
                                  sums, workings=detail))

    # risk lines add to the costs, but no source covers them (engine/risks.py); without any,
    # the cost lines' sum reuses the case's (engine/linesums.py), bit for bit the same
    cost_row = wide(add_up([*(line.cost for line in costs), *(line.cost for line in risks)],
                           (Y,)) if risks else sums.total("cost", lambda line: line.cost, (Y,)))
    benefit_row = wide(add_up((b.value for b in benefits), (Y,)))
    cash_releasing_row = wide(add_up((b.value for b in benefits if b.cash_releasing), (Y,)))
    residual = wide1(sums.total("residual", lambda line: line.residual, ()))
    residual_row = np.zeros((D, Y))
    residual_row[:, -1] = residual

    def cash(f: FundingFlows) -> tuple[np.ndarray, np.ndarray]:
        net = f.funding + f.revenue + f.loan_in - f.debt_service - cost_row
        return net, running(np.add, net)

    net_cash, cumulative = cash(everything)
    secured_net_cash, secured_cumulative = cash(secured)
    ledger = {
        "costs": cost_row, "funding": everything.funding, "revenue": everything.revenue,
        "loan_in": everything.loan_in, "debt_service": everything.debt_service,
        "net_cash": net_cash, "cumulative_cash": cumulative, "benefits": benefit_row,
        "cash_releasing_benefits": cash_releasing_row, "residual_value": residual_row,
    }

    discount = P.get("discount_rate", s.discount_rate)
    financial_rate, financial_df = _rate_and_factors(
        case_rate(discount, c.inflation, c.nominal), D, Y)
    # where the file gives no social rate it follows the discount rate, moved or not
    social_by_year = None
    if s.social_discount_steps is None:
        social = P.get("social_discount_rate",
                       discount if s.social_discount_rate is None else s.social_discount_rate)
        social_rate, social_df = _rate_and_factors(case_rate(social, c.inflation, c.nominal),
                                                   D, Y)
    else:
        social_rate, social_df, social_by_year = declining_rate_and_factors(c)
    inflation = np.broadcast_to(c.inflation if c.nominal else 0.0, (D, 1))[:, 0]
    inflation_of_case = np.broadcast_to(np.asarray(c.inflation, dtype=float).reshape(-1), (D,))

    m: dict[str, np.ndarray] = {}
    notes: dict[str, str] = {}
    warnings: list[str] = []
    m["total_cost"] = cost_row.sum(axis=-1)
    m["expected_risk_cost"] = wide1(add_up((line.expected.sum(axis=-1) for line in risks), ()))
    m["total_funding"] = (everything.funding + everything.revenue).sum(axis=-1)
    m["receivable_after_horizon"] = _zero_small(everything.receivable)
    m["debt_outstanding"] = _zero_small(everything.debt_outstanding)
    m["funding_shortfall"] = _shortfall(cumulative[:, -1], everything.receivable,
                                        everything.debt_outstanding)
    m["secured_funding_shortfall"] = _shortfall(secured_cumulative[:, -1], secured.receivable,
                                                secured.debt_outstanding)
    m["peak_cash_need"] = _zero_small(np.maximum(0.0, -cumulative.min(axis=-1)))
    m["first_shortfall_year"] = _year_or_nan(fm.first_index_below(cumulative, -ZERO), s.start_year)
    decided = decision.decision_view(s, cumulative, secured_cumulative, everything.lines, m,
                                     inflation_of_case, with_rows=detail)
    ledger.update(decided.rows)
    m.update(decided.metrics)

    financial = _zero_small(everything.revenue + residual_row - cost_row)
    m["financial_npv"] = _present_value(financial, financial_df)
    no_rate = fm.IrrResult(np.full(D, np.nan), np.zeros(D, dtype=int))
    firr = fm.irr(financial, financial_rate, count_roots=detail) if rates else no_rate
    m["financial_irr"] = fm.real_rate_from_nominal(firr.rate, inflation)
    m["financial_mirr"] = (fm.real_rate_from_nominal(
        fm.mirr_discounted(financial, financial_df, financial_df), inflation)
        if rates else no_rate.rate)
    gap = _funding_gap(costs, sums, everything.revenue, residual_row, financial_df)
    m["funding_gap_rate"] = (finance.funding_gap_rate(gap["dic"], gap["dnr"])
                             if any(line.category == "capex" for line in costs)
                             else np.full(D, np.nan))
    m.update(_decision_amount(s, P, gap, m["funding_gap_rate"], D))

    economic = _zero_small(benefit_row + residual_row - cost_row)
    m["economic_npv"] = _present_value(economic, social_df)
    eirr = fm.irr(economic, social_rate, count_roots=detail) if rates else no_rate
    m["economic_irr"] = fm.real_rate_from_nominal(eirr.rate, inflation)
    pv_costs = _present_value(cost_row, social_df)
    pv_gains = _present_value(benefit_row + residual_row, social_df)
    m["bcr"] = finance.benefit_cost_ratio(pv_gains, pv_costs)
    yearly_net = benefit_row - cost_row
    cumulative_net = running(np.add, yearly_net)
    m["payback_year"] = _year_or_nan(fm.payback_year_index(cumulative_net, ZERO), s.start_year)
    discounted = yearly_net * social_df
    cumulative_discounted = running(np.add, discounted)
    m["discounted_payback_year"] = _year_or_nan(
        fm.payback_year_index(cumulative_discounted, ZERO), s.start_year)

    # views of every cost line cost ~50 ms a call at 2,000 lines: made only with detail
    lines = {"costs": {line.id: wide(line.cost) for line in costs} if detail else {},
             "funding": everything.lines,
             "benefits": {b.id: wide(b.value) for b in benefits} if detail else {}}
    if s.risks:  # format 1.2: each event's expected cost per year
        lines["risks"] = {line.id: wide(line.expected) for line in risks} if detail else {}
    results = Results(s, s.calendar_years, D, ledger, lines, m, {}, warnings, notes,
                      loans=everything.loans)
    if detail:
        who = stakeholders(s, everything.lines, benefits,
                           lambda v: _present_value(v, social_df), m, ledger)
        results.stakeholders, results.represented_by = who.figures, who.represented_by
        warnings += who.warnings
        notes.update(decided.notes)
        notes.update(who.notes)
        _explain(results, financial, economic, firr, eirr)
        results.workings = Workings(
            costs, benefits, Cash(everything, net_cash, cumulative),
            Cash(secured, secured_net_cash, secured_cumulative),
            Appraisal(financial_rate, social_rate, financial_df, social_df, financial, economic,
                      yearly_net, cumulative_net, discounted, cumulative_discounted,
                      gap["investment"], gap["before"], gap["other"], gap["dic"],
                      gap["pv_revenue"], gap["pv_other"], gap["pv_residual"], gap["dnr"],
                      pv_costs, pv_gains,
                      finance.year_if_below(s.calendar_years, cumulative),
                      finance.year_if_below(s.calendar_years, cumulative_net),
                      finance.year_if_below(s.calendar_years, cumulative_discounted),
                      social_by_year),
            left_out_lines(c), risks)
    return results


def _funding_gap(costs: list[CostLine], sums: LineSums, revenue: np.ndarray,
                 residual_row: np.ndarray, factors: np.ndarray) -> dict[str, np.ndarray]:
    """The workings of the EU funding-gap rate (Reg. 480/2014 art. 15-19), contingency
    excluded: investment cost (capex less the repurchases `life` makes), other costs, DIC, DNR."""
    Y = revenue.shape[-1]
    investment = sums.total("investment", lambda line: line.investment, (Y,),
                            lambda line: line.category == "capex")
    before = sums.total("before", lambda line: line.before_contingency, (Y,))
    other = before - investment
    pv = {"dic": _present_value(investment, factors),
          "pv_revenue": _present_value(revenue, factors),
          "pv_other": _present_value(other, factors),
          "pv_residual": _present_value(residual_row, factors)}
    dnr = finance.discounted_net_revenue(pv["pv_revenue"], pv["pv_other"], pv["pv_residual"])
    return {"investment": investment, "before": before, "other": other, "dnr": dnr, **pv}


# ---- format 1.2: the EU decision amount (issue 15) -----------------------------------------


def _decision_amount(s: Scenario, P: Parameters, gap: dict[str, np.ndarray],
                     gap_rate: np.ndarray, D: int) -> dict[str, np.ndarray]:
    """DIC and DNR (the PVs behind the funding-gap rate, always reported) and, where the file
    gives ``eu_cofinancing_rate``, the eligible cost, decision amount and maximum EU grant
    (Reg. 480/2014 arts. 15-19); NaN without it (those metrics are then not reported)."""
    out = {"dic": np.broadcast_to(gap["dic"], (D,)), "dnr": np.broadcast_to(gap["dnr"], (D,))}
    if s.eu_cofinancing_rate is None:
        return out | dict.fromkeys(EU_METRICS, np.full(D, np.nan))
    cofinancing = P.get("eu_cofinancing_rate", s.eu_cofinancing_rate)
    eligible = np.broadcast_to(finance.eligible_cost(gap["investment"]), (D,))
    decided = finance.decision_amount(eligible, gap_rate)
    return out | {"eligible_cost": eligible, "decision_amount": decided,
                  "max_eu_grant": np.broadcast_to(
                      finance.max_eu_grant(decided, np.asarray(cofinancing).reshape(-1)), (D,))}


def _explain(r: Results, financial: np.ndarray, economic: np.ndarray, firr: Any, eirr: Any
             ) -> None:
    """Reasons for undefined metrics and warnings, for the first draw (the base case)."""
    m, notes, warnings = r.metrics, r.notes, r.warnings
    cur = r.scenario.currency

    def first(name: str) -> float:
        return float(m[name][0])

    for name, flows, result in (("financial_irr", financial, firr),
                                ("economic_irr", economic, eirr)):
        row = flows[0]
        if np.isnan(first(name)):
            notes[name] = ("the cash flows never change sign, so no rate makes their NPV zero"
                           if not (np.any(row > ZERO) and np.any(row < -ZERO))
                           else "no rate above -100 % makes the NPV zero")
        elif int(result.n_roots[0]) > 1:
            roots = fm.irr_roots(row)
            r.irr_roots[name] = roots
            shown = ", ".join(f"{x:.4%}" for x in roots)
            warnings.append(f"{name} has several solutions ({shown}); the one nearest the discount "
                            f"rate is reported. Read the NPV instead.")
    if np.isnan(first("financial_mirr")):
        notes["financial_mirr"] = ("the financial cash flows need both a negative and a positive "
                                   "year for a MIRR")
    if np.isnan(first("funding_gap_rate")):
        notes["funding_gap_rate"] = ("the scenario has no capex, so there is no investment cost "
                                     "(DIC)")
    if r.scenario.eu_cofinancing_rate is not None and np.isnan(first("decision_amount")):
        notes["decision_amount"] = notes["max_eu_grant"] = (
            "the funding-gap rate is null (no capex), so there is no decision amount")
    if np.isnan(first("bcr")):
        notes["bcr"] = "the scenario has no costs, so benefits cannot be divided by them"
    if np.isnan(first("first_shortfall_year")):
        notes["first_shortfall_year"] = "cash never runs short inside the horizon"
    if np.isnan(first("payback_year")):
        notes["payback_year"] = "cumulative benefits less costs end the horizon below zero"
    if np.isnan(first("discounted_payback_year")):
        notes["discounted_payback_year"] = ("discounted cumulative benefits less costs end the "
                                            "horizon below zero")
    if first("receivable_after_horizon") > ZERO:
        warnings.append(f"{cur} {first('receivable_after_horizon'):,.0f} of grant or outcome "
                        "money falls due after the horizon; it is counted against the shortfall "
                        "but not in the cash rows.")
    if first("debt_outstanding") > ZERO:
        warnings.append(f"{cur} {first('debt_outstanding'):,.0f} of loan principal is still "
                        "owed at the end of the horizon.")


def recorded_parameters(scenario: Scenario) -> dict[str, float]:
    """Every path the engine reads as a number in a base case, with its value.

    :func:`labfinance.model.parameters.numeric_parameters` lists the same from the model (the
    tests check they agree); this is the engine's side of that check.
    """

    params = Parameters(record=True)
    evaluate(scenario, params, detail=False, rates=False)  # every parameter is read before these
    assert params.recorded is not None
    return dict(params.recorded)
