"""Funding: every source's cash by year, for all sources and for committed sources only.

In-kind comes first, because a rate-based grant pays on eligible cost less what in-kind covers.
A rate-based grant's entitlement is a capped running total; it pays an advance in the window's
first year, instalments ``lag`` years after each year's entitlement (a SUMPRODUCT over the years,
no OFFSET), and the retention after the window's last year. Money that falls due after the
horizon is in the grey "after horizon" columns: it is the receivable, not cash.

Every cached value is the engine's (:class:`labfinance.engine.financing.FundingFlows` of the
planned and the secured selection); every rule's formula comes from
:mod:`labfinance.engine.finance`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labfinance.engine import finance
from labfinance.engine.financing import (
    AmountWorkings,
    FundingFlows,
    LoanWorkings,
    OutcomeWorkings,
    RateGrantWorkings,
    SourceWorkings,
)
from labfinance.model.scenario import (
    Contribution,
    Grant,
    InKind,
    Loan,
    OutcomePayment,
    Revenue,
)
from labfinance.outputs.excel import recipes
from labfinance.outputs.excel.book import TOL, Book, scalar, series
from labfinance.outputs.excel.cells import (
    At,
    Cell,
    Row,
    TimelineSheet,
    less,
    row_term,
    times,
    total,
)
from labfinance.outputs.excel.sheet_costs import Line

NAME = "Funding"
CASES = ("all", "committed")
CASE_LABEL = {"all": "all sources", "committed": "committed only"}
# format 1.2 (issue 15): the visible labels of a loan's schedule, gathered for the catalogue
LOAN_LABELS = {
    "in": "loan in",
    "instalment": "instalment after the grace years (annuity; the balloon left owed)",
    "service": "debt service (interest only in grace years, instalments, balloon at the end)",
    "balance": "balance at the end of the year (corkscrew)",
    "interest": "interest (last year's balance × rate)",
    "principal": "principal repaid (debt service - interest)",
}


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
        w = book.workings
        self.flows: dict[str, FundingFlows] = {"all": w.planned.flows,
                                               "committed": w.secured.flows}
        self.cash: dict[str, dict[str, Row]] = {case: {} for case in CASES}
        self.covered: dict[str, dict[str, list[Row]]] = {case: {} for case in CASES}
        self.net: dict[str, dict[str, Row]] = {case: {} for case in CASES}
        self.loans: dict[str, dict[str, dict[str, Row]]] = {case: {} for case in CASES}

    # ------------------------------------------------------------------ helpers
    def source(self, f: Any, case: str = "all") -> SourceWorkings:
        return self.flows[case].sources[f.id]

    def all_columns(self, values: Any) -> Any:
        """Engine values over the horizon and the years after it shown on every sheet."""
        return series(values, self.N)[: self.N]

    def flags(self, f: Any) -> dict[str, Cell]:
        """1/0: does the source take part, with all sources and with committed ones only."""
        sh, book = self.sh, self.book
        prob = book.inputs[f"funding.{f.id}.probability"]
        take = {case: scalar(self.source(f, case).takes_part) for case in CASES}
        flags = {"all": sh.constant("takes part, all sources (probability above 0)", "flag",
                                    f"=IF({prob.ref(NAME)}>0,1,0)", take["all"], kind="flag")}
        if f.committed:
            flags["committed"] = sh.constant("takes part, committed only", "flag",
                                             f"=IF({prob.ref(NAME)}>0,1,0)", take["committed"],
                                             kind="flag")
        else:
            flags["committed"] = sh.fixed("takes part, committed only", "flag",
                                          take["committed"], kind="flag",
                                          note=f"status {f.status}: left out (structural)")
        return flags

    def cash_rows(self, f: Any, gross: dict[str, Sequence[Row | Cell]], flags: dict[str, Cell],
                  *, span: str = "horizon", label: str = "cash") -> None:
        """Gross × takes-part, for both cases (``gross[case]``: the factors of the gross
        amount); the values are the engine's cash of the source in each selection."""
        for case in CASES:
            paid = self.source(f, case).paid
            values = self.all_columns(paid) if span == "all" else series(paid)
            row = self.sh.series(f"{label}, {CASE_LABEL[case]}", self.cur,
                                 times(*gross[case], flags[case]), values,
                                 span=span, role="line" if case == "all" else "calc",
                                 total=True)
            self.cash[case][f.id] = row
            self.book.add_row(f"{case}.source.{f.id}", row, values)

    # ------------------------------------------------------------------ in kind
    def in_kind(self, f: InKind) -> None:
        sh, book = self.sh, self.book
        sh.item(f.label, f"in kind; {f.status}")
        flags = self.flags(f)
        covers = f.covers if f.covers is not None else f.id
        cost = self.costs[covers].cost
        gross: Sequence[Row | Cell] = ((cost, book.inputs[f"funding.{f.id}.share"])
                                       if f.covers is not None else (cost,))
        self.cash_rows(f, dict.fromkeys(CASES, gross), flags, label="value in kind")
        for case in CASES:
            self.covered[case].setdefault(covers, []).append(self.cash[case][f.id])
        sh.skip()

    def net_costs(self, grants: list[Grant]) -> None:
        """Costs less what in-kind covers, for the lines a rate-based grant may pay on."""
        sh = self.sh
        wanted = [cid for cid in self.covered["all"]
                  if any(self.eligible(g, cid) for g in grants)]
        if not wanted:
            return
        sh.band("Costs net of in-kind (what rate-based grants pay on)")
        for cid in wanted:
            line = self.costs[cid]
            for case in CASES:
                self.net[case][cid] = sh.series(
                    f"{cid}: cost net of in-kind, {CASE_LABEL[case]}", self.cur,
                    less(line.cost, self.covered[case][cid]),
                    series(self.flows[case].net_of_in_kind[cid]))

    def eligible(self, g: Grant, cost_id: str) -> bool:
        return g.pays_on(cost_id, self.costs[cost_id].category)

    # ------------------------------------------------------------------ grants
    def rate_grant(self, g: Grant) -> None:
        sh, book = self.sh, self.book
        s = book.scenario
        prefix = f"funding.{g.id}"
        sh.item(g.label, f"grant, {g.rate:.0%} of eligible cost; {g.status}")
        flags = self.flags(g)
        cells = {k: book.inputs[f"{prefix}.{k}"] for k in ("rate", "from", "to")}
        detail = self.source(g).detail
        assert isinstance(detail, RateGrantWorkings)
        window = sh.series("eligible years (1 inside the window)", "flag",
                           lambda x: f"=({x.year}>={x.c(cells['from'])})*({x.year}<="
                                     f"{x.c(cells['to'])})", series(detail.window), kind="flag")
        ids = [cid for cid in self.costs if self.eligible(g, cid)]
        # the committed case has its own eligible cost where uncommitted in-kind covers part of it
        uncommitted_in_kind = {f.covers or f.id for f in s.funding
                               if isinstance(f, InKind) and not f.committed}
        differs = g.committed and not uncommitted_in_kind.isdisjoint(ids)
        paid: dict[str, Sequence[Row | Cell]] = {}
        for case in (CASES if differs else ("all",)):
            paid[case] = (self.entitlement(g, case, ids, window),)
        paid.setdefault("committed", paid["all"])
        self.cash_rows(g, paid, flags, span="all")
        sh.skip()

    def entitlement(self, g: Grant, case: str, ids: list[str], window: Row) -> Row:
        """Eligible cost -> capped entitlement -> advance, instalments, retention."""
        sh, book = self.sh, self.book
        prefix = f"funding.{g.id}"
        c = {k: book.inputs[f"{prefix}.{k}"] for k in
             ("rate", "from", "to", "payment.advance", "payment.retention", "payment.lag")}
        tag = "" if case == "all" else f" ({CASE_LABEL[case]})"
        w = self.source(g, case)
        detail = w.detail
        assert isinstance(detail, RateGrantWorkings)
        sources = [self.net[case].get(cid, self.costs[cid].cost) for cid in ids]
        terms = sh.in_parts(f"eligible cost{tag} before the window", self.cur,
                            [(row_term(row), book.values_of(row)) for row in sources])
        eligible = sh.series(
            f"eligible cost{tag}", self.cur,
            lambda x: "=(" + ("+".join(t(x) for t, _ in terms) or "0") + f")*{x(window)}",
            series(detail.eligible))
        cap_cell = book.inputs.get(f"{prefix}.cap")

        def cumulative(x: At, previous: str) -> str:
            return "=" + finance.capped_running_total_formula(
                previous, f"{x.c(c['rate'])}*{x(eligible)}",
                x.c(cap_cell) if cap_cell is not None else None)

        cum = sh.corkscrew(f"cumulative entitlement{' (capped)' if cap_cell else ''}{tag}",
                           self.cur, cumulative, series(detail.cumulative))
        ent = sh.series(f"entitlement e(t){tag}", self.cur,
                        lambda x: "=" + finance.increase_formula(x(cum), x.prev(cum)),
                        series(detail.entitlement))
        total_cell = sh.constant(f"total entitlement E{tag}", self.cur,
                                 f"={cum.cell(self.Y - 1).ref(NAME)}", scalar(detail.total))
        if case == "all":
            book.cells[f"grant.{g.id}.total"] = total_cell
        advance = sh.series(f"advance (window's first year){tag}", self.cur,
                            lambda x: f"={x.c(c['payment.advance'])}*{x.c(total_cell)}*({x.year}="
                                      f"{x.c(c['from'])})", self.all_columns(detail.advance),
                            span="all")
        share = (f"(1-{c['payment.advance'].ref(NAME)}-{c['payment.retention'].ref(NAME)})")
        interim = recipes.shifted(sh, f"instalments (entitlement, lag years later){tag}", self.cur,
                                  ent, c["payment.lag"], share, detail.instalments)
        retention = sh.series(f"retention (window's last year + lag){tag}", self.cur,
                              lambda x: f"={x.c(c['payment.retention'])}*{x.c(total_cell)}*"
                                        f"({x.year}={x.c(c['to'])}+{x.c(c['payment.lag'])})",
                              self.all_columns(detail.retention), span="all")
        return sh.series(f"paid if awarded{tag}", self.cur,
                         lambda x: f"={x(advance)}+{x(interim)}+{x(retention)}",
                         self.all_columns(w.gross), span="all", total=True)

    def priced_amount(self, f: Grant | Contribution | Revenue, kind: str
                      ) -> tuple[dict[str, Cell], Row, Row, AmountWorkings]:
        """The item's heading, its takes-part flags, and the rows of an amount form: timing,
        amount in start-year prices, price factor."""
        sh = self.sh
        prefix = f"funding.{f.id}"
        sh.item(f.label, f"{kind}; {f.status}")
        flags = self.flags(f)
        detail = self.source(f).detail
        assert isinstance(detail, AmountWorkings)
        timing = recipes.flag(sh, prefix, f, detail.timing)
        amount = recipes.base(sh, prefix, f, timing, detail.base)
        return flags, amount, recipes.price(sh, prefix, detail.price_factor), detail

    def amount_grant(self, g: Grant) -> None:
        sh, book = self.sh, self.book
        prefix = f"funding.{g.id}"
        flags, amount, pf, detail = self.priced_amount(g, "grant (amounts)")
        due = sh.series("due (priced in the year it names)", self.cur, times(amount, pf),
                        series(detail.gross))
        paid = recipes.shifted(sh, "paid if awarded (lag years later)", self.cur, due,
                               book.inputs[f"{prefix}.payment.lag"], "", self.source(g).gross)
        self.cash_rows(g, dict.fromkeys(CASES, (paid,)), flags, span="all")
        sh.skip()

    # ------------------------------------------------------------------ other sources
    def contribution(self, f: Contribution | Revenue) -> None:
        flags, amount, pf, _ = self.priced_amount(f, f.type)
        self.cash_rows(f, dict.fromkeys(CASES, (amount, pf)), flags)
        self.sh.skip()

    def loan(self, f: Loan) -> None:
        sh, book = self.sh, self.book
        prefix = f"funding.{f.id}"
        sh.item(f.label, f"loan; {f.status}")
        flags = self.flags(f)
        c = {k: book.inputs[f"{prefix}.{k}"]
             for k in ("amount", "year", "rate", "term", "grace", "balloon")}
        detail = self.source(f).detail
        assert isinstance(detail, LoanWorkings)
        loan_in = sh.series(LOAN_LABELS["in"], self.cur,
                            lambda x: f"={x.c(c['amount'])}*({x.year}={x.c(c['year'])})",
                            series(detail.loan_in))
        a, r_, n, g, b = (c[k].ref(NAME) for k in ("amount", "rate", "term", "grace", "balloon"))
        payment = sh.constant(LOAN_LABELS["instalment"], self.cur,
                              "=" + finance.loan_instalment_formula(a, r_, n, g, b),
                              scalar(detail.payment))

        def service_formula(x: At) -> str:
            return "=" + finance.loan_service_formula(
                f"({x.year}-{x.c(c['year'])})", x.c(c["amount"]), x.c(c["rate"]),
                x.c(c["term"]), x.c(c["grace"]), x.c(c["balloon"]), x.c(payment))

        service = sh.series(LOAN_LABELS["service"], self.cur, service_formula,
                            series(detail.service))
        balance = self.loan_schedule(f, c["rate"], loan_in, service, detail)
        book.add_row(f"loan.{f.id}.drawn", loan_in, series(detail.loan_in))
        last = balance.cell(self.Y - 1).ref(NAME)
        left = sh.constant("principal outstanding at the end of the horizon", self.cur,
                           "=" + finance.zero_small_formula(last, TOL), scalar(detail.outstanding))
        for case in CASES:
            w = self.source(f, case)
            assert w.loan_in is not None and w.debt_service is not None
            rows = {
                "in": sh.series(f"loan in, {CASE_LABEL[case]}", self.cur,
                                times(loan_in, flags[case]), series(w.loan_in), total=True),
                "service": sh.series(f"debt service, {CASE_LABEL[case]}", self.cur,
                                     times(service, flags[case]), series(w.debt_service),
                                     total=True),
            }
            self.loans[case][f.id] = rows
            book.cells[f"{case}.loan.{f.id}.left"] = left
            book.cells[f"{case}.loan.{f.id}.flag"] = flags[case]
            book.add_row(f"{case}.loan.{f.id}.in", rows["in"], series(w.loan_in))
            book.add_row(f"{case}.loan.{f.id}.service", rows["service"],
                         series(w.debt_service))
        sh.skip()

    # ---- format 1.2: a loan's schedule, interest and principal (issue 15) -----------------
    def loan_schedule(self, f: Loan, rate: Cell, loan_in: Row, service: Row,
                      detail: LoanWorkings) -> Row:
        """The rows behind ``lines.loans.<id>`` as a corkscrew: interest (last year's balance ×
        rate), principal (payment less interest) and the balance (last year's + money drawn -
        principal); returns the balance row."""
        sh = self.sh
        balance_at = Row(sh.name, sh.r + 2, sh.tl)  # written two rows below, read a year back
        interest = sh.series(LOAN_LABELS["interest"], self.cur,
                             lambda x: "=" + finance.loan_interest_formula(x.prev(balance_at),
                                                                           x.c(rate)),
                             series(detail.interest), total=True)
        principal = sh.series(LOAN_LABELS["principal"], self.cur,
                              lambda x: "=" + finance.loan_principal_formula(x(service),
                                                                             x(interest)),
                              series(detail.principal), total=True)
        balance = sh.corkscrew(LOAN_LABELS["balance"], self.cur,
                               lambda x, previous: "=" + finance.loan_balance_formula(
                                   previous, x(loan_in), x(principal), TOL),
                               series(detail.balance))
        assert balance.row == balance_at.row
        # for the Checks sheet: money drawn = principal repaid + the balance at the end
        self.book.add_row(f"loan.{f.id}.principal", principal, series(detail.principal))
        self.book.add_cell(f"loan.{f.id}.balance_end", balance.cell(self.Y - 1),
                           float(detail.balance[0, -1]))
        return balance

    def outcome(self, f: OutcomePayment) -> None:
        sh, book = self.sh, self.book
        prefix = f"funding.{f.id}"
        sh.item(f.label, f"outcome payment for {f.benefit}; {f.status}")
        flags = self.flags(f)
        detail = self.source(f).detail
        assert isinstance(detail, OutcomeWorkings)
        pf = recipes.price(sh, prefix, self.all_columns(detail.price_factor), span="all")
        net_q = book.rows[f"benefit.{f.benefit}.net_quantity"]
        counted = recipes.shifted(sh, "outcomes paid for (net quantity, lag years earlier)",
                                  "units", net_q, book.inputs[f"{prefix}.lag"], "",
                                  detail.counted, kind="quantity")
        price = book.inputs[f"{prefix}.price"]
        due = sh.series("due: price × price factor × outcomes", self.cur,
                        times(price, pf, counted), self.all_columns(detail.due), span="all")
        cap_cell = book.inputs.get(f"{prefix}.cap")

        def cumulative(x: At, previous: str) -> str:
            return "=" + finance.capped_running_total_formula(
                previous, x(due), x.c(cap_cell) if cap_cell is not None else None)

        cum = sh.corkscrew(f"cumulative due{' (capped)' if cap_cell else ''}", self.cur,
                           cumulative, self.all_columns(detail.cumulative), span="all")
        paid = sh.series("paid if awarded", self.cur,
                         lambda x: "=" + finance.increase_formula(x(cum), x.prev(cum)),
                         self.all_columns(self.source(f).gross), span="all", total=True)
        self.cash_rows(f, dict.fromkeys(CASES, (paid,)), flags, span="all")
        sh.skip()

    # ------------------------------------------------------------------ totals
    def totals(self) -> None:
        sh, book = self.sh, self.book
        s = book.scenario
        funding_ids = [f.id for f in s.funding
                       if isinstance(f, InKind | Contribution | Grant | OutcomePayment)]
        revenue_ids = [f.id for f in s.funding if isinstance(f, Revenue)]
        later_ids = [f.id for f in s.funding if isinstance(f, Grant | OutcomePayment)]
        loan_ids = [f.id for f in s.funding if isinstance(f, Loan)]
        for case in CASES:
            sh.band(f"Totals, {CASE_LABEL[case]}")
            cash, loans, flows = self.cash[case], self.loans[case], self.flows[case]

            def add(key: str, label: str, rows: list[Row], values: Any,
                    case: str = case) -> None:
                row = sh.series(f"{label}, {CASE_LABEL[case]}", self.cur, total(rows),
                                series(values), role="total", total=True)
                book.add_row(f"{case}.{key}", row, series(values))

            add("funding", "Funding (excl. revenue and loans)", [cash[i] for i in funding_ids],
                flows.funding)
            add("revenue", "Revenue", [cash[i] for i in revenue_ids], flows.revenue)
            add("loan_in", "Loans in", [loans[i]["in"] for i in loan_ids], flows.loan_in)
            add("debt_service", "Debt service", [loans[i]["service"] for i in loan_ids],
                flows.debt_service)
            if book.timeline.after:
                assert flows.due_after is not None
                after = series(flows.due_after)
                row = sh.series(f"Due after the horizon, {CASE_LABEL[case]}", self.cur,
                                total([cash[i] for i in later_ids]), after, span="after",
                                role="total", total=True)
                book.add_row(f"{case}.after", row, after)
            parts = [f"{book.cells[f'{case}.loan.{i}.left'].ref(NAME)}*"
                     f"{book.cells[f'{case}.loan.{i}.flag'].ref(NAME)}" for i in loan_ids]
            debt = scalar(flows.debt_outstanding)
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


def build(book: Book, costs: list[Line]) -> None:
    FundingSheet(book, costs).build()
