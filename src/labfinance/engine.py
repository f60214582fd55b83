"""Scenario -> Results: the yearly ledger, the financing and the appraisal. Pure, no I/O.

Every array has a leading draws axis and the years last: ``(draws, years)``. A base case is one
draw; sensitivity and Monte Carlo pass :class:`~labfinance.parameters.Parameters` holding arrays
of values and, for Monte Carlo, which non-committed funding sources each draw awards. The same
code computes them all.

Conventions (``shared/spec/scenario-format.md``): costs are positive; money is in prices of
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

from labfinance import metrics as fm
from labfinance.parameters import Parameters
from labfinance.rules import benefit_first_year, grant_covers, grant_window
from labfinance.scenario import (
    Contribution,
    Grant,
    InKind,
    Loan,
    OutcomePayment,
    Revenue,
    Scenario,
    Timed,
)
from labfinance.timeline import case_rate, price_factor, recurring_mask, year_mask

ZERO = 0.005  # money within half a cent of zero counts as zero

LEDGER_ROWS = (
    "costs", "funding", "revenue", "loan_in", "debt_service", "net_cash", "cumulative_cash",
    "benefits", "cash_releasing_benefits", "residual_value",
)
METRICS = (
    "total_cost", "total_funding", "receivable_after_horizon", "debt_outstanding",
    "funding_shortfall", "secured_funding_shortfall", "peak_cash_need", "first_shortfall_year",
    "financial_npv", "financial_irr", "financial_mirr", "funding_gap_rate", "economic_npv",
    "economic_irr", "bcr", "payback_year", "discounted_payback_year",
)


@dataclass
class Results:
    """What the engine reports for one scenario over ``draws`` rows.

    ``ledger`` and ``lines`` hold ``(draws, years)`` arrays; ``metrics`` and the stakeholder figures
    ``(draws,)`` arrays with NaN where a metric is undefined (``notes`` says why, for the first
    draw). ``detail`` holds the workings (price factors, grant entitlements, net quantities...) that
    the workbook shows beside the ledger.
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
    detail: dict[str, Any] = field(default_factory=dict)
    irr_roots: dict[str, list[float]] = field(default_factory=dict)


class _Case:
    """The scenario, its parameters and the horizon, with helpers shared by every section."""

    def __init__(self, s: Scenario, params: Parameters):
        self.s = s
        self.P = params
        self.D = params.draws
        self.Y = s.years
        self.nominal = s.prices == "nominal"
        self.inflation = params.get("inflation", s.inflation)
        self._inflation_growth: dict[int, Any] = {}

    def full(self, value: Any, n: int | None = None) -> np.ndarray:
        """``value`` as a 2-D ``(1 or draws, n)`` array.

        A series that is the same in every draw stays one row, so that sums of many lines cost
        one row each; only rows that vary by draw are ``draws`` rows long.
        """
        arr = np.asarray(value, dtype=float)
        return arr.reshape(1, -1) if arr.ndim == 1 else arr

    def price(self, path: str, escalation: float, n: int | None = None) -> Any:
        """The item's price factor: its own escalation, times inflation in nominal prices."""
        n = self.Y if n is None else n
        esc = self.P.get(f"{path}.escalation", escalation)
        own = price_factor(esc, 0.0, False, n)
        if not self.nominal:
            return own
        if n not in self._inflation_growth:  # the same for every item: computed once per length
            self._inflation_growth[n] = price_factor(0.0, self.inflation, True, n)
        return own * self._inflation_growth[n]

    def base_amounts(self, path: str, item: Timed) -> Any:
        """Amounts per year in prices of the start year, before price factors."""
        s = self.s
        if item.schedule is not None:
            total: Any = np.zeros(self.Y)
            for year, amount in sorted(item.schedule.items()):
                total = total + self.P.get(f"{path}.schedule.{year}", amount) * year_mask(s, year)
            return total
        amount = self.P.get(f"{path}.amount", item.amount)
        if item.year is not None:
            return amount * year_mask(s, item.year)
        return amount * recurring_mask(s, item)


def _shift(values: np.ndarray, lag: int, n: int) -> np.ndarray:
    """Move a ``(draws, years)`` series ``lag`` years later on a timeline of ``n`` years."""
    out = np.zeros(values.shape[:-1] + (n,))
    out[..., lag:lag + values.shape[-1]] = values
    return out


# ----------------------------------------------------------------------------- costs


@dataclass
class _CostLine:
    id: str
    category: str
    cost: np.ndarray          # ledger cost, contingency included
    before_contingency: np.ndarray
    repurchases: np.ndarray   # the part of before_contingency that `life` buys again
    residual: np.ndarray      # (draws,) value at the end of the horizon
    implied_by: str | None = None  # id of the in-kind source that adds this line


def _costs(c: _Case) -> list[_CostLine]:
    s, P = c.s, c.P
    lines = []
    for item in s.costs:
        path = f"costs.{item.id}"
        pf = c.price(path, item.escalation)
        repurchase_mask = np.zeros(c.Y)
        if item.fte is not None:
            fte = P.get(f"{path}.fte", item.fte)
            base = fte * P.get(f"{path}.cost_per_fte", item.cost_per_fte) * recurring_mask(s, item)
        elif item.year is not None and item.life is not None:
            purchases = np.zeros(c.Y)
            purchases[item.year - s.start_year::item.life] = 1.0
            repurchase_mask = purchases.copy()
            repurchase_mask[item.year - s.start_year] = 0.0
            base = P.get(f"{path}.amount", item.amount) * purchases
        else:
            base = c.base_amounts(path, item)
        top = (f"contingency.{item.category}" if isinstance(s.contingency, dict) else "contingency")
        contingency = P.get(top, s.category_contingency(item.category))
        contingency = P.get(f"{path}.contingency",
                            item.contingency if item.contingency is not None else contingency)
        before = c.full(base * pf)
        residual: Any = np.zeros(1)
        if item.has_residual_value:
            assert item.life is not None
            t = np.arange(c.Y)
            remaining = np.maximum(0, t + item.life - 1 - (c.Y - 1)) / item.life
            residual = (c.full(base) * remaining).sum(axis=-1) * c.full(pf)[:, -1]
        lines.append(_CostLine(item.id, item.category, c.full(before * (1 + contingency)), before,
                               before * repurchase_mask, residual))
    for source in s.funding:
        if isinstance(source, InKind) and source.covers is None and source.award_probability > 0:
            path = f"funding.{source.id}"
            implied = c.full(c.base_amounts(path, source) * c.price(path, source.escalation))
            lines.append(_CostLine(source.id, source.category or "other", implied, implied,
                                   np.zeros((1, c.Y)), np.zeros(1), implied_by=source.id))
    return lines


# ----------------------------------------------------------------------------- benefits


@dataclass
class _BenefitLine:
    id: str
    beneficiary: str
    cash_releasing: bool
    value: np.ndarray          # net benefit per year
    net_quantity: np.ndarray | None
    effect: np.ndarray         # ramp × deductions × drop-off, per year


def _benefits(c: _Case) -> list[_BenefitLine]:
    s, P = c.s, c.P
    lines = []
    for b in s.benefits:
        path = f"benefits.{b.id}"
        t = np.arange(c.Y)
        k = t - (benefit_first_year(b, s) - s.start_year)
        ramp: Any = np.ones(c.Y)
        for i, share in enumerate(b.ramp_up):
            ramp = ramp + (P.get(f"{path}.ramp_up.{i}", share) - 1.0) * (k == i)
        keep = 1.0
        for deduction in ("deadweight", "displacement", "attribution"):
            keep = keep * (1 - P.get(f"{path}.{deduction}", getattr(b, deduction)))
        drop = (1 - P.get(f"{path}.drop_off", b.drop_off)) ** np.maximum(k, 0)
        effect = c.full(ramp * keep * drop)
        pf = c.price(path, b.escalation)
        if b.quantity is not None:
            quantity = P.get(f"{path}.quantity", b.quantity) * recurring_mask(s, b)
            net_quantity = c.full(quantity * effect)
            value = c.full(net_quantity * P.get(f"{path}.unit_value", b.unit_value) * pf)
        else:
            net_quantity = None
            value = c.full(c.base_amounts(path, b) * effect * pf)
        lines.append(_BenefitLine(b.id, b.beneficiary, b.cash_releasing, value, net_quantity,
                                  effect))
    return lines


# ----------------------------------------------------------------------------- funding


@dataclass
class _Funding:
    """Funding cash flows for one choice of which sources take part."""

    lines: dict[str, np.ndarray]        # cash inside the horizon per source (loans: in - service)
    funding: np.ndarray
    revenue: np.ndarray
    loan_in: np.ndarray
    debt_service: np.ndarray
    receivable: np.ndarray              # (draws,) due after the horizon
    debt_outstanding: np.ndarray        # (draws,)
    detail: dict[str, np.ndarray]


def _funding(c: _Case, costs: list[_CostLine], benefits: list[_BenefitLine],
             taking_part: Mapping[str, Any]) -> _Funding:
    """``taking_part[source id]`` is 1.0/0.0 or a ``(draws, 1)`` column of them."""
    s, P, Y = c.s, c.P, c.Y
    zeros = np.zeros((1, Y))
    rows = dict.fromkeys(("funding", "revenue", "loan_in", "debt_service"), zeros)
    receivable: Any = np.zeros(1)
    outstanding: Any = np.zeros(1)
    lines: dict[str, np.ndarray] = {}
    detail: dict[str, np.ndarray] = {}
    cost_by_id = {line.id: line for line in costs}

    # in-kind first: rate-based grants are paid on eligible cost less what in-kind covers
    covered: dict[str, Any] = {line.id: zeros for line in costs}
    for f in s.funding:
        if isinstance(f, InKind):
            inc = taking_part[f.id]
            if f.covers is not None:
                share = P.get(f"funding.{f.id}.share", f.cover_share)
                value = cost_by_id[f.covers].cost * share * inc
                covered[f.covers] = covered[f.covers] + value
            elif f.id in cost_by_id:
                value = cost_by_id[f.id].cost * inc
                covered[f.id] = covered[f.id] + value
            else:  # probability 0: left out everywhere
                value = zeros
            lines[f.id] = c.full(value)

    for f in s.funding:
        path = f"funding.{f.id}"
        inc = taking_part[f.id]
        if isinstance(f, InKind):
            rows["funding"] = rows["funding"] + lines[f.id]
        elif isinstance(f, Contribution | Revenue):
            cash = c.full(c.base_amounts(path, f) * c.price(path, f.escalation) * inc)
            row = "revenue" if isinstance(f, Revenue) else "funding"
            rows[row] = rows[row] + cash
            lines[f.id] = cash
        elif isinstance(f, Grant):
            lag = f.payment.lag
            n = Y + lag
            if f.rate is None:
                due = c.full(c.base_amounts(path, f) * c.price(path, f.escalation))
                paid = _shift(due, lag, n)
            else:
                paid, grant_detail = _rate_grant(c, f, costs, covered, n)
                detail.update({f"grant.{f.id}.{k}": v for k, v in grant_detail.items()})
            paid = paid * inc
            detail[f"grant.{f.id}.paid"] = paid
            lines[f.id] = paid[:, :Y]
            rows["funding"] = rows["funding"] + paid[:, :Y]
            receivable = receivable + paid[:, Y:].sum(axis=-1)
        elif isinstance(f, OutcomePayment):
            target = next(b for b in benefits if b.id == f.benefit)
            assert target.net_quantity is not None
            n = Y + f.lag
            price = P.get(f"{path}.price", f.price) * c.price(path, f.escalation, n)
            due = _shift(target.net_quantity, f.lag, n) * price
            cap = P.get(f"{path}.cap", f.cap) if f.cap is not None else np.inf
            paid = np.diff(np.minimum(np.cumsum(due, axis=-1), cap), axis=-1, prepend=0.0) * inc
            detail[f"outcome.{f.id}.paid"] = paid
            lines[f.id] = paid[:, :Y]
            rows["funding"] = rows["funding"] + paid[:, :Y]
            receivable = receivable + paid[:, Y:].sum(axis=-1)
        elif isinstance(f, Loan):
            loan_in, service, left = _loan(c, f)
            rows["loan_in"] = rows["loan_in"] + loan_in * inc
            rows["debt_service"] = rows["debt_service"] + service * inc
            outstanding = outstanding + left * np.asarray(inc, dtype=float).reshape(-1)
            lines[f.id] = (loan_in - service) * inc
    return _Funding(lines, rows["funding"], rows["revenue"], rows["loan_in"], rows["debt_service"],
                    receivable, outstanding, detail)


def _rate_grant(c: _Case, g: Grant, costs: list[_CostLine], covered: dict[str, np.ndarray],
                n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Entitlement e_t = min(rate × eligible cost_t, cap - earlier e), paid as advance, interim
    instalments ``lag`` years late, and retention after the window's last year."""
    s, P = c.s, c.P
    path = f"funding.{g.id}"
    first, last = grant_window(g, s)
    t0, t1 = first - s.start_year, last - s.start_year
    window = ((np.arange(c.Y) >= t0) & (np.arange(c.Y) <= t1)).astype(float)
    eligible: Any = np.zeros((1, c.Y))
    for line in costs:
        cost_model = next((x for x in s.costs if x.id == line.id), None)
        if cost_model is not None:
            counts = grant_covers(g, cost_model)
        else:  # an in-kind amount's implied cost line
            counts = g.eligible is None or line.id in g.eligible or line.category in g.eligible
        if counts:
            eligible = eligible + line.cost - covered[line.id]
    eligible = eligible * window
    rate = P.get(f"{path}.rate", g.rate)
    cap = P.get(f"{path}.cap", g.cap) if g.cap is not None else np.inf
    cumulative = np.minimum(np.cumsum(rate * eligible, axis=-1), cap)
    entitlement = np.diff(cumulative, axis=-1, prepend=0.0)
    total = cumulative[:, -1:]
    advance = P.get(f"{path}.payment.advance", g.payment.advance)
    retention = P.get(f"{path}.payment.retention", g.payment.retention)
    lag = g.payment.lag
    at = np.eye(n)
    paid = (_shift(entitlement * (1 - advance - retention), lag, n)
            + advance * total * at[t0] + retention * total * at[t1 + lag])
    return paid, {"eligible": eligible, "entitlement": entitlement}


def _loan(c: _Case, loan: Loan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loan in, annuity debt service inside the horizon, principal left at the end."""
    path = f"funding.{loan.id}"
    amount = np.asarray(c.P.get(f"{path}.amount", loan.amount), dtype=float)
    rate = np.asarray(c.P.get(f"{path}.rate", loan.rate), dtype=float)
    term = loan.term
    t0 = loan.year - c.s.start_year
    zero_rate = np.abs(rate) < 1e-12
    safe = np.where(zero_rate, 1.0, rate)
    payment = np.where(zero_rate, amount / term, amount * safe / (1 - (1 + safe) ** -term))
    t = np.arange(c.Y)
    paying = ((t > t0) & (t <= t0 + term)).astype(float)
    service = c.full(payment * paying)
    loan_in = c.full(amount * (t == t0))
    k = min(term, c.Y - 1 - t0)
    left = np.where(zero_rate, amount - k * amount / term,
                    amount * (1 + safe) ** k - payment * ((1 + safe) ** k - 1) / safe)
    left = np.where(np.abs(left) < ZERO, 0.0, left)
    return loan_in, service, left.reshape(-1)


# ----------------------------------------------------------------------------- metrics


def _rate_and_factors(rate: Any, D: int, Y: int) -> tuple[np.ndarray, np.ndarray]:
    """A case rate as a ``(draws,)`` array, and its discount factors ``(1 or draws, years)``."""
    column = np.asarray(rate, dtype=float).reshape(-1)
    factors = (1 + column)[:, None] ** -np.arange(Y, dtype=float)
    return np.broadcast_to(column, (D,)), factors


def _present_value(values: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """PV of ``(draws, years)`` values with ``(1 or draws, years)`` discount factors."""
    if factors.shape[0] == 1:
        return np.asarray(values, dtype=float) @ factors[0]
    return np.einsum("dy,dy->d", values, factors)


def _zero_small(x: np.ndarray) -> np.ndarray:
    return np.where(np.abs(x) < ZERO, 0.0, x)


def _shortfall(cumulative_last: np.ndarray, receivable: np.ndarray,
               outstanding: np.ndarray) -> np.ndarray:
    return _zero_small(np.maximum(0.0, -(cumulative_last + receivable - outstanding)))


def _year_or_nan(index: np.ndarray, start_year: int) -> np.ndarray:
    return np.where(index >= 0, index + start_year, np.nan).astype(float)


def evaluate(scenario: Scenario, params: Parameters | None = None,
             awarded: Mapping[str, np.ndarray] | None = None, *, detail: bool = True,
             rates: bool = True) -> Results:
    """Evaluate a scenario for every draw of ``params`` (one draw: the base case).

    ``awarded`` maps a non-committed source id to a ``(draws,)`` boolean array of the draws that
    award it (Monte Carlo); by default every source with a probability above 0 takes part.
    ``detail=False`` skips the stakeholders and workings; ``rates=False`` skips the IRRs and
    MIRR (NaN), which sensitivity searches do not need.
    """
    # amounts near the float limit overflow to inf; they then read as null, not as a warning
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _evaluate(scenario, params, awarded, detail, rates)


def _evaluate(scenario: Scenario, params: Parameters | None,
              awarded: Mapping[str, np.ndarray] | None, detail: bool, rates: bool) -> Results:
    s = scenario
    P = params or Parameters()
    c = _Case(s, P)
    D, Y = c.D, c.Y
    costs = _costs(c)
    benefits = _benefits(c)

    def part(f: Any, secured: bool) -> Any:
        if f.award_probability <= 0 or (secured and not f.committed):
            return 0.0
        if awarded is not None and f.id in awarded and not f.committed:
            return np.asarray(awarded[f.id], dtype=float).reshape(D, 1)
        return 1.0

    def wide(x: Any) -> np.ndarray:
        """From here on every series has all draws: ``(draws, years)`` (a view, no copy)."""
        return np.broadcast_to(x, (D, Y))

    def wide1(x: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, dtype=float).reshape(-1), (D,))

    def widen(f: _Funding) -> _Funding:
        return _Funding({k: wide(v) for k, v in f.lines.items()}, wide(f.funding),
                        wide(f.revenue), wide(f.loan_in), wide(f.debt_service),
                        wide1(f.receivable), wide1(f.debt_outstanding), f.detail)

    everything = widen(_funding(c, costs, benefits, {f.id: part(f, False) for f in s.funding}))
    secured = widen(_funding(c, costs, benefits, {f.id: part(f, True) for f in s.funding}))

    cost_row = wide(sum((line.cost for line in costs), np.zeros((1, Y))))
    benefit_row = wide(sum((b.value for b in benefits), np.zeros((1, Y))))
    cash_releasing_row = wide(sum((b.value for b in benefits if b.cash_releasing),
                                  np.zeros((1, Y))))
    residual = wide1(sum((line.residual for line in costs), np.zeros(1)))
    residual_row = np.zeros((D, Y))
    residual_row[:, -1] = residual

    def cash(f: _Funding) -> tuple[np.ndarray, np.ndarray]:
        net = f.funding + f.revenue + f.loan_in - f.debt_service - cost_row
        return net, np.cumsum(net, axis=-1)

    net_cash, cumulative = cash(everything)
    _, secured_cumulative = cash(secured)
    ledger = {
        "costs": cost_row, "funding": everything.funding, "revenue": everything.revenue,
        "loan_in": everything.loan_in, "debt_service": everything.debt_service,
        "net_cash": net_cash, "cumulative_cash": cumulative, "benefits": benefit_row,
        "cash_releasing_benefits": cash_releasing_row, "residual_value": residual_row,
    }

    financial_rate, financial_df = _rate_and_factors(
        case_rate(P.get("discount_rate", s.discount_rate), c.inflation, c.nominal), D, Y)
    social = (P.get("social_discount_rate", P.get("discount_rate", s.discount_rate))
              if s.social_discount_rate is None
              else P.get("social_discount_rate", s.social_discount_rate))
    social_rate, social_df = _rate_and_factors(case_rate(social, c.inflation, c.nominal), D, Y)
    inflation = np.broadcast_to(c.inflation if c.nominal else 0.0, (D, 1))[:, 0]

    m: dict[str, np.ndarray] = {}
    notes: dict[str, str] = {}
    warnings: list[str] = []
    m["total_cost"] = cost_row.sum(axis=-1)
    m["total_funding"] = (everything.funding + everything.revenue).sum(axis=-1)
    m["receivable_after_horizon"] = _zero_small(everything.receivable)
    m["debt_outstanding"] = _zero_small(everything.debt_outstanding)
    m["funding_shortfall"] = _shortfall(cumulative[:, -1], everything.receivable,
                                        everything.debt_outstanding)
    m["secured_funding_shortfall"] = _shortfall(secured_cumulative[:, -1], secured.receivable,
                                                secured.debt_outstanding)
    m["peak_cash_need"] = _zero_small(np.maximum(0.0, -cumulative.min(axis=-1)))
    m["first_shortfall_year"] = _year_or_nan(fm.first_index_below(cumulative, -ZERO), s.start_year)

    financial = _zero_small(everything.revenue + residual_row - cost_row)
    m["financial_npv"] = _present_value(financial, financial_df)
    no_rate = fm.IrrResult(np.full(D, np.nan), np.zeros(D, dtype=int))
    firr = fm.irr(financial, financial_rate) if rates else no_rate
    m["financial_irr"] = fm.real_rate_from_nominal(firr.rate, inflation)
    m["financial_mirr"] = (fm.real_rate_from_nominal(
        fm.mirr(financial, financial_rate, financial_rate), inflation) if rates else no_rate.rate)
    m["funding_gap_rate"] = _funding_gap_rate(costs, everything.revenue, residual_row,
                                              financial_df)

    economic = _zero_small(benefit_row + residual_row - cost_row)
    m["economic_npv"] = _present_value(economic, social_df)
    eirr = fm.irr(economic, social_rate) if rates else no_rate
    m["economic_irr"] = fm.real_rate_from_nominal(eirr.rate, inflation)
    pv_costs = _present_value(cost_row, social_df)
    pv_gains = _present_value(benefit_row + residual_row, social_df)
    with np.errstate(divide="ignore", invalid="ignore"):
        m["bcr"] = np.where(pv_costs > ZERO, pv_gains / np.where(pv_costs > ZERO, pv_costs, 1),
                            np.nan)
    yearly_net = benefit_row - cost_row
    m["payback_year"] = _year_or_nan(
        fm.payback_year_index(np.cumsum(yearly_net, axis=-1), ZERO), s.start_year)
    discounted = yearly_net * social_df
    m["discounted_payback_year"] = _year_or_nan(
        fm.payback_year_index(np.cumsum(discounted, axis=-1), ZERO), s.start_year)

    results = Results(s, s.calendar_years, D, ledger,
                      {"costs": {line.id: wide(line.cost) for line in costs},
                       "funding": everything.lines,
                       "benefits": {b.id: wide(b.value) for b in benefits}},
                      m, {}, warnings, notes)
    if detail:
        results.stakeholders = _stakeholders(s, everything, benefits, social_df, m)
    if detail:
        _explain(results, financial, economic, firr, eirr)
        results.detail = {
            **everything.detail,
            **{f"benefit.{b.id}.net_quantity": b.net_quantity for b in benefits
               if b.net_quantity is not None},
            **{f"benefit.{b.id}.effect": b.effect for b in benefits},
            **{f"cost.{line.id}.before_contingency": line.before_contingency for line in costs},
            **{f"cost.{line.id}.residual": line.residual for line in costs},
            "secured.cumulative_cash": secured_cumulative,
            "secured.receivable": secured.receivable,
            "secured.debt_outstanding": secured.debt_outstanding,
            "financial_rate": financial_rate, "social_rate": social_rate,
            "implied_costs": [line.id for line in costs if line.implied_by],
        }
    return results


def _funding_gap_rate(costs: list[_CostLine], revenue: np.ndarray, residual_row: np.ndarray,
                      factors: np.ndarray) -> np.ndarray:
    """EU method (Reg. 480/2014 art. 15-19), contingency excluded: (DIC - DNR) / DIC in 0..1."""
    D = revenue.shape[0]
    capex = [line for line in costs if line.category == "capex"]
    investment = sum((line.before_contingency - line.repurchases for line in capex),
                     np.zeros_like(revenue))
    other = sum((line.before_contingency for line in costs), np.zeros_like(revenue)) - investment
    dic = _present_value(investment, factors)
    pv_revenue = _present_value(revenue, factors)
    pv_other = _present_value(other, factors)
    dnr = pv_revenue - pv_other + np.where(pv_revenue > pv_other,
                                           _present_value(residual_row, factors), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.clip((dic - dnr) / np.where(dic > ZERO, dic, 1.0), 0.0, 1.0)
    return np.where(dic > ZERO, gap, np.nan) if capex else np.full(D, np.nan)


def _stakeholders(s: Scenario, f: _Funding, benefits: list[_BenefitLine], social_df: np.ndarray,
                  m: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    D = m["total_cost"].shape[0]
    Y = s.years
    zero = np.zeros((D, Y))
    paid = {sid: zero.copy() for sid in s.stakeholders}
    lent = {sid: np.zeros(D) for sid in s.stakeholders}
    for source in s.funding:
        if source.stakeholder is None:
            continue
        if isinstance(source, Loan):
            lent[source.stakeholder] = lent[source.stakeholder] + np.clip(
                f.lines[source.id], 0, None).sum(axis=-1)
        else:
            paid[source.stakeholder] = paid[source.stakeholder] + f.lines[source.id]
    received = {sid: zero.copy() for sid in s.stakeholders}
    releasing = {sid: zero.copy() for sid in s.stakeholders}
    for b in benefits:
        received[b.beneficiary] = received[b.beneficiary] + b.value
        if b.cash_releasing:
            releasing[b.beneficiary] = releasing[b.beneficiary] + b.value
    pv_received = {sid: _present_value(v, social_df) for sid, v in received.items()}
    weights_total = sum((np.maximum(v, 0) for v in pv_received.values()), np.zeros(D))
    out = {}
    for sid in s.stakeholders:
        pv_paid = _present_value(paid[sid], social_df)
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = np.where(weights_total > ZERO,
                              np.maximum(pv_received[sid], 0) / np.where(weights_total > ZERO,
                                                                          weights_total, 1), np.nan)
        out[sid] = {
            "contributed": paid[sid].sum(axis=-1),
            "contributed_pv": pv_paid,
            "lent": lent[sid],
            "benefits_received": received[sid].sum(axis=-1),
            "benefits_received_pv": pv_received[sid],
            "cash_releasing_received": releasing[sid].sum(axis=-1),
            "cash_releasing_received_pv": _present_value(releasing[sid], social_df),
            "net": pv_received[sid] - pv_paid,
            "fair_share": weight * m["funding_shortfall"],
            "secured_fair_share": weight * m["secured_funding_shortfall"],
        }
    return out


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
    if np.isnan(first("bcr")):
        notes["bcr"] = "the scenario has no costs, so benefits cannot be divided by them"
    if np.isnan(first("first_shortfall_year")):
        notes["first_shortfall_year"] = "cash never runs short inside the horizon"
    if np.isnan(first("payback_year")):
        notes["payback_year"] = "cumulative benefits less costs end the horizon below zero"
    if np.isnan(first("discounted_payback_year")):
        notes["discounted_payback_year"] = ("discounted cumulative benefits less costs end the "
                                            "horizon below zero")
    for key in ("fair_share", "secured_fair_share"):
        if all(np.isnan(v[key][0]) for v in r.stakeholders.values()) and r.stakeholders:
            notes[key] = "no stakeholder receives benefits, so there is nothing to split by"
    if first("receivable_after_horizon") > ZERO:
        warnings.append(f"{cur} {first('receivable_after_horizon'):,.0f} of grant or outcome "
                        "money falls due after the horizon; it is counted against the shortfall "
                        "but not in the cash rows.")
    if first("debt_outstanding") > ZERO:
        warnings.append(f"{cur} {first('debt_outstanding'):,.0f} of loan principal is still "
                        "owed at the end of the horizon.")
