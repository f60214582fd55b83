"""Funding: every source's cash by year, for all sources and for committed sources only.

In-kind comes first, because a rate-based grant pays on eligible cost less what in-kind covers.
A rate-based grant's entitlement is a cumulative MIN against its cap; it pays an advance in the
window's first year, instalments ``lag`` years after each year's entitlement (a SUMPRODUCT over the
years, no OFFSET), and the retention after the window's last year. Money that falls due after the
horizon is in the grey "after horizon" columns: it is the receivable, not cash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labfinance.engine.lineitems import shift
from labfinance.engine.timeline import ZERO
from labfinance.model.rules import grant_covers, grant_window
from labfinance.model.scenario import Contribution, Grant, InKind, Loan, OutcomePayment, Revenue
from labfinance.outputs.excel import recipes
from labfinance.outputs.excel.book import TOL, Book, series
from labfinance.outputs.excel.cells import At, Cell, Row, TimelineSheet, less, times, total
from labfinance.outputs.excel.sheet_costs import Line

NAME = "Funding"
CASES = ("all", "committed")
CASE_LABEL = {"all": "all sources", "committed": "committed only"}
Gross = tuple[Sequence[Row | Cell], np.ndarray]  # the factors of a gross amount, and its values


class FundingSheet:
    def __init__(self, book: Book, costs: list[Line]):
        self.book = book
        s = book.scenario
        self.cur = s.currency
        self.costs = {line.id: line for line in costs}
        self.sh = TimelineSheet(book, NAME, f"{self.cur} in prices of each year. Cash rows hold "
                                "money inside the horizon; grey columns: due after the horizon.")
        self.N = book.timeline.columns
        self.Y = book.timeline.horizon
        self.cash: dict[str, dict[str, Row]] = {case: {} for case in CASES}
        self.values: dict[str, dict[str, np.ndarray]] = {case: {} for case in CASES}
        self.covered: dict[str, dict[str, list[Row]]] = {case: {} for case in CASES}
        self.net: dict[str, dict[str, Row]] = {case: {} for case in CASES}
        self.loans: dict[str, dict[str, Any]] = {case: {} for case in CASES}

    # ------------------------------------------------------------------ helpers
    def flags(self, f: Any) -> dict[str, Cell]:
        """1/0: does the source take part, with all sources and with committed ones only."""
        sh, book = self.sh, self.book
        prob = book.inputs[f"funding.{f.id}.probability"]
        take = 1.0 if f.award_probability > 0 else 0.0
        flags = {"all": sh.constant("takes part, all sources (probability above 0)", "flag",
                                    f"=IF({prob.ref(NAME)}>0,1,0)", take, kind="flag")}
        if f.committed:
            flags["committed"] = sh.constant("takes part, committed only", "flag",
                                             f"=IF({prob.ref(NAME)}>0,1,0)", take, kind="flag")
        else:
            flags["committed"] = sh.fixed("takes part, committed only", "flag", 0, kind="flag",
                                          note=f"status {f.status}: left out (structural)")
        self.take = {"all": take, "committed": take if f.committed else 0.0}
        return flags

    def cash_rows(self, f: Any, gross: Mapping[str, Gross], flags: dict[str, Cell],
                  engine_all: np.ndarray, *, span: str = "horizon", label: str = "cash") -> None:
        """Gross × takes-part, for both cases (``gross[case]``: the factors of the gross amount
        and its values); the all-sources values are the engine's."""
        for case in CASES:
            parts, gross_values = gross[case]
            values = engine_all if case == "all" else gross_values * self.take[case]
            row = self.sh.series(f"{label}, {CASE_LABEL[case]}", self.cur,
                                 times(*parts, flags[case]), values,
                                 span=span, role="line" if case == "all" else "calc",
                                 total=True)
            self.cash[case][f.id] = row
            self.values[case][f.id] = values

    def engine_line(self, f: Any) -> np.ndarray:
        return series(self.book.results.lines["funding"][f.id])

    def engine_paid(self, key: str) -> np.ndarray:
        return series(self.book.results.detail[key], self.N)[: self.N]

    # ------------------------------------------------------------------ in kind
    def in_kind(self, f: InKind) -> None:
        sh, book = self.sh, self.book
        sh.item(f.label, f"in kind; {f.status}")
        flags = self.flags(f)
        covers = f.covers if f.covers is not None else f.id
        cost = self.costs[covers].cost
        gross: Gross
        if f.covers is not None:
            gross = ((cost, book.inputs[f"funding.{f.id}.share"]),
                     book.values_of(cost) * f.cover_share)
        else:
            gross = ((cost,), book.values_of(cost))
        self.cash_rows(f, dict.fromkeys(CASES, gross), flags, self.engine_line(f),
                       label="value in kind")
        for case in CASES:
            self.covered[case].setdefault(covers, []).append(self.cash[case][f.id])
        sh.skip()

    def net_costs(self, grants: list[Grant]) -> None:
        """Costs less what in-kind covers, for the lines a rate-based grant may pay on."""
        sh, book = self.sh, self.book
        wanted = [cid for cid in self.covered["all"]
                  if any(self.eligible(g, cid) for g in grants)]
        if not wanted:
            return
        sh.band("Costs net of in-kind (what rate-based grants pay on)")
        for cid in wanted:
            line = self.costs[cid]
            for case in CASES:
                rows = self.covered[case][cid]
                values = book.values_of(line.cost) - sum(book.values_of(r) for r in rows)
                self.net[case][cid] = sh.series(
                    f"{cid}: cost net of in-kind, {CASE_LABEL[case]}", self.cur,
                    less(line.cost, rows),
                    values)

    def eligible(self, g: Grant, cost_id: str) -> bool:
        return grant_covers(g, self.costs[cost_id])

    # ------------------------------------------------------------------ grants
    def rate_grant(self, g: Grant) -> None:
        sh, book = self.sh, self.book
        s = book.scenario
        prefix = f"funding.{g.id}"
        sh.item(g.label, f"grant, {g.rate:.0%} of eligible cost; {g.status}")
        flags = self.flags(g)
        cells = {k: book.inputs[f"{prefix}.{k}"] for k in ("rate", "from", "to")}
        first, last = grant_window(g, s)
        window_values = ((book.years >= first) & (book.years <= last)).astype(float)
        window = sh.series("eligible years (1 inside the window)", "flag",
                           lambda x: f"=({x.year}>={x.c(cells['from'])})*({x.year}<="
                                     f"{x.c(cells['to'])})", window_values, kind="flag")
        ids = [cid for cid in self.costs if self.eligible(g, cid)]
        # the committed case has its own eligible cost where uncommitted in-kind covers part of it
        uncommitted_in_kind = {f.covers or f.id for f in s.funding
                               if isinstance(f, InKind) and not f.committed}
        differs = g.committed and not uncommitted_in_kind.isdisjoint(ids)
        paid: dict[str, Gross] = {}
        for case in (CASES if differs else ("all",)):
            row, values = self.entitlement(g, case, ids, window, window_values)
            paid[case] = ((row,), values)
        paid.setdefault("committed", paid["all"])
        self.cash_rows(g, paid, flags, self.engine_paid(f"grant.{g.id}.paid"), span="all")
        sh.skip()

    def entitlement(self, g: Grant, case: str, ids: list[str], window: Row,
                    window_values: np.ndarray) -> tuple[Row, np.ndarray]:
        """Eligible cost -> capped entitlement -> advance, instalments, retention."""
        sh, book = self.sh, self.book
        r = book.results
        prefix = f"funding.{g.id}"
        c = {k: book.inputs[f"{prefix}.{k}"] for k in
             ("rate", "from", "to", "payment.advance", "payment.retention", "payment.lag")}
        tag = "" if case == "all" else f" ({CASE_LABEL[case]})"
        sources = [self.net[case].get(cid, self.costs[cid].cost) for cid in ids]
        if case == "all":
            eligible_values = series(r.detail[f"grant.{g.id}.eligible"])
        else:
            eligible_values = sum((book.values_of(row) for row in sources),
                                  np.zeros(self.Y)) * window_values
        eligible = sh.series(
            f"eligible cost{tag}", self.cur,
            lambda x: "=(" + ("+".join(x(row) for row in sources) or "0") + f")*{x(window)}",
            eligible_values)
        cap_cell = book.inputs.get(f"{prefix}.cap")
        cap = g.cap if g.cap is not None else np.inf
        cum_values = np.minimum(np.cumsum(g.rate * eligible_values), cap)

        def cumulative(x: At, previous: str) -> str:
            grown = f"{previous}+{x.c(c['rate'])}*{x(eligible)}"
            return f"=MIN({x.c(cap_cell)},{grown})" if cap_cell is not None else f"={grown}"

        cum = sh.corkscrew(f"cumulative entitlement{' (capped)' if cap_cell else ''}{tag}",
                           self.cur, cumulative, cum_values)
        ent_values = np.diff(cum_values, prepend=0.0)
        if case == "all":
            ent_values = series(r.detail[f"grant.{g.id}.entitlement"])
        ent = sh.series(f"entitlement e(t){tag}", self.cur, lambda x: f"={x(cum)}-{x.prev(cum)}",
                        ent_values)
        total_value = float(cum_values[-1])
        total = sh.constant(f"total entitlement E{tag}", self.cur,
                            f"={cum.cell(self.Y - 1).ref(NAME)}", total_value)
        if case == "all":
            book.cells[f"grant.{g.id}.total"] = total
        adv, ret, lag = g.payment.advance, g.payment.retention, g.payment.lag
        first, last = grant_window(g, book.scenario)
        t0, t1 = first - book.timeline.start_year, last - book.timeline.start_year
        adv_values = np.zeros(self.N)
        adv_values[t0] = adv * total_value
        advance = sh.series(f"advance (window's first year){tag}", self.cur,
                            lambda x: f"={x.c(c['payment.advance'])}*{x.c(total)}*({x.year}="
                                      f"{x.c(c['from'])})", adv_values, span="all")
        share = (f"(1-{c['payment.advance'].ref(NAME)}-{c['payment.retention'].ref(NAME)})")
        interim_values = shift(ent_values * (1 - adv - ret), lag, self.N)
        interim = recipes.shifted(sh, f"instalments (entitlement, lag years later){tag}", self.cur,
                                  ent, c["payment.lag"], share, interim_values)
        ret_values = np.zeros(self.N)
        ret_values[t1 + lag] = ret * total_value
        retention = sh.series(f"retention (window's last year + lag){tag}", self.cur,
                              lambda x: f"={x.c(c['payment.retention'])}*{x.c(total)}*({x.year}="
                                        f"{x.c(c['to'])}+{x.c(c['payment.lag'])})", ret_values,
                              span="all")
        paid_values = interim_values + adv_values + ret_values
        paid = sh.series(f"paid if awarded{tag}", self.cur,
                         lambda x: f"={x(advance)}+{x(interim)}+{x(retention)}", paid_values,
                         span="all", total=True)
        return paid, paid_values

    def priced_amount(self, f: Grant | Contribution | Revenue, kind: str) -> tuple[Any, Any, Any]:
        """The item's heading, its takes-part flags, and the rows of an amount form: timing,
        amount in start-year prices, price factor. Returns (flags, amount, price factor)."""
        sh = self.sh
        prefix = f"funding.{f.id}"
        sh.item(f.label, f"{kind}; {f.status}")
        flags = self.flags(f)
        timing = recipes.flag(sh, prefix, f)
        return flags, recipes.base(sh, prefix, f, timing), recipes.price(sh, prefix, f.escalation)

    def amount_grant(self, g: Grant) -> None:
        sh, book = self.sh, self.book
        prefix = f"funding.{g.id}"
        flags, amount, pf = self.priced_amount(g, "grant (amounts)")
        due_values = book.values_of(amount) * book.values_of(pf)
        due = sh.series("due (priced in the year it names)", self.cur,
                        times(amount, pf), due_values)
        paid_values = shift(due_values, g.payment.lag, self.N)
        paid = recipes.shifted(sh, "paid if awarded (lag years later)", self.cur, due,
                               book.inputs[f"{prefix}.payment.lag"], "", paid_values)
        self.cash_rows(g, dict.fromkeys(CASES, ((paid,), paid_values)), flags,
                       self.engine_paid(f"grant.{g.id}.paid"), span="all")
        sh.skip()

    # ------------------------------------------------------------------ other sources
    def contribution(self, f: Contribution | Revenue) -> None:
        sh, book = self.sh, self.book
        flags, amount, pf = self.priced_amount(f, f.type)
        gross = ((amount, pf), book.values_of(amount) * book.values_of(pf))
        self.cash_rows(f, dict.fromkeys(CASES, gross), flags, self.engine_line(f))
        sh.skip()

    def loan(self, f: Loan) -> None:
        sh, book = self.sh, self.book
        prefix = f"funding.{f.id}"
        sh.item(f.label, f"loan; {f.status}")
        flags = self.flags(f)
        c = {k: book.inputs[f"{prefix}.{k}"] for k in ("amount", "year", "rate", "term")}
        years = book.years
        in_values = f.amount * (years == f.year)
        loan_in = sh.series("loan in", self.cur,
                            lambda x: f"={x.c(c['amount'])}*({x.year}={x.c(c['year'])})",
                            in_values)
        a, r_, n = (x.ref(NAME) for x in (c["amount"], c["rate"], c["term"]))
        payment_value = (f.amount / f.term if abs(f.rate) < 1e-12
                         else f.amount * f.rate / (1 - (1 + f.rate) ** -f.term))
        payment = sh.constant("annual payment (annuity: interest and principal)", self.cur,
                              f"=IF(ABS({r_})<1E-12,{a}/{n},{a}*{r_}/(1-(1+{r_})^(-{n})))",
                              payment_value)
        svc_values = payment_value * ((years > f.year) & (years <= f.year + f.term))
        service = sh.series("debt service", self.cur,
                            lambda x: f"={x.c(payment)}*({x.year}>{x.c(c['year'])})*({x.year}<="
                                      f"{x.c(c['year'])}+{x.c(c['term'])})", svc_values)
        balance_values = np.zeros(self.Y)
        previous = 0.0
        for t in range(self.Y):
            previous = previous * (1 + f.rate) + in_values[t] - svc_values[t]
            balance_values[t] = previous
        balance = sh.corkscrew("balance at the end of the year (corkscrew)", self.cur,
                               lambda x, previous: f"={previous}*(1+{x.c(c['rate'])})"
                                                   f"+{x(loan_in)}-{x(service)}", balance_values)
        last = balance.cell(self.Y - 1).ref(NAME)
        end = balance_values[-1] if abs(balance_values[-1]) >= ZERO else 0.0
        left = sh.constant("principal outstanding at the end of the horizon", self.cur,
                           f"=IF(ABS({last})<{TOL},0,{last})", end)
        for case in CASES:
            flag, take = flags[case], self.take[case]
            rows = {
                "in": sh.series(f"loan in, {CASE_LABEL[case]}", self.cur,
                                times(loan_in, flag),
                                in_values * take, total=True),
                "service": sh.series(f"debt service, {CASE_LABEL[case]}", self.cur,
                                     times(service, flag),
                                     svc_values * take, total=True),
            }
            self.loans[case][f.id] = {**rows, "left": left, "flag": flag,
                                      "left_value": end * take,
                                      "in_values": in_values * take,
                                      "svc_values": svc_values * take}
        sh.skip()

    def outcome(self, f: OutcomePayment) -> None:
        sh, book = self.sh, self.book
        prefix = f"funding.{f.id}"
        sh.item(f.label, f"outcome payment for {f.benefit}; {f.status}")
        flags = self.flags(f)
        pf = recipes.price(sh, prefix, f.escalation, span="all")
        net_q = book.rows[f"benefit.{f.benefit}.net_quantity"]
        counted_values = shift(book.values_of(net_q), f.lag, self.N)
        counted = recipes.shifted(sh, "outcomes paid for (net quantity, lag years earlier)",
                                  "units", net_q, book.inputs[f"{prefix}.lag"], "",
                                  counted_values, kind="quantity")
        price = book.inputs[f"{prefix}.price"]
        due_values = f.price * book.values_of(pf) * counted_values
        due = sh.series("due: price × price factor × outcomes", self.cur,
                        times(price, pf, counted), due_values, span="all")
        cap_cell = book.inputs.get(f"{prefix}.cap")
        cum_values = np.minimum(np.cumsum(due_values), f.cap if f.cap is not None else np.inf)

        def cumulative(x: At, previous: str) -> str:
            grown = f"{previous}+{x(due)}"
            return f"=MIN({x.c(cap_cell)},{grown})" if cap_cell is not None else f"={grown}"

        cum = sh.corkscrew(f"cumulative due{' (capped)' if cap_cell else ''}", self.cur,
                           cumulative, cum_values, span="all")
        paid_values = np.diff(cum_values, prepend=0.0)
        paid = sh.series("paid if awarded", self.cur, lambda x: f"={x(cum)}-{x.prev(cum)}",
                         paid_values, span="all", total=True)
        self.cash_rows(f, dict.fromkeys(CASES, ((paid,), paid_values)), flags,
                       self.engine_paid(f"outcome.{f.id}.paid"), span="all")
        sh.skip()

    # ------------------------------------------------------------------ totals
    def totals(self) -> None:
        sh, book = self.sh, self.book
        s, r = book.scenario, book.results
        funding_ids = [f.id for f in s.funding
                       if isinstance(f, InKind | Contribution | Grant | OutcomePayment)]
        revenue_ids = [f.id for f in s.funding if isinstance(f, Revenue)]
        later_ids = [f.id for f in s.funding if isinstance(f, Grant | OutcomePayment)]
        loan_ids = [f.id for f in s.funding if isinstance(f, Loan)]
        zeros = np.zeros(self.Y)
        for case in CASES:
            sh.band(f"Totals, {CASE_LABEL[case]}")
            cash, values, loans = self.cash[case], self.values[case], self.loans[case]

            def add(key: str, label: str, rows: list[Row], mirror: np.ndarray,
                    engine: str | None, case: str = case) -> None:
                vals = series(r.ledger[engine]) if case == "all" and engine else mirror
                row = sh.series(f"{label}, {CASE_LABEL[case]}", self.cur, total(rows), vals,
                                role="total", total=True)
                book.add_row(f"{case}.{key}", row, vals)

            add("funding", "Funding (excl. revenue and loans)",
                [cash[i] for i in funding_ids],
                sum((values[i][: self.Y] for i in funding_ids), zeros), "funding")
            add("revenue", "Revenue", [cash[i] for i in revenue_ids],
                sum((values[i][: self.Y] for i in revenue_ids), zeros), "revenue")
            add("loan_in", "Loans in", [loans[i]["in"] for i in loan_ids],
                sum((loans[i]["in_values"] for i in loan_ids), zeros), "loan_in")
            add("debt_service", "Debt service", [loans[i]["service"] for i in loan_ids],
                sum((loans[i]["svc_values"] for i in loan_ids), zeros), "debt_service")
            if book.timeline.after:
                after = sum((values[i][self.Y:] for i in later_ids), np.zeros(book.timeline.after))
                row = sh.series(f"Due after the horizon, {CASE_LABEL[case]}", self.cur,
                                total([cash[i] for i in later_ids]), after, span="after",
                                role="total", total=True)
                book.add_row(f"{case}.after", row, after)
            parts = [f"{loans[i]['left'].ref(NAME)}*{loans[i]['flag'].ref(NAME)}" for i in loan_ids]
            debt = sum((loans[i]["left_value"] for i in loan_ids), 0.0)
            book.add_cell(f"{case}.debt", sh.constant(
                f"Loan principal owed at the end, {CASE_LABEL[case]}", self.cur,
                "=" + "+".join(parts) if parts else "=0", debt, role="total"), debt)
            sh.skip()

    def build(self) -> None:
        s = self.book.scenario
        in_kind = [f for f in s.funding if isinstance(f, InKind)]
        if in_kind:
            self.sh.band("In-kind contributions (non-cash: on both sides of the cash flow)")
            for f in in_kind:
                self.in_kind(f)
        grants = [f for f in s.funding if isinstance(f, Grant) and f.rate is not None]
        self.net_costs(grants)
        others = [f for f in s.funding if not isinstance(f, InKind)]
        if others:
            self.sh.band("Sources")
        for source in others:
            if isinstance(source, Grant):
                (self.rate_grant if source.rate is not None else self.amount_grant)(source)
            elif isinstance(source, Contribution | Revenue):
                self.contribution(source)
            elif isinstance(source, Loan):
                self.loan(source)
            elif isinstance(source, OutcomePayment):
                self.outcome(source)
        self.totals()
        for case in CASES:
            for fid, row in self.cash[case].items():
                self.book.add_row(f"{case}.source.{fid}", row, self.values[case][fid])
            for fid, rows in self.loans[case].items():
                self.book.add_row(f"{case}.loan.{fid}.in", rows["in"], rows["in_values"])
                self.book.add_row(f"{case}.loan.{fid}.service", rows["service"],
                                  rows["svc_values"])


def build(book: Book, costs: list[Line]) -> None:
    FundingSheet(book, costs).build()
