"""Funding as yearly cash: contributions, revenue, grants, in-kind, loans, outcome payments.

Computed for one choice of which sources take part (all sources with a probability above 0, the
committed ones only, or the awards of each Monte Carlo draw), so that the secured figures and the
draws reuse the same code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labfinance.engine import finance
from labfinance.engine.lineitems import BenefitLine, Case, CostLine, shift
from labfinance.engine.linesums import LineSums
from labfinance.model.scenario import Contribution, Grant, InKind, Loan, OutcomePayment, Revenue


@dataclass
class AmountWorkings:
    """An amount form (contribution, revenue, fixed grant, in-kind amount): timing, amount in
    start-year prices and price factor; ``None`` timing for a schedule."""

    timing: np.ndarray | None
    base: np.ndarray
    price_factor: np.ndarray
    gross: np.ndarray              # base × price factor: what it pays if it takes part


@dataclass
class RateGrantWorkings:
    """A rate-based grant: eligible cost -> capped entitlement -> advance, instalments,
    retention. Series after ``eligible`` run past the horizon by the payment lag.

    Worked on the window's years alone (often 3 of 12: the running total and its increases
    cost a quarter in a Monte Carlo chunk); the yearly rows the workbook shows are built from
    them when asked, the same numbers bit for bit (outside the window the running total only
    adds zeros)."""

    window: np.ndarray             # 1 in the years whose costs are eligible
    eligible_cost: np.ndarray      # eligible cost less in-kind cover, every year
    in_window: np.ndarray          # capped running total of rate × eligible, window years only
    total: np.ndarray              # (draws, 1): E
    advance_share: Any
    retention_share: Any
    first: int                     # the window's first and last year index
    last: int
    lag: int
    n: int                         # the horizon and the lag after it

    @property
    def eligible(self) -> np.ndarray:
        """Eligible cost inside the window."""
        return self.eligible_cost * self.window

    @property
    def cumulative(self) -> np.ndarray:
        """The capped running total, every year of the horizon."""
        rows = self.in_window.shape[0]
        y = self.window.shape[-1]
        out = np.zeros((rows, y))
        out[:, self.first:self.last + 1] = self.in_window
        out[:, self.last + 1:] = self.in_window[:, -1:]
        return out

    @property
    def entitlement(self) -> np.ndarray:
        """e(t), the running total's yearly increase, every year of the horizon."""
        out = np.zeros((self.in_window.shape[0], self.window.shape[-1]))
        out[:, self.first:self.last + 1] = finance.increase(self.in_window)
        return out

    def _at(self, share: Any, year: int) -> np.ndarray:
        amount = np.asarray(share * self.total, dtype=float)
        out = np.zeros((amount.shape[0], self.n))
        out[:, year] = amount[:, 0]
        return out

    @property
    def advance(self) -> np.ndarray:
        return self._at(self.advance_share, self.first)

    @property
    def instalments(self) -> np.ndarray:
        return shift(self.entitlement * (1 - self.advance_share - self.retention_share),
                     self.lag, self.n)

    @property
    def retention(self) -> np.ndarray:
        return self._at(self.retention_share, self.last + self.lag)

    def due(self) -> np.ndarray:
        """Instalments + advance + retention, built on the window's columns alone."""
        paid_late = (finance.increase(self.in_window)
                     * np.asarray(1 - self.advance_share - self.retention_share))
        advance = np.asarray(self.advance_share * self.total, dtype=float)
        retention = np.asarray(self.retention_share * self.total, dtype=float)
        rows = np.broadcast_shapes(paid_late.shape[:1], advance.shape[:1], retention.shape[:1])
        out = np.zeros((rows[0], self.n))
        out[:, self.first + self.lag:self.last + self.lag + 1] = paid_late
        out[:, self.first] += advance[:, 0]
        out[:, self.last + self.lag] += retention[:, 0]
        return out


@dataclass
class OutcomeWorkings:
    price_factor: np.ndarray       # over the horizon and the lag after it
    counted: np.ndarray            # the benefit's net quantity, lag years later
    due: np.ndarray
    cumulative: np.ndarray         # capped running total of what is due


@dataclass
class LoanWorkings:
    loan_in: np.ndarray
    payment: np.ndarray            # (draws,) the instalment after the grace years
    service: np.ndarray            # interest only in grace years, instalments, the balloon
    balance: np.ndarray            # principal owed at the end of each year
    outstanding: np.ndarray        # (draws,) at the end of the horizon, half a cent counted as 0
    interest: np.ndarray           # last year's balance × rate (format 1.2: lines.loans)
    principal: np.ndarray          # service - interest


@dataclass
class SourceWorkings:
    """One source in one selection: whether it takes part, what it pays if it does (``gross``,
    over the horizon and any lag after it) and the cash it pays (``paid`` = gross × takes part).
    ``detail`` holds the workings of its type."""

    takes_part: Any
    gross: np.ndarray
    paid: np.ndarray
    detail: AmountWorkings | RateGrantWorkings | OutcomeWorkings | LoanWorkings | None = None
    loan_in: np.ndarray | None = None       # a loan: money in and debt service, if it takes part
    debt_service: np.ndarray | None = None


class NetOfInKind(Mapping[str, np.ndarray]):
    """Cost id -> the cost less what in-kind covers of it, worked out when read: the workbook
    reads it, a Monte Carlo chunk never does (at 2,000 lines the whole dict cost 3 ms a call)."""

    def __init__(self, costs: list[CostLine], covered: Mapping[str, Any], left_out: list[str],
                 zeros: np.ndarray):
        self._costs, self._covered, self._left_out, self._zeros = costs, covered, left_out, zeros
        self._by_id: dict[str, CostLine] | None = None

    def _lines(self) -> dict[str, CostLine]:
        if self._by_id is None:
            self._by_id = {line.id: line for line in self._costs}
        return self._by_id

    def __getitem__(self, key: str) -> np.ndarray:
        line = self._lines().get(key)
        if line is not None:
            return _less(line.cost, self._covered.get(key))
        if key in self._left_out:
            return self._zeros
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        yield from self._lines()
        yield from (key for key in self._left_out if key not in self._lines())

    def __len__(self) -> int:
        return sum(1 for _ in self)


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
    sources: dict[str, SourceWorkings] = field(default_factory=dict)
    # cost id -> the cost less what in-kind covers of it
    net_of_in_kind: Mapping[str, np.ndarray] = field(default_factory=dict)
    due_after: np.ndarray | None = None  # (draws, max lag): grant and outcome money due later
    # format 1.2: each loan's schedule as taken: interest, principal and balance by year
    loans: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def funding_flows(c: Case, costs: list[CostLine], benefits: list[BenefitLine],
                  taking_part: Mapping[str, Any], sums: LineSums | None = None,
                  workings: bool = True) -> FundingFlows:
    """``taking_part[source id]`` is 1.0/0.0 or a ``(draws, 1)`` column of them; ``sums`` adds
    up ``costs`` (reusing the case's lines where it can). ``workings=False`` (a Monte Carlo
    chunk) leaves out what a source that takes no part (0.0) would have paid: its line is 0
    and it has no workings, where the committed-only choice had worked out every unsigned
    source's money only to multiply it by 0."""
    sums = LineSums(costs, None) if sums is None else sums
    s, P, Y = c.s, c.P, c.Y
    zeros = np.zeros((1, Y))
    rows = dict.fromkeys(("funding", "revenue", "loan_in", "debt_service"), zeros)
    receivable: Any = np.zeros(1)
    outstanding: Any = np.zeros(1)
    lines: dict[str, np.ndarray] = {}
    sources: dict[str, SourceWorkings] = {}
    loans: dict[str, dict[str, np.ndarray]] = {}
    cost_by_id = {line.id: line for line in costs}
    max_lag = max([f.payment.lag for f in s.funding if isinstance(f, Grant)]
                  + [f.lag for f in s.funding if isinstance(f, OutcomePayment)], default=0)
    after: Any = np.zeros((1, max_lag))

    # in-kind first: rate-based grants are paid on eligible cost less what in-kind covers;
    # only the lines an in-kind source covers are listed (most lines of a long file are not)
    covered: dict[str, Any] = {}
    eligible_sums: dict[str, np.ndarray] = {}  # grants that pay on the same costs share the sum
    for f in s.funding:
        if isinstance(f, InKind):
            inc = taking_part[f.id]
            if f.covers is not None:
                share = P.get(f"funding.{f.id}.share", f.cover_share)
                gross = c.full(cost_by_id[f.covers].cost * share)
                covers: str | None = f.covers
            elif f.id in cost_by_id:
                gross, covers = cost_by_id[f.id].cost, f.id
            else:  # probability 0: left out everywhere
                gross, covers = zeros, None
            value = c.full(gross * inc)
            if covers is not None:
                covered[covers] = covered.get(covers, zeros) + value
            lines[f.id] = value
            sources[f.id] = SourceWorkings(inc, gross, value)

    # a parameter recording call reads every source's parameters, taking part or not
    skip_absent = not workings and c.P.recorded is None
    for f in s.funding:
        path = f"funding.{f.id}"
        inc = taking_part[f.id]
        if skip_absent and not isinstance(f, InKind) and isinstance(inc, float) and inc == 0.0:
            lines[f.id] = zeros
            continue
        if isinstance(f, InKind):
            rows["funding"] = rows["funding"] + lines[f.id]
        elif isinstance(f, Contribution | Revenue):
            amount = _amount(c, path, f)
            cash = c.full(amount.gross * inc)
            row = "revenue" if isinstance(f, Revenue) else "funding"
            rows[row] = rows[row] + cash
            lines[f.id] = cash
            sources[f.id] = SourceWorkings(inc, amount.gross, cash, amount)
        elif isinstance(f, Grant):
            lag = f.payment.lag
            n = Y + max_lag  # every source's money due on one timeline: the horizon and after
            detail: AmountWorkings | RateGrantWorkings
            if f.rate is None:
                detail = _amount(c, path, f)
                due = shift(detail.gross, lag, n)
            else:
                detail = _rate_grant(c, f, sums, covered, n, eligible_sums)
                due = detail.due()
            paid = due * inc
            sources[f.id] = SourceWorkings(inc, due, paid, detail)
            lines[f.id] = paid[:, :Y]
            rows["funding"] = rows["funding"] + paid[:, :Y]
            receivable = receivable + paid[:, Y:].sum(axis=-1)
            after = after + paid[:, Y:]
        elif isinstance(f, OutcomePayment):
            target = next(b for b in benefits if b.id == f.benefit)
            assert target.net_quantity is not None
            n = Y + max_lag
            price_factor = c.price(path, f.escalation, n)
            counted = shift(target.net_quantity, f.lag, n)
            due = counted * P.get(f"{path}.price", f.price) * price_factor
            cap = P.get(f"{path}.cap", f.cap) if f.cap is not None else np.inf
            cumulative = finance.capped_running_total(due, cap)
            gross = finance.increase(cumulative)
            paid = gross * inc
            sources[f.id] = SourceWorkings(inc, gross, paid, OutcomeWorkings(
                c.full(price_factor), counted, due, cumulative))
            lines[f.id] = paid[:, :Y]
            rows["funding"] = rows["funding"] + paid[:, :Y]
            receivable = receivable + paid[:, Y:].sum(axis=-1)
            after = after + paid[:, Y:]
        elif isinstance(f, Loan):
            loan = _loan(c, f)
            taken_in, taken_service = c.full(loan.loan_in * inc), c.full(loan.service * inc)
            rows["loan_in"] = rows["loan_in"] + taken_in
            rows["debt_service"] = rows["debt_service"] + taken_service
            outstanding = outstanding + loan.outstanding * np.asarray(inc, dtype=float).reshape(-1)
            lines[f.id] = taken_in - taken_service  # inc is 0 or 1: (in - service) × inc exactly
            sources[f.id] = SourceWorkings(inc, loan.loan_in - loan.service, lines[f.id], loan,
                                           taken_in, taken_service)
            loans[f.id] = {key: c.full(getattr(loan, key) * inc)
                           for key in ("interest", "principal", "balance")}
    # an in-kind amount at probability 0 implies no cost: nothing to cover
    left_out = [f.id for f in s.funding if isinstance(f, InKind) and f.covers is None]
    net = NetOfInKind(costs, covered, left_out, zeros)
    return FundingFlows(lines, rows["funding"], rows["revenue"], rows["loan_in"],
                        rows["debt_service"], receivable, outstanding, sources, net, after,
                        loans)


def _amount(c: Case, path: str, f: Contribution | Revenue | Grant) -> AmountWorkings:
    base = c.full(c.base_amounts(path, f))
    pf = c.full(c.price(path, f.escalation))
    return AmountWorkings(c.timing(f), base, pf, c.full(base * pf))


def _less(cost: np.ndarray, covered: np.ndarray | None) -> np.ndarray:
    """Cost less what in-kind covers; the cost itself where nothing covers it (``None``: no
    in-kind source names the line), so that a line that varies by draw is not copied at full
    size for every grant and funding choice."""
    if covered is None or (covered.shape[0] == 1 and not covered.any()):
        return cost
    return cost - covered


def _covered_lines(c: Case) -> set[str]:
    """Ids of the cost lines in-kind covers (a line it names, or the line an in-kind amount
    implies, under the source's id): their eligible cost depends on which sources take part,
    call by call, even where the line itself is the case's."""
    return {f.covers if f.covers is not None else f.id for f in c.s.funding
            if isinstance(f, InKind)}


def _rate_grant(c: Case, g: Grant, sums: LineSums, covered: dict[str, Any],
                n: int, eligible_sums: dict[str, np.ndarray]) -> RateGrantWorkings:
    """Entitlement e_t = min(rate × eligible cost_t, cap - earlier e), paid as advance, interim
    instalments ``lag`` years late, and retention after the window's last year."""
    s, P = c.s, c.P
    path = f"funding.{g.id}"
    first, last = s.grant_window(g)
    t0, t1 = first - s.start_year, last - s.start_year
    window = ((np.arange(c.Y) >= t0) & (np.arange(c.Y) <= t1)).astype(float)
    # the key names the grant's eligibility: the lines it pays on are the same in every call,
    # and grants with the same eligibility (a programme and its co-financing) share the sum
    key = f"eligible:{g.eligible}"
    if key not in eligible_sums:
        eligible_sums[key] = sums.total(key, lambda line: _less(line.cost, covered.get(line.id)),
                                        (c.Y,), lambda line: g.pays_on(line.id, line.category),
                                        varies=_covered_lines(c))
    eligible = eligible_sums[key]
    rate = P.get(f"{path}.rate", g.rate)
    cap = P.get(f"{path}.cap", g.cap) if g.cap is not None else np.inf
    in_window = finance.capped_running_total(rate * eligible[:, t0:t1 + 1], cap)
    advance = P.get(f"{path}.payment.advance", g.payment.advance)
    retention = P.get(f"{path}.payment.retention", g.payment.retention)
    return RateGrantWorkings(window, c.full(eligible), c.full(in_window), in_window[:, -1:],
                             advance, retention, t0, t1, g.payment.lag, n)


def _loan(c: Case, loan: Loan) -> LoanWorkings:
    """Loan in, debt service inside the horizon (interest only in the grace years, then the
    instalment, the balloon with the last one), and the schedule: interest, principal and the
    principal owed year by year."""
    path = f"funding.{loan.id}"
    amount = np.asarray(c.P.get(f"{path}.amount", loan.amount), dtype=float).reshape(-1, 1)
    rate = np.asarray(c.P.get(f"{path}.rate", loan.rate), dtype=float).reshape(-1, 1)
    balloon = np.asarray(c.P.get(f"{path}.balloon", loan.balloon), dtype=float).reshape(-1, 1)
    payment = finance.loan_instalment(amount, rate, loan.term, loan.grace, balloon)
    k = np.arange(c.Y) - (loan.year - c.s.start_year)
    service = c.full(finance.loan_service(k, amount, rate, loan.term, loan.grace, balloon,
                                          payment))
    loan_in = c.full(amount * (k == 0))
    interest, principal, balance = finance.loan_schedule(loan_in, service, rate)
    outstanding = finance.zero_small(balance[:, -1])
    return LoanWorkings(loan_in, np.asarray(payment).reshape(-1), service, balance, outstanding,
                        interest, principal)
