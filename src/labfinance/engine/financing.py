"""Funding as yearly cash: contributions, revenue, grants, in-kind, loans, outcome payments.

Computed for one choice of which sources take part (all sources with a probability above 0, the
committed ones only, or the awards of each Monte Carlo draw), so that the secured figures and the
draws reuse the same code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from labfinance.engine.lineitems import BenefitLine, Case, CostLine, shift
from labfinance.engine.sums import add_up
from labfinance.engine.timeline import ZERO
from labfinance.model.rules import grant_covers, grant_window
from labfinance.model.scenario import Contribution, Grant, InKind, Loan, OutcomePayment, Revenue


@dataclass
class FundingFlows:
    """Funding cash flows for one choice of which sources take part."""

    lines: dict[str, np.ndarray]        # cash inside the horizon per source (loans: in - service)
    funding: np.ndarray
    revenue: np.ndarray
    loan_in: np.ndarray
    debt_service: np.ndarray
    receivable: np.ndarray              # (draws,) due after the horizon
    debt_outstanding: np.ndarray        # (draws,)
    detail: dict[str, np.ndarray]


def funding_flows(c: Case, costs: list[CostLine], benefits: list[BenefitLine],
             taking_part: Mapping[str, Any]) -> FundingFlows:
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
                paid = shift(due, lag, n)
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
            due = shift(target.net_quantity, f.lag, n) * price
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
    return FundingFlows(lines, rows["funding"], rows["revenue"], rows["loan_in"],
                        rows["debt_service"], receivable, outstanding, detail)


def _rate_grant(c: Case, g: Grant, costs: list[CostLine], covered: dict[str, np.ndarray],
                n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Entitlement e_t = min(rate × eligible cost_t, cap - earlier e), paid as advance, interim
    instalments ``lag`` years late, and retention after the window's last year."""
    s, P = c.s, c.P
    path = f"funding.{g.id}"
    first, last = grant_window(g, s)
    t0, t1 = first - s.start_year, last - s.start_year
    window = ((np.arange(c.Y) >= t0) & (np.arange(c.Y) <= t1)).astype(float)
    eligible = add_up((line.cost - covered[line.id] for line in costs if grant_covers(g, line)),
                      (c.Y,)) * window
    rate = P.get(f"{path}.rate", g.rate)
    cap = P.get(f"{path}.cap", g.cap) if g.cap is not None else np.inf
    cumulative = np.minimum(np.cumsum(rate * eligible, axis=-1), cap)
    entitlement = np.diff(cumulative, axis=-1, prepend=0.0)
    total = cumulative[:, -1:]
    advance = P.get(f"{path}.payment.advance", g.payment.advance)
    retention = P.get(f"{path}.payment.retention", g.payment.retention)
    lag = g.payment.lag
    paid = shift(entitlement * (1 - advance - retention), lag, n)
    lumps = ((t0, advance * total), (t1 + lag, retention * total))  # (draws or 1, 1) each
    rows = max(paid.shape[0], *(np.shape(amount)[0] for _, amount in lumps))
    if paid.shape[0] != rows:
        paid = np.repeat(paid, rows, axis=0)
    for year, amount in lumps:  # added in place: two columns, not two full-size arrays
        paid[:, year] += np.broadcast_to(amount, (rows, 1))[:, 0]
    return paid, {"eligible": eligible, "entitlement": entitlement}


def _loan(c: Case, loan: Loan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
