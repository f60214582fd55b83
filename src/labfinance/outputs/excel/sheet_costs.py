"""Costs: one block per cost item (timing, amount, price factor, contingency), the implied cost
lines of in-kind amounts, residual values, and the totals the cash flow and funding-gap rate use.

Cost in year t = amount × timing × price factor × (1 + contingency). Residual value: each purchase
still in service after the last year is worth amount × price factor of the last year × share of
its life left, counted in the last year, without contingency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labfinance.engine import finance
from labfinance.model.scenario import Cost, InKind
from labfinance.outputs.excel import recipes, sheet_risks
from labfinance.outputs.excel.book import Book, series
from labfinance.outputs.excel.cells import At, Row, Term, TimelineSheet, times

NAME = "Costs"


@dataclass
class Line:
    id: str
    category: str
    cost: Row
    before: Row
    repurchases: Row | None = None
    residual: Row | None = None


def _contingency(book: Book, c: Cost):
    s = book.scenario
    if c.contingency is not None:
        return book.inputs[f"costs.{c.id}.contingency"]
    if isinstance(s.contingency, dict):
        return book.inputs[f"contingency.{c.category}"]
    return book.inputs["contingency"]


def _cost(sh: TimelineSheet, c: Cost) -> Line:
    book = sh.book
    w = book.workings.cost(c.id)
    cur = book.scenario.currency
    prefix = f"costs.{c.id}"
    sh.item(c.label, c.category)
    timing = recipes.flag(sh, prefix, c, w.timing, life=c.fte is None and c.life is not None)
    amount = recipes.base(sh, prefix, c, timing, w.base,
                          amount_key=("fte" if c.fte is not None
                                      else "quantity" if c.quantity is not None else "amount"))
    pf = recipes.price(sh, prefix, w.price_factor)
    before = sh.series("before contingency", cur, times(amount, pf),
                       series(w.before_contingency))
    cont = _contingency(book, c)
    cost = sh.series(c.label, cur, lambda x: f"={x(before)}*(1+{x.c(cont)})", series(w.cost),
                     role="line", total=True)
    line = Line(c.id, c.category, cost, before)
    if c.category == "capex" and c.year is not None and c.life is not None:
        year = book.inputs[f"{prefix}.year"]
        line.repurchases = sh.series(
            "repurchases before contingency (not investment cost)", cur,
            lambda x: f"={x(before)}*({x.year}<>{x.c(year)})", series(w.repurchases))
    if c.has_residual_value:
        assert w.life_left is not None and w.residual_row is not None
        life = book.inputs[f"{prefix}.life"]
        last = book.cells["last_year"]
        left = sh.series("share of its life left after the horizon", "share",
                         lambda x: "=" + finance.life_left_formula(x.year, x.c(life), x.c(last)),
                         w.life_left, kind="factor")

        def value(x: At) -> str:
            return (f"=({x.year}={x.c(last)})*SUMPRODUCT({amount.range(NAME)},"
                    f"{left.range(NAME)})*{x(pf)}")

        line.residual = sh.series("residual value (in the last year)", cur, value,
                                  series(w.residual_row))
    sh.skip()
    return line


def _implied(sh: TimelineSheet, f: InKind) -> Line:
    """The cost line an in-kind amount adds (no contingency); it exists while the source's
    probability is above 0."""
    book = sh.book
    prefix = f"funding.{f.id}"
    category = f.category or "other"
    sh.item(f"{f.label} (in kind)", category)
    w = book.workings
    line = next(ln for ln in w.costs + w.left_out if ln.implied_by == f.id)
    timing = recipes.flag(sh, prefix, f, line.timing)
    amount = recipes.base(sh, prefix, f, timing, line.base)
    pf = recipes.price(sh, prefix, line.price_factor)
    prob = book.inputs[f"{prefix}.probability"]
    # at probability 0 the line is not in the ledger: the engine's cost is 0
    cost_values = line.cost if line in w.costs else np.zeros((1, book.timeline.horizon))
    cost = sh.series(f"{f.label} (in kind)", book.scenario.currency,
                     lambda x: f"={x(amount)}*{x(pf)}*({x.c(prob)}>0)", series(cost_values),
                     role="line", total=True)
    sh.skip()
    return Line(f.id, category, cost, cost)


def build(book: Book) -> list[Line]:
    s, r = book.scenario, book.results
    a = book.workings.appraisal
    cur = s.currency
    sh = TimelineSheet(book, NAME, f"{cur} in prices of each year ({s.prices} prices, base "
                       f"{s.start_year}); costs are positive. One formula per row, copied "
                       "across the years.")
    sh.band("Cost items")
    lines = [_cost(sh, c) for c in s.costs]
    implied = [f for f in s.funding if isinstance(f, InKind) and f.covers is None]
    if implied:
        sh.band("Cost lines added by in-kind amounts (no contingency)")
        lines += [_implied(sh, f) for f in implied]

    risk_rows = sheet_risks.cost_rows(sh, recipes.price)  # format 1.2: the risk register

    sh.band("Totals")
    if risk_rows:
        sheet_risks.register_total(sh, risk_rows)
    costs = sh.series("Total costs", cur,
                      sh.sum_of("Total costs", cur,
                                [ln.cost for ln in lines] + [row for _, _, row in risk_rows]),
                      series(r.ledger["costs"]), role="total", total=True)
    book.add_row("costs.total", costs, series(r.ledger["costs"]))
    residual_rows = [ln.residual for ln in lines if ln.residual is not None]
    residual = sh.series("Residual value (not cash)", cur,
                         sh.sum_of("Residual value", cur, residual_rows),
                         series(r.ledger["residual_value"]), role="total", total=True)
    book.add_row("costs.residual", residual, series(r.ledger["residual_value"]))

    sh.band("For the EU funding-gap rate (contingency excluded)")
    capex = [ln for ln in lines if ln.category == "capex"]

    def first_purchases(ln: Line) -> Term:
        if ln.repurchases is None:
            return (lambda x: x(ln.before), book.values_of(ln.before))
        repurchases = ln.repurchases
        return (lambda x: f"({x(ln.before)}-{x(repurchases)})",
                book.values_of(ln.before) - book.values_of(repurchases))

    parts = sh.in_parts("Investment cost", cur, [first_purchases(ln) for ln in capex])

    def investment(x: At) -> str:
        return "=" + "+".join(term(x) for term, _ in parts) if parts else "=0"

    inv = sh.series("Investment cost: capex before contingency, first purchases", cur,
                    investment, series(a.investment), total=True)
    before = sh.series("All costs before contingency", cur,
                       sh.sum_of("All costs before contingency", cur, [ln.before for ln in lines]),
                       series(a.before_contingency), total=True)
    other = sh.series("Other costs before contingency (repurchases included)", cur,
                      lambda x: f"={x(before)}-{x(inv)}", series(a.other_costs), total=True)
    book.add_row("costs.investment", inv, series(a.investment))
    book.add_row("costs.other", other, series(a.other_costs))
    book.values["has_capex"] = bool(capex)
    return lines
