"""One finance idea, one place: each rule the engine applies, as a numpy function, with the
spreadsheet formula that writes the same rule beside it.

The engine calls the numpy function; the workbook calls the ``..._formula`` builder with cell
references (text) and writes the engine's value as the cell's cached result. A reviewer sees both
on one screen, and the fast test tier recalculates the written formulas in Python and compares
them with the engine, so a builder that drifts from its function fails a test without an office
suite.

Conventions: arrays broadcast over a leading draws axis with the years last; formula builders
take references or expressions (``"$C$12"``, ``"F14"``) and return an expression without the
leading ``=``; tolerances are cell references (the workbook's model settings on Assumptions),
never typed
numbers, and no formula holds a locale-dependent format string.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labfinance.engine import sums

ZERO = 0.005  # money within half a cent of zero counts as zero (shortfalls, balances, payback)
RATE_ZERO = 1e-12  # a loan rate this close to 0 is 0: the annuity is amount / term


# --------------------------------------------------------------------------- loans


def annuity_payment(amount: ArrayLike, rate: ArrayLike, term: int) -> NDArray[np.float64]:
    """The yearly payment (interest and principal) that repays ``amount`` in ``term`` years.

    ``amount × rate / (1 - (1 + rate)^-term)``; at a rate of 0, ``amount / term``. Paid at the
    end of each of the ``term`` years after the draw-down (numpy-financial ``-pmt``).

    >>> round(float(annuity_payment(15000, 0.08 / 12, 60)), 6)  # numpy-financial pmt docs
    304.145914
    >>> float(annuity_payment(15000, 0.0, 60))
    250.0
    """
    amount = np.asarray(amount, dtype=float)
    rate = np.asarray(rate, dtype=float)
    zero = np.abs(rate) < RATE_ZERO
    safe = np.where(zero, 1.0, rate)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return np.where(zero, amount / term, amount * safe / (1 - (1 + safe) ** -term))[()]


def annuity_payment_formula(amount: str, rate: str, term: str, rate_zero: str) -> str:
    return (f"IF(ABS({rate})<{rate_zero},{amount}/{term},"
            f"{amount}*{rate}/(1-(1+{rate})^(-{term})))")


def loan_schedule(loan_in: NDArray[np.float64], service: NDArray[np.float64],
                  rate: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                            NDArray[np.float64]]:
    """Interest, principal repaid and the principal owed at the end of each year, as a
    corkscrew: interest = last year's balance × rate; principal = the payment less its interest;
    balance = last year's balance + money drawn - principal, within half a cent of 0 counted as 0
    (so a repaid loan owes nothing and bears no interest from the rounding of its last payment).
    ``(draws, years)`` in and out. An interest-only year repays exactly 0.

    >>> interest, principal, balance = loan_schedule(np.array([[100.0, 0, 0]]),
    ...                                              np.array([[0, 55.0, 55.0]]), 0.05)
    >>> interest.round(2).tolist(), principal.round(2).tolist(), balance.round(2).tolist()
    ([[0.0, 5.0, 2.5]], [[0.0, 50.0, 52.5]], [[100.0, 50.0, -2.5]])
    """
    rate = np.asarray(rate, dtype=float).reshape(-1)
    shape: tuple[int, ...] = np.broadcast_shapes(loan_in.shape, service.shape, (rate.size, 1))
    interest, principal, balance = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    previous: Any = 0.0
    for t in range(shape[-1]):
        interest[:, t] = previous * rate
        principal[:, t] = service[:, t] - interest[:, t]
        previous = zero_small(previous + loan_in[:, t] - principal[:, t])
        balance[:, t] = previous
    return interest, principal, balance


def loan_interest_formula(previous_balance: str, rate: str) -> str:
    return f"{previous_balance}*{rate}"


def loan_principal_formula(service: str, interest: str) -> str:
    return f"{service}-{interest}"


def loan_balance_formula(previous: str, loan_in: str, principal: str, tolerance: str) -> str:
    return zero_small_formula(f"{previous}+{loan_in}-{principal}", tolerance)


# ---- loans with grace years and a balloon (format 1.2, issue 15) ---------------------------


def loan_instalment(amount: ArrayLike, rate: ArrayLike, term: int, grace: int = 0,
                    balloon: ArrayLike = 0.0) -> NDArray[np.float64]:
    """The yearly instalment after the grace years: the annuity over ``term - grace`` years
    that leaves ``balloon × amount`` owed after its last payment (Excel ``-PMT(rate, n, amount,
    -balloon × amount)``). It is the annuity on the amortised part plus a year's interest on
    the balloon: ``annuity(amount × (1 - balloon), rate, n) + amount × balloon × rate``.

    Hand check: 1,000 at 5 % over 3 years with a 40 % balloon: annuity(600) = 600 × 0.05 /
    (1 - 1.05^-3) = 220.3251, plus 400 × 0.05 = 20: 240.3251.

    >>> round(float(loan_instalment(1000.0, 0.05, 5, 2, 0.4)), 4)
    240.3251
    >>> float(loan_instalment(1000.0, 0.0, 5, 1, 0.2))  # (1,000 - 200) / 4
    200.0
    """
    amount = np.asarray(amount, dtype=float)
    balloon = np.asarray(balloon, dtype=float)
    return (annuity_payment(amount * (1 - balloon), rate, term - grace)
            + amount * balloon * np.asarray(rate, dtype=float))[()]


def loan_instalment_formula(amount: str, rate: str, term: str, grace: str, balloon: str,
                            rate_zero: str) -> str:
    # term - grace is at least 1 by validation; the guard keeps a live edit that breaks it from
    # a #DIV/0! (the instalment is then 0 and the loan stays owed, as the balance shows)
    amortised, years = f"{amount}*(1-{balloon})", f"({term}-{grace})"
    return (f"IF({years}>0,{annuity_payment_formula(amortised, rate, years, rate_zero)}"
            f"+{amount}*{balloon}*{rate},0)")


def loan_service(k: ArrayLike, amount: ArrayLike, rate: ArrayLike, term: int, grace: int,
                 balloon: ArrayLike, instalment: ArrayLike) -> NDArray[np.float64]:
    """Debt service in year ``k`` after the draw-down (k = 1 the first year after it): interest
    only (``amount × rate``) in years 1..grace, the instalment in years grace + 1..term, and the
    balloon with the last instalment.

    >>> loan_service(np.arange(6), 1000.0, 0.05, 4, 1, 0.5, 100.0).tolist()
    [0.0, 50.0, 100.0, 100.0, 600.0, 0.0]
    """
    k = np.asarray(k)
    amount = np.asarray(amount, dtype=float)
    interest_only = amount * np.asarray(rate, dtype=float)
    return ((k >= 1) * (k <= grace) * interest_only
            + (k > grace) * (k <= term) * np.asarray(instalment, dtype=float)
            + (k == term) * amount * np.asarray(balloon, dtype=float))


def loan_service_formula(k: str, amount: str, rate: str, term: str, grace: str, balloon: str,
                         instalment: str) -> str:
    return (f"({k}>=1)*({k}<={grace})*{amount}*{rate}+({k}>{grace})*({k}<={term})*{instalment}"
            f"+({k}={term})*{amount}*{balloon}")


# --------------------------------------------------------------------------- running totals


def capped_running_total(flows: ArrayLike, cap: ArrayLike) -> NDArray[np.float64]:
    """The running total of non-negative ``flows``, never above ``cap`` (a grant's entitlement,
    an outcome contract): ``min(cap, total so far)``. Its yearly increase is what is paid.

    >>> capped_running_total([40.0, 40.0, 40.0], 100.0).tolist()
    [40.0, 80.0, 100.0]
    """
    return np.minimum(sums.running(np.add, np.asarray(flows, dtype=float)),
                      np.asarray(cap, dtype=float))


def capped_running_total_formula(previous: str, flow: str, cap: str | None) -> str:
    grown = f"{previous}+{flow}"
    return f"MIN({cap},{grown})" if cap is not None else grown


def increase(running: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each year's increase of a running total (the first year's is the total itself): numpy's
    ``diff`` with 0 prepended, bit for bit, without the copy it makes to prepend.

    >>> increase(np.array([[40.0, 80.0, 100.0]])).tolist()
    [[40.0, 40.0, 20.0]]
    """
    out = np.empty(np.shape(running))
    out[..., :1] = running[..., :1]
    np.subtract(running[..., 1:], running[..., :-1], out=out[..., 1:])
    return out


def increase_formula(this_year: str, last_year: str) -> str:
    return f"{this_year}-{last_year}"


# --------------------------------------------------------------------------- assets


def life_left(years: ArrayLike, life: int, last_year: int) -> NDArray[np.float64]:
    """Share of an asset bought in each year still in service after the last horizon year:
    ``max(0, year + life - 1 - last_year) / life`` (its residual value share).

    >>> life_left([2026, 2027, 2028], 3, 2028).tolist()
    [0.0, 0.3333333333333333, 0.6666666666666666]
    """
    years = np.asarray(years, dtype=float)
    return np.maximum(0, years + life - 1 - last_year) / life


def life_left_formula(year: str, life: str, last_year: str) -> str:
    return f"MAX(0,{year}+{life}-1-{last_year})/{life}"


# --------------------------------------------------------------------------- benefits


def kept_share(deadweight: ArrayLike, displacement: ArrayLike,
               attribution: ArrayLike) -> NDArray[np.float64]:
    """What is left of an outcome after the deductions, chained multiplicatively (SROI):
    ``(1 - deadweight)(1 - displacement)(1 - attribution)``; 0.2 and 0.1 keep 0.72, not 0.70.

    >>> round(float(kept_share(0.2, 0.1, 0.0)), 12)
    0.72
    """
    return ((1 - np.asarray(deadweight, dtype=float)) * (1 - np.asarray(displacement, dtype=float))
            * (1 - np.asarray(attribution, dtype=float)))[()]


def kept_share_formula(deadweight: str, displacement: str, attribution: str) -> str:
    return f"(1-{deadweight})*(1-{displacement})*(1-{attribution})"


def drop_off_factor(drop_off: ArrayLike, k: ArrayLike) -> NDArray[np.float64]:
    """Share of the effect left ``k`` years after the first: ``(1 - drop_off)^k``, 1 for k <= 0.

    The formula tests k first, so a drop-off of 1 in the first year is 1, not 0^0 (which Excel
    gives as #NUM!).

    >>> drop_off_factor(0.1, np.array([-1, 0, 1, 2])).round(4).tolist()
    [1.0, 1.0, 0.9, 0.81]
    >>> drop_off_factor(1.0, np.array([0, 1])).tolist()
    [1.0, 0.0]
    """
    k = np.asarray(k)
    return np.where(k <= 0, 1.0, (1 - np.asarray(drop_off, dtype=float)) ** np.maximum(k, 0))


def drop_off_factor_formula(drop_off: str, k: str) -> str:
    return f"IF({k}<=0,1,(1-{drop_off})^{k})"


# --------------------------------------------------------------------------- appraisal


IRR_STEPS, IRR_STEP = 20, 1e-7  # the spreadsheet's IRR search: at most 20 steps, done below 1e-7


def spreadsheet_irr(flows: ArrayLike, guess: float) -> float:
    """The root a spreadsheet's ``IRR(flows, guess)`` finds, or NaN where it finds none.

    Newton's method on the NPV from ``guess``, at most 20 steps, converged when a step is below
    1e-7 (LibreOffice's ScIRR; Excel documents the same 20 tries and 0.00001 %). The engine's
    own IRR looks for every root and picks the one nearest the discount rate; this says which
    one the live cell will show, so the workbook can cache it and its checks can say when the
    two differ (a root near -100 %, a search that lands below -100 %, several roots).

    >>> round(spreadsheet_irr([-100.0, 60.0, 60.0], 0.1), 10)  # 100 = 60/(1+r) + 60/(1+r)^2
    0.1306623863
    >>> import math; math.isnan(spreadsheet_irr([100.0, 50.0], 0.1))  # one sign: no root
    True
    """
    values = np.asarray(flows, dtype=float).reshape(-1)
    t = np.arange(values.size, dtype=float)
    x, step = float(guess), 1.0
    with np.errstate(all="ignore"):
        for _ in range(IRR_STEPS):
            if step <= IRR_STEP:
                break
            npv = float(np.sum(values / (1 + x) ** t))
            slope = float(np.sum(-t * values / (1 + x) ** (t + 1)))
            if slope == 0 or not np.isfinite(slope) or not np.isfinite(npv):
                return float("nan")
            new = x - npv / slope
            if not np.isfinite(new):
                return float("nan")
            step, x = abs(new - x), new
    return x if step <= IRR_STEP else float("nan")


IRR_LOW, IRR_HIGH = -0.9999, 10.0  # the bracket searched for a root of the NPV...
IRR_HALVINGS = 40  # ...halved 40 times


def bisection_start(flows: ArrayLike, low: float = IRR_LOW, high: float = IRR_HIGH,
                    halvings: int = IRR_HALVINGS) -> float:
    """A start for the spreadsheet's IRR search next to a root: the bracket ``low..high`` halved
    ``halvings`` times, keeping the half where the NPV changes sign (the workbook writes each
    halving as a row, so the start is live). Where the NPV has the same sign at both ends, NaN
    (the workbook then starts from the discount rate).

    >>> round(bisection_start([-100.0, 60.0, 60.0]), 6)  # the root of the IRR doctest above
    0.130662
    """
    values = np.asarray(flows, dtype=float).reshape(-1)
    t = np.arange(values.size, dtype=float)

    def npv(x: float) -> float:
        return float(np.sum(values * (1 + x) ** -t))

    sign_low = np.sign(npv(low))
    if sign_low == np.sign(npv(high)) or sign_low == 0:
        return float("nan")
    for _ in range(halvings):
        mid = (low + high) / 2
        if np.sign(npv(mid)) == sign_low:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def live_irr(flows: ArrayLike, rate: float, start: float) -> float:
    """What the workbook's live IRR shows (NaN for "n/a"): the search from the discount rate, or
    where it fails or lands at or below -100 %, the search from the bisection's start."""
    first = spreadsheet_irr(flows, rate)
    if np.isfinite(first) and first > -1:
        return first
    second = spreadsheet_irr(flows, start) if np.isfinite(start) else float("nan")
    return second if np.isfinite(second) and second > -1 else float("nan")


def live_irr_formula(flows: str, rate: str, start: str, na: str) -> str:
    first, second = f"IRR({flows},{rate})", f"IRR({flows},{start})"
    then = f'IF({second}>-1,{second},"{na}")'
    return f'IFERROR(IF({first}>-1,{first},{then}),IFERROR({then},"{na}"))'


def npv_at_formula(flows: str, t: str, rate: str) -> str:
    """The NPV of a row at ``rate`` with year t counted from 0 (the IRR's own discounting)."""
    return f"SUMPRODUCT({flows}*(1+{rate})^(-{t}))"


def spreadsheet_irr_formula(flows: str, guess: str, na: str) -> str:
    """The live IRR: the spreadsheet's search from ``guess``; "n/a" where it finds no root or
    one at or below -100 % (no rate of return)."""
    return f'IFERROR(IF(IRR({flows},{guess})>-1,IRR({flows},{guess}),"{na}"),"{na}")'


def sign_changes(flows: ArrayLike) -> int:
    """How often the non-zero flows change sign (one change: exactly one IRR above -100 %).

    >>> sign_changes([-100.0, 0.0, 230.0, -132.0])
    2
    """
    signs = np.sign(np.asarray(flows, dtype=float).reshape(-1))
    signs = signs[signs != 0]
    return int(np.sum(signs[1:] != signs[:-1]))


def sign_so_far_formula(flow: str, previous: str) -> str:
    """The sign of the last non-zero flow so far (a corkscrew): counting where it flips counts
    the sign changes with zeros skipped."""
    return f"IF({flow}>0,1,IF({flow}<0,-1,{previous}))"



def zero_small(x: ArrayLike) -> NDArray[np.float64]:
    """Money within half a cent of zero is zero.

    >>> zero_small([0.004, -0.004, 0.006]).tolist()
    [0.0, 0.0, 0.006]
    """
    x = np.asarray(x, dtype=float)
    return np.where(np.abs(x) < ZERO, 0.0, x)


def zero_small_formula(x: str, tolerance: str) -> str:
    return f"IF(ABS({x})<{tolerance},0,{x})"


def funding_gap_rate(dic: ArrayLike, dnr: ArrayLike) -> NDArray[np.float64]:
    """The EU funding-gap rate ``clip((DIC - DNR) / DIC, 0, 1)``; NaN without investment cost
    (Reg. 480/2014 art. 15-19).

    >>> float(funding_gap_rate(1000.0, 250.0)), float(funding_gap_rate(0.0, 10.0))
    (0.75, nan)
    """
    dic = np.asarray(dic, dtype=float)
    dnr = np.asarray(dnr, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.clip((dic - dnr) / np.where(dic > ZERO, dic, 1.0), 0.0, 1.0)
    return np.where(dic > ZERO, gap, np.nan)[()]


def funding_gap_rate_formula(dic: str, dnr: str, tolerance: str, na: str) -> str:
    return f'IF({dic}>{tolerance},MAX(0,MIN(1,({dic}-{dnr})/{dic})),"{na}")'


# ---- the EU decision amount (format 1.2, issue 15; Reg. 480/2014 arts. 15-19) -------------


def eligible_cost(investment: ArrayLike) -> NDArray[np.float64]:
    """The eligible cost: the undiscounted total of the investment cost behind DIC (capex less
    contingency and less the repurchases ``life`` makes).

    >>> float(eligible_cost([[600.0, 400.0, 0.0]])[0])
    1000.0
    """
    return np.sum(np.asarray(investment, dtype=float), axis=-1)


def eligible_cost_formula(row_range: str) -> str:
    return f"SUM({row_range})"


def decision_amount(eligible: ArrayLike, gap_rate: ArrayLike) -> NDArray[np.float64]:
    """The decision amount ``eligible cost × funding-gap rate``; NaN where the rate is.

    >>> float(decision_amount(1000.0, 0.75))
    750.0
    """
    return (np.asarray(eligible, dtype=float) * np.asarray(gap_rate, dtype=float))[()]


def decision_amount_formula(eligible: str, gap_rate: str, na: str) -> str:
    return f'IF(ISNUMBER({gap_rate}),{eligible}*{gap_rate},"{na}")'


def max_eu_grant(decided: ArrayLike, cofinancing_rate: ArrayLike) -> NDArray[np.float64]:
    """The most the EU pays: ``decision amount × the priority axis's co-financing rate``.

    >>> float(max_eu_grant(750.0, 0.8))
    600.0
    """
    return (np.asarray(decided, dtype=float) * np.asarray(cofinancing_rate, dtype=float))[()]


def max_eu_grant_formula(decided: str, cofinancing_rate: str, na: str) -> str:
    return f'IF(ISNUMBER({decided}),{decided}*{cofinancing_rate},"{na}")'


def discounted_net_revenue(pv_revenue: ArrayLike, pv_other_costs: ArrayLike,
                           pv_residual: ArrayLike) -> NDArray[np.float64]:
    """DNR: PV(revenue) - PV(other costs), plus PV(residual value) only where revenue exceeds
    those costs (Reg. 480/2014 art. 17-18).

    >>> float(discounted_net_revenue(100.0, 60.0, 30.0)), float(discounted_net_revenue(50, 60, 30))
    (70.0, -10.0)
    """
    revenue = np.asarray(pv_revenue, dtype=float)
    other = np.asarray(pv_other_costs, dtype=float)
    return (revenue - other + np.where(revenue > other, np.asarray(pv_residual, dtype=float),
                                       0.0))[()]


def discounted_net_revenue_formula(pv_revenue: str, pv_other: str, pv_residual: str) -> str:
    return f"{pv_revenue}-{pv_other}+IF({pv_revenue}>{pv_other},{pv_residual},0)"


def benefit_cost_ratio(pv_gains: ArrayLike, pv_costs: ArrayLike) -> NDArray[np.float64]:
    """PV(benefits + residual value) / PV(costs); NaN where PV(costs) is not above half a cent.

    >>> float(benefit_cost_ratio(150.0, 100.0)), float(benefit_cost_ratio(5.0, 0.0))
    (1.5, nan)
    """
    gains = np.asarray(pv_gains, dtype=float)
    costs = np.asarray(pv_costs, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(costs > ZERO, gains / np.where(costs > ZERO, costs, 1.0), np.nan)[()]


def benefit_cost_ratio_formula(pv_gains: str, pv_costs: str, tolerance: str, na: str) -> str:
    return f'IF({pv_costs}>{tolerance},{pv_gains}/{pv_costs},"{na}")'


def shortfall(cumulative_last: ArrayLike, receivable: ArrayLike,
              debt_outstanding: ArrayLike) -> NDArray[np.float64]:
    """The money no source covers: ``max(0, -(cash at the end + money due later - principal
    still owed))``, within half a cent of 0 counted as 0.

    >>> float(shortfall(-100.0, 30.0, 10.0)), float(shortfall(50.0, 0.0, 0.0))
    (80.0, 0.0)
    """
    gap = -(np.asarray(cumulative_last, dtype=float) + np.asarray(receivable, dtype=float)
            - np.asarray(debt_outstanding, dtype=float))
    return zero_small(np.maximum(0.0, gap))[()]


def shortfall_formula(cumulative_last: str, receivable: str, debt: str, tolerance: str) -> str:
    gap = f"-({cumulative_last}+{receivable}-{debt})"
    return f"IF({gap}<{tolerance},0,{gap})"


# --------------------------------------------------------------------------- timing and prices


def horizon_total(values: ArrayLike) -> float:
    """The undiscounted total of a yearly series (a total column).

    >>> horizon_total([1.5, 2.0, -0.5])
    3.0
    """
    return float(np.sum(np.asarray(values, dtype=float)))


def horizon_total_formula(row_range: str) -> str:
    return f"SUM({row_range})"



def price_factor_formula(escalation: str, t: str, inflation: str | None = None) -> str:
    """``(1 + escalation)^t``, times ``(1 + inflation)^t`` in nominal prices (the function is
    :func:`labfinance.engine.timeline.price_factor`)."""
    text = f"(1+{escalation})^{t}"
    return text + (f"*(1+{inflation})^{t}" if inflation is not None else "")


def discount_factor_formula(rate: str, t: str) -> str:
    """``(1 + rate)^-t`` (the function is :func:`labfinance.engine.metrics.discount_factors`)."""
    return f"(1+{rate})^(-{t})"


def recurring_flag_formula(year: str, first: str, last: str, every: str) -> str:
    """1 in the years from ``first`` to ``last`` every ``every`` years (the function is
    :func:`labfinance.engine.timeline.recurring_mask`)."""
    return f"({year}>={first})*({year}<={last})*(MOD({year}-{first},{every})=0)"


def one_off_flag_formula(year: str, when: str) -> str:
    return f"({year}={when})*1"


def purchases_flag_formula(year: str, bought: str, life: str) -> str:
    """1 in the year of a purchase and every ``life`` years after it."""
    return f"({year}>={bought})*(MOD({year}-{bought},{life})=0)"


def lagged_formula(years: str, lag: str, year: str, source: str) -> str:
    """A series moved ``lag`` years later, without OFFSET/INDIRECT: the SUMPRODUCT picks the
    year whose year + lag is this one (the function is
    :func:`labfinance.engine.lineitems.shift`)."""
    return f"SUMPRODUCT(({years}+{lag}={year})*{source})"


def year_if_below(years: ArrayLike, values: ArrayLike, tolerance: float = ZERO
                  ) -> NDArray[np.float64]:
    """The calendar year where ``values`` is below ``-tolerance``, else 0: a row whose smallest
    non-zero entry is the first such year and whose largest is the last (first shortfall year,
    payback year).

    >>> year_if_below([2026, 2027, 2028], [5.0, -1.0, -0.001]).tolist()
    [0.0, 2027.0, 0.0]
    """
    return np.asarray(years, dtype=float) * (np.asarray(values, dtype=float) < -tolerance)


def year_if_below_formula(year: str, value: str, tolerance: str) -> str:
    return f"{year}*({value}<-{tolerance})"


RELATIVE_ZERO = 1e-12  # amounts that agree to this share of their size are equal


def net_position(received: ArrayLike, paid: ArrayLike) -> NDArray[np.float64]:
    """What a party receives less what it pays (present values), counted as 0 where the two
    agree to a relative 1e-12: at very large amounts their difference is rounding noise, which
    a spreadsheet rounds otherwise (a gain of 16 on 2e16 each is no gain).

    >>> net_position([150.0, 2e16 + 16], [100.0, 2e16]).tolist()
    [50.0, 0.0]
    """
    received = np.asarray(received, dtype=float)
    paid = np.asarray(paid, dtype=float)
    net = received - paid
    return np.where(np.abs(net) <= RELATIVE_ZERO * (np.abs(received) + np.abs(paid)), 0.0,
                    net)[()]


def net_position_formula(received: str, paid: str, relative: str) -> str:
    """``relative``: the cell of the relative rounding tolerance (1e-12, a model setting)."""
    return (f"IF(ABS({received}-{paid})<={relative}*(ABS({received})+ABS({paid})),0,"
            f"{received}-{paid})")


# --------------------------------------------------------------------------- unit prices (format
# 1.2): a cost as quantity × unit cost


def unit_price_amount(quantity: ArrayLike, unit_cost: ArrayLike, timing: ArrayLike) -> Any:
    """A unit-priced cost per year in start-year prices: ``quantity × unit_cost × timing`` (1
    in the years it falls); price factor and contingency come after, as for `amount`.

    >>> unit_price_amount(12, 15000.0, np.array([1.0, 0.0])).tolist()
    [180000.0, 0.0]
    """
    return np.asarray(quantity, dtype=float) * np.asarray(unit_cost, dtype=float) * timing


def unit_price_amount_formula(quantity: str, unit_cost: str, timing: str) -> str:
    return f"{quantity}*{unit_cost}*{timing}"


# --------------------------------------------------------------------------- declining discount
# rates (format 1.2): a social rate in steps, the Green Book's 3.5 % / 3.0 % / 2.5 %


def step_rates(starts: list[int], rates: list[Any], n_years: int) -> NDArray[np.float64]:
    """The rate of each year t = 0 .. n_years-1: that of the last step whose start is at or
    before t (``starts`` increasing from 0). A rate is a number or a ``(draws, 1)`` column, so
    the result is ``(1 or draws, n_years)``.

    >>> step_rates([0, 2], [0.04, 0.02], 4).tolist()
    [[0.04, 0.04, 0.02, 0.02]]
    """
    t = np.arange(n_years)
    ends = [*starts[1:], max(n_years, starts[-1] + 1)]
    total: Any = np.zeros((1, n_years))
    for start, end, rate in zip(starts, ends, rates, strict=True):
        total = total + np.asarray(rate, dtype=float) * ((t >= start) & (t < end))
    return np.asarray(total, dtype=float)


def step_rate_formula(t: str, starts: str, rates: str) -> str:
    """The rate of year ``t``: the last step whose start is at or before it. MATCH with type 1
    finds the largest start not above t in the increasing list of starts."""
    return f"INDEX({rates},MATCH({t},{starts},1))"


def declining_discount_factors(rate_by_year: ArrayLike) -> NDArray[np.float64]:
    """Discount factors of rates that change by year: ``D_0 = 1`` and ``D_t = D_(t-1) / (1 +
    r_t)`` (HM Treasury Green Book 2022, table 8); year by year as the spreadsheet divides, so
    both round alike. At one rate throughout they are ``(1 + r)^-t``.

    >>> declining_discount_factors([[0.5, 0.25, 1.0]]).tolist()
    [[1.0, 0.8, 0.4]]
    """
    rates = np.atleast_2d(np.asarray(rate_by_year, dtype=float))
    factors = np.ones_like(rates)
    for t in range(1, rates.shape[-1]):
        factors[:, t] = factors[:, t - 1] / (1 + rates[:, t])
    return factors


def declining_discount_factor_formula(t: str, previous: str, rate: str) -> str:
    """1 in the first year (t = 0), else last year's factor over (1 + this year's rate)."""
    return f"IF({t}=0,1,{previous}/(1+{rate}))"


def sum_of_products(values: ArrayLike, factors: ArrayLike) -> NDArray[np.float64]:
    """A present value with factors by year: ``sum_t values_t × D_t`` (the first year has D = 1).

    >>> float(sum_of_products([100.0, 50.0], [1.0, 0.8]))
    140.0
    """
    return np.sum(np.asarray(values, dtype=float) * np.asarray(factors, dtype=float),
                  axis=-1)[()]


def sum_of_products_formula(values: str, factors: str) -> str:
    return f"SUMPRODUCT({values},{factors})"


# --------------------------------------------------------------------------- risk register (1.2)


def expected_risk_cost(probability: ArrayLike, impact: ArrayLike, price: ArrayLike,
                       at_risk: ArrayLike) -> NDArray[np.float64]:
    """A risk's expected cost per year: ``probability × impact × price factor`` in the years at
    risk (``at_risk`` is 1 there), the risk-adjusted cost of the Green Book's risk register.

    A 10 % chance a year of a EUR 50,000 breach, prices rising 2 % a year, years 1-2 at risk:
    0.1 × 50,000 × 1.02 = 5,100 and 0.1 × 50,000 × 1.0404 = 5,202.

    >>> expected_risk_cost(0.1, 50000, np.array([1, 1.02, 1.0404]), [0, 1, 1]).round(6).tolist()
    [0.0, 5100.0, 5202.0]
    """
    return (np.asarray(probability, dtype=float) * np.asarray(impact, dtype=float)
            * np.asarray(price, dtype=float) * np.asarray(at_risk, dtype=float))


def expected_risk_cost_formula(probability: str, impact: str, price: str, at_risk: str) -> str:
    return f"{probability}*{impact}*{price}*{at_risk}"


def risk_cost_drawn(happens: ArrayLike, impact: ArrayLike, price: ArrayLike,
                    at_risk: ArrayLike) -> NDArray[np.float64]:
    """A risk's cost in one Monte Carlo draw: ``impact × price factor`` in each year at risk in
    which the event happens (``happens`` 1), else 0. Its mean over draws is the expected cost.

    >>> pf = np.array([1.0, 1.1, 1.21])
    >>> risk_cost_drawn(np.array([[1, 0, 1]]), 100.0, pf, [1, 1, 0]).tolist()
    [[100.0, 0.0, 0.0]]
    """
    return (np.asarray(happens, dtype=float) * np.asarray(impact, dtype=float)
            * np.asarray(price, dtype=float) * np.asarray(at_risk, dtype=float))


def at_risk_flag_formula(year: str, first: str, last: str) -> str:
    """1 in the years from ``first`` to ``last`` (the years at risk)."""
    return f"({year}>={first})*({year}<={last})"
