"""Cash flow: the ledger rows, discount factors, and every metric of the spec as a formula.

PV discounts year t by (1 + rate)^t: the first year is not discounted, so a PV is written
``first + NPV(rate, rest)`` (Excel's NPV discounts its first value). In nominal prices the rates
are made nominal, (1 + r)(1 + i) - 1, and IRR/MIRR converted back to real terms.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labfinance.engine import decision, finance
from labfinance.engine.catalogue import BY_NAME
from labfinance.model.scenario import Loan
from labfinance.outputs.excel import layout as L
from labfinance.outputs.excel import sheet_assumptions as assumptions
from labfinance.outputs.excel import sheet_risks
from labfinance.outputs.excel.book import NA, TOL, Book, scalar, series, value_or_na
from labfinance.outputs.excel.cells import (
    Cell,
    Formula,
    Row,
    TimelineSheet,
    col_name,
    present_value,
    times,
)

NAME = "Cash flow"
# labels of declining social rates (format 1.2), together for the catalogue of visible texts
STEP_RATE_LABEL = "social discount rate of the year (its step's rate)"
FIRST_STEP_LABEL = "social discount rate of the case, first step"
DECLINING_FACTOR_LABEL = "discount factor, social: D_t = D_(t-1) / (1 + r_t)"


def _factor(rate: Cell) -> Formula:
    return lambda x: "=" + finance.discount_factor_formula(x.c(rate), x.tt)


def _year_if_below(source: Row) -> Formula:
    return lambda x: "=" + finance.year_if_below_formula(x.year, x(source), TOL)


class CashFlowSheet:
    def __init__(self, book: Book):
        self.book = book
        s = book.scenario
        self.cur = s.currency
        self.nominal = s.prices == "nominal"
        self.sh = TimelineSheet(book, NAME, f"{self.cur}; costs positive, money in positive. "
                                "Sources = uses each year; metrics at the bottom.")
        self.Y = book.timeline.horizon

    def link(self, label: str, key: str, *, role: str = "link") -> Row:
        source = self.book.rows[key]
        values = self.book.values[key]
        row = self.sh.series(label, self.cur, lambda x: f"={x(source)}", values, role=role,
                             total=True)
        self.book.add_row(f"cf.{key}", row, values)
        return row

    def pv(self, row: Row, rate: Cell) -> str:
        return present_value(row, rate.ref(NAME), NAME)

    def metric(self, name: str, label: str, unit: str, formula: str | None, value: Any,
               kind: str, note: str = "") -> Cell:
        """A metric cell: a formula (cached with the engine's value), or where the spec asks for
        it a labelled value; given a defined name for scripts."""
        sh = self.sh
        note = note or self.book.results.notes.get(name, "")
        if formula is None:
            cell = sh.fixed(label, unit, value, kind=kind, note=note)
        else:
            cell = sh.constant(label, unit, formula, value, kind=kind, role="key", note=note)
        self.book.add_cell(f"metric.{name}", cell, value)
        self.book.names[name] = cell
        return cell

    # ------------------------------------------------------------------ rows
    def rates(self) -> tuple[Cell, Cell]:
        sh, book = self.sh, self.book
        inputs = book.inputs
        sh.band("Discount rates and factors")
        a = book.workings.appraisal
        cells = {}
        rates = {"financial": a.financial_rate, "social": a.social_rate}
        factors = {"financial": a.financial_factors, "social": a.social_factors}
        for label, path in (("financial", "discount_rate"), ("social", "social_discount_rate")):
            rate = inputs[path].ref(NAME)
            formula = (f"=(1+{rate})*(1+{inputs['inflation'].ref(NAME)})-1" if self.nominal
                       else f"={rate}")
            cells[label] = sh.constant(f"{label} discount rate of the case"
                                       + (" (nominal)" if self.nominal else " (real)"), "%/yr",
                                       formula, scalar(rates[label]), kind="percent")
        self.factors = {
            label: sh.series(f"discount factor, {label} (1 in the first year)", "factor",
                             _factor(cell), series(factors[label]), kind="factor")
            for label, cell in cells.items()}
        return cells["financial"], cells["social"]

    # ------------------------------------------------------------------ declining social rates
    def declining_rates(self) -> tuple[Cell, Cell]:
        """Rates and factors where the social rate declines in steps (format 1.2): the
        financial rate as ever; each year's social rate looked up among the steps of the
        Assumptions sheet; D_t = D_(t-1) / (1 + r_t). The first step's rate is the cell EIRR
        starts its search from."""
        sh, book = self.sh, self.book
        inputs = book.inputs
        a = book.workings.appraisal
        assert a.social_rate_by_year is not None
        sh.band("Discount rates and factors")
        inflation = inputs["inflation"].ref(NAME)
        suffix = " (nominal)" if self.nominal else " (real)"

        def case(rate: str) -> str:
            return f"(1+{rate})*(1+{inflation})-1" if self.nominal else rate

        rate = inputs["discount_rate"].ref(NAME)
        fin = sh.constant("financial discount rate of the case" + suffix, "%/yr",
                          "=" + case(rate), scalar(a.financial_rate), kind="percent")
        first_step = inputs["social_discount_rate.0.rate"].ref(NAME)
        soc = sh.constant(FIRST_STEP_LABEL + suffix, "%/yr", "=" + case(first_step),
                          scalar(a.social_rate), kind="percent")
        starts = assumptions.column_range(assumptions.VALUE_COL,
                                          *book.schedules["social_discount_rate.from"])
        rates = assumptions.column_range(assumptions.VALUE_COL,
                                         *book.schedules["social_discount_rate.rate"])
        by_year = sh.series(STEP_RATE_LABEL + suffix, "%/yr",
                            lambda x: "=" + case(finance.step_rate_formula(x.tt, starts, rates)),
                            series(a.social_rate_by_year), kind="percent")
        self.factors = {
            "financial": sh.series("discount factor, financial (1 in the first year)", "factor",
                                   _factor(fin), series(a.financial_factors), kind="factor"),
            "social": sh.corkscrew(
                DECLINING_FACTOR_LABEL, "factor",
                lambda x, previous: "=" + finance.declining_discount_factor_formula(
                    x.tt, previous, x(by_year)),
                series(a.social_factors), kind="factor")}
        return fin, soc

    def social_pv(self, row: Row) -> str:
        """A present value at the social rate: with declining rates the sum of the row times
        the factor row, else ``first + NPV(rate, rest)``."""
        return social_present_value(self.book, row, NAME)

    def ledger(self) -> dict[str, Row]:
        sh, book = self.sh, self.book
        r = book.results
        rows: dict[str, Row] = {}
        sh.band("Cash flow, all sources (ledger)")
        rows["costs"] = self.link("costs", "costs.total")
        for key, label in (("funding", "funding (grants, contributions, in-kind, outcome "
                                       "payments)"),
                           ("revenue", "revenue"), ("loan_in", "loans in"),
                           ("debt_service", "debt service")):
            rows[key] = self.link(label, f"all.{key}")
        rows["net_cash"] = sh.series(
            "net cash = funding + revenue + loans in - debt service - costs", self.cur,
            lambda x: (f"={x(rows['funding'])}+{x(rows['revenue'])}+{x(rows['loan_in'])}"
                       f"-{x(rows['debt_service'])}-{x(rows['costs'])}"),
            series(r.ledger["net_cash"]), role="line", total=True)
        rows["cumulative_cash"] = sh.cumulative(
            "cumulative cash (corkscrew)", self.cur, rows["net_cash"],
            series(r.ledger["cumulative_cash"]), role="line")
        rows["benefits"] = self.link("benefits (net, all beneficiaries)", "benefits.total")
        rows["cash_releasing_benefits"] = self.link("cash-releasing benefits",
                                                    "benefits.cash_releasing")
        rows["residual_value"] = self.link("residual value (not cash)", "costs.residual")
        for key in ("net_cash", "cumulative_cash"):
            book.add_row(f"cf.{key}", rows[key], series(r.ledger[key]))

        sh.band("Cash flow, committed sources only (secured)")
        for key, label in (("funding", "funding"), ("revenue", "revenue"),
                           ("loan_in", "loans in"), ("debt_service", "debt service")):
            rows[f"c.{key}"] = self.link(f"{label}, committed only", f"committed.{key}")
        secured = book.workings.secured
        net = series(secured.net_cash)
        rows["c.net_cash"] = sh.series(
            "net cash, committed only", self.cur,
            lambda x: (f"={x(rows['c.funding'])}+{x(rows['c.revenue'])}+{x(rows['c.loan_in'])}"
                       f"-{x(rows['c.debt_service'])}-{x(rows['costs'])}"), net, total=True)
        rows["c.cumulative_cash"] = sh.cumulative(
            "cumulative cash, committed only", self.cur, rows["c.net_cash"],
            series(secured.cumulative_cash))
        book.add_row("cf.c.net_cash", rows["c.net_cash"], net)
        book.add_row("cf.c.cumulative_cash", rows["c.cumulative_cash"],
                     series(secured.cumulative_cash))
        return rows

    def appraisal(self, rows: dict[str, Row]) -> dict[str, Row]:
        sh, book = self.sh, self.book
        a = book.workings.appraisal
        out: dict[str, Row] = {}
        sh.band("Appraisal flows (financing and transfers left out)")

        def zeroed(p: str, q: str, c: str) -> Formula:
            return lambda x: "=" + finance.zero_small_formula(
                f"{x(rows[p])}+{x(rows[q])}-{x(rows[c])}", TOL)

        out["financial"] = sh.series(
            "financial flows: revenue + residual - costs (|x|<0.005 is 0)",
            self.cur, zeroed("revenue", "residual_value", "costs"), series(a.financial_flows),
            total=True)
        out["economic"] = sh.series(
            "economic flows: benefits + residual - costs (|x|<0.005 is 0)",
            self.cur, zeroed("benefits", "residual_value", "costs"), series(a.economic_flows),
            total=True)
        out["net"] = sh.series("net benefit: benefits - costs (for payback)", self.cur,
                               lambda x: f"={x(rows['benefits'])}-{x(rows['costs'])}",
                               series(a.net_benefit), total=True)
        out["cum_net"] = sh.cumulative("cumulative net benefit", self.cur, out["net"],
                                       series(a.cumulative_net_benefit))
        out["disc_net"] = sh.series("discounted net benefit (social rate)", self.cur,
                                    times(out["net"], self.factors["social"]),
                                    series(a.discounted_net_benefit), total=True)
        out["cum_disc"] = sh.cumulative("cumulative discounted net benefit", self.cur,
                                        out["disc_net"],
                                        series(a.cumulative_discounted_net_benefit))
        sh.band("Year flags (the year where the condition holds, else 0)")
        for key, source, label, values in (
                ("short_year", rows["cumulative_cash"], "cumulative cash below zero",
                 a.shortfall_years),
                ("below_year", out["cum_net"], "cumulative net benefit below zero",
                 a.below_years),
                ("below_disc_year", out["cum_disc"],
                 "cumulative discounted net benefit below zero", a.below_discounted_years)):
            out[key] = sh.series(f"year if {label}", "year", _year_if_below(source),
                                 series(values), kind="year")
        return out

    # ------------------------------------------------------------------ metrics
    def metrics(self, rows: dict[str, Row], flows: dict[str, Row], fin: Cell, soc: Cell) -> None:
        sh, book = self.sh, self.book
        s = book.scenario
        cur, m = self.cur, book.metric
        here = NAME

        def rng(row: Row) -> str:
            return row.range(here)

        def last(row: Row) -> str:
            return row.cell(self.Y - 1).ref(here)

        sh.band("Funding-gap rate workings (EU method, Reg. 480/2014; contingency excluded)")
        a = book.workings.appraisal
        pvs = {}
        for key, label, source, value in (
                ("dic", "DIC: PV of investment cost", book.rows["costs.investment"], a.dic),
                ("rev", "PV of revenue", rows["revenue"], a.pv_revenue),
                ("other", "PV of other costs (repurchases included)", book.rows["costs.other"],
                 a.pv_other_costs),
                ("res", "PV of residual value", rows["residual_value"], a.pv_residual)):
            pvs[key] = sh.constant(label, cur, "=" + self.pv(source, fin), scalar(value))
        ref = {k: c.ref(here) for k, c in pvs.items()}
        dnr = sh.constant("DNR: PV revenue - PV other costs (+ PV residual, art. 18)", cur,
                          "=" + finance.discounted_net_revenue_formula(ref["rev"], ref["other"],
                                                                       ref["res"]),
                          scalar(a.dnr))

        sh.band("Present values at the social rate")
        pv_costs = sh.constant("PV of costs", cur, "=" + self.social_pv(rows["costs"]),
                               scalar(a.pv_costs))
        pv_gains = sh.constant("PV of benefits and residual value", cur,
                               f"={self.social_pv(rows['benefits'])}+"
                               f"{self.social_pv(rows['residual_value'])}", scalar(a.pv_gains))

        sh.band("Metrics")
        after = book.rows.get("all.after")
        c_after = book.rows.get("committed.after")
        raw = {}
        w = book.workings
        for case, row, cash in (("all", after, w.planned), ("committed", c_after, w.secured)):
            raw[case] = sh.constant(f"money due after the horizon, unrounded ({case})", cur,
                                    f"=SUM({row.range(here, 'after')})" if row is not None
                                    else "=0", scalar(cash.flows.receivable))
        self.metric("total_cost", "Total cost", cur, f"=SUM({rng(rows['costs'])})",
                    m("total_cost"), "money")
        self.metric("expected_risk_cost", sheet_risks.RISK_TOTAL, cur,
                    sheet_risks.metric_formula(book, here), m("expected_risk_cost"), "money")
        self.metric("total_funding", "Total funding (revenue and in-kind included, loans not)",
                    cur, f"=SUM({rng(rows['funding'])})+SUM({rng(rows['revenue'])})",
                    m("total_funding"), "money")
        recv = raw["all"].ref(here)
        self.metric("receivable_after_horizon", "Money due after the horizon", cur,
                    "=" + finance.zero_small_formula(recv, TOL), m("receivable_after_horizon"),
                    "money")
        debt = book.cells["all.debt"].ref(here)
        self.metric("debt_outstanding", "Loan principal outstanding at the end", cur,
                    "=" + finance.zero_small_formula(debt, TOL), m("debt_outstanding"), "money")
        for name, label, cum, case in (
                ("funding_shortfall", "Funding shortfall", rows["cumulative_cash"], "all"),
                ("secured_funding_shortfall", "Funding shortfall, committed sources only",
                 rows["c.cumulative_cash"], "committed")):
            formula = finance.shortfall_formula(last(cum), raw[case].ref(here),
                                                book.cells[f"{case}.debt"].ref(here), TOL)
            self.metric(name, label, cur, "=" + formula, m(name), "money")
        low = f"-MIN({rng(rows['cumulative_cash'])})"
        self.metric("peak_cash_need", "Peak cash need (bridge finance)", cur,
                    f"=IF({low}<{TOL},0,{low})", m("peak_cash_need"), "money")
        short = rng(flows["short_year"])
        self.metric("first_shortfall_year", "First year cumulative cash is below zero", "year",
                    f'=IF(MAX({short})=0,"{NA}",SMALL({short},COUNTIF({short},0)+1))',
                    value_or_na(m("first_shortfall_year")), "year")
        self.metric("financial_npv", "Financial NPV, FNPV(C)", cur,
                    "=" + self.pv(flows["financial"], fin), m("financial_npv"), "money")
        self.irr("financial_irr", "Financial IRR, FRR(C) (real)", flows["financial"], fin)
        self.mirr(flows["financial"], fin)
        if book.values["has_capex"]:
            d, n = pvs["dic"].ref(here), dnr.ref(here)
            gap_formula: str | None = "=" + finance.funding_gap_rate_formula(d, n, TOL, NA)
        else:
            gap_formula = None
        self.metric("funding_gap_rate", "Funding-gap rate (EU method)", "share", gap_formula,
                    value_or_na(m("funding_gap_rate")), "percent")
        self.eu_decision(pvs["dic"], dnr, book.cells["metric.funding_gap_rate"])
        self.metric("economic_npv", "Economic NPV, ENPV", cur,
                    "=" + self.social_pv(flows["economic"]),
                    m("economic_npv"), "money")
        self.irr("economic_irr", "Economic IRR, EIRR (real)", flows["economic"], soc)
        c, g = pv_costs.ref(here), pv_gains.ref(here)
        self.metric("bcr", "Benefit-cost ratio, BCR", "ratio",
                    "=" + finance.benefit_cost_ratio_formula(g, c, TOL, NA),
                    value_or_na(m("bcr")), "ratio")
        for name, label, cum, flag in (
                ("payback_year", "Payback year", flows["cum_net"], flows["below_year"]),
                ("discounted_payback_year", "Discounted payback year (social rate)",
                 flows["cum_disc"], flows["below_disc_year"])):
            f_ = rng(flag)
            self.metric(name, label, "year",
                        f'=IF({last(cum)}<-{TOL},"{NA}",IF(MAX({f_})=0,{s.start_year},'
                        f"MAX({f_})+1))", value_or_na(m(name)), "year")

    # ---- format 1.2 (issue 15): DIC, DNR and the EU decision amount -----------------------
    def eu_decision(self, dic: Cell, dnr: Cell, gap: Cell) -> None:
        """DIC and DNR as metrics; where the file gives ``eu_cofinancing_rate``, the eligible
        cost, decision amount and maximum EU grant beside the funding-gap rate."""
        book, cur, here = self.book, self.cur, NAME
        m = book.metric
        for name, cell in (("dic", dic), ("dnr", dnr)):
            self.metric(name, BY_NAME[name].label, cur, f"={cell.ref(here)}", m(name), "money")
        if book.scenario.eu_cofinancing_rate is None:
            return
        eligible = self.metric("eligible_cost", BY_NAME["eligible_cost"].label, cur,
                               "=" + finance.eligible_cost_formula(
                                   book.rows["costs.investment"].range(here)),
                               m("eligible_cost"), "money")
        decided = self.metric("decision_amount", BY_NAME["decision_amount"].label, cur,
                              "=" + finance.decision_amount_formula(
                                  eligible.ref(here), gap.ref(here), NA),
                              value_or_na(m("decision_amount")), "money")
        self.metric("max_eu_grant", BY_NAME["max_eu_grant"].label, cur,
                    "=" + finance.max_eu_grant_formula(
                        decided.ref(here), book.inputs["eu_cofinancing_rate"].ref(here), NA),
                    value_or_na(m("max_eu_grant")), "money")

    def decision(self, rows: dict[str, Row]) -> None:
        """The decision view: the new money each year that keeps cash at or above zero (the
        top-up, planned and committed only), and the metrics of the yearly gap."""
        sh, book = self.sh, self.book
        s, r = book.scenario, book.results
        cur, m, here = self.cur, book.metric, NAME
        pre = col_name(L.PRE_COL)
        sh.band("New money needed: the top-up that keeps cumulative cash at or above zero")
        tops: dict[str, Row] = {}
        for key, label, cum in (
                ("top_up", "top-up, all sources (new money in the year)", rows["cumulative_cash"]),
                ("secured_top_up", "top-up, committed sources only", rows["c.cumulative_cash"])):
            me = sh.r + 1  # the spreadsheet row being written: the earlier top-ups are on it

            def top_formula(x: Any, previous: str, cum: Row = cum, me: int = me) -> str:
                return "=" + decision.top_up_formula(x(cum), f"SUM(${pre}${me}:{previous})", TOL)

            tops[key] = sh.corkscrew(label, cur, top_formula, series(r.ledger[key]), total=True,
                                     role="line" if key == "top_up" else "calc")
            book.add_row(f"cf.{key}", tops[key], series(r.ledger[key]))
        if "top_up_nominal" in r.ledger:
            inflation = book.inputs["inflation"]
            for key in ("top_up", "secured_top_up"):
                def of_the_day(x: Any, key: str = key) -> str:
                    return f"={x(tops[key])}*(1+{x.c(inflation)})^{x.tt}"

                row = sh.series(f"{key.replace('_', '-')} in cash of the day (× inflation)", cur,
                                of_the_day, series(r.ledger[f"{key}_nominal"]), total=True)
                book.add_row(f"cf.{key}_nominal", row, series(r.ledger[f"{key}_nominal"]))
        secured = book.workings.secured
        flags = sh.series("year if cumulative cash, committed only, is below zero", "year",
                          _year_if_below(rows["c.cumulative_cash"]),
                          finance.year_if_below(book.years, series(secured.cumulative_cash)),
                          kind="year")
        secured_peak = finance.horizon_total(series(r.ledger["secured_top_up"]))
        peak = sh.constant("peak cash need, committed sources only (sum of its top-ups)", cur,
                           f"=SUM({tops['secured_top_up'].range(here)})", secured_peak)
        book.add_cell("secured_peak_cash_need", peak, secured_peak)

        flag_range = flags.range(here)
        year = self.metric("secured_first_shortfall_year",
                           "First year cumulative cash is below zero, committed sources only",
                           "year", f'=IF(MAX({flag_range})=0,"{NA}",SMALL({flag_range},'
                           f'COUNTIF({flag_range},0)+1))',
                           value_or_na(m("secured_first_shortfall_year")), "year")
        last_year = f"${col_name(book.timeline.col(self.Y - 1))}${L.YEAR_ROW + 1}"
        for name, label, short, first in (
                ("shortfall_per_year", "Shortfall per year, from the first year short of cash",
                 "funding_shortfall", book.cells["metric.first_shortfall_year"]),
                ("secured_shortfall_per_year", "Shortfall per year, committed sources only",
                 "secured_funding_shortfall", year)):
            self.metric(name, label, cur, "=" + decision.per_year_formula(
                book.cells[f"metric.{short}"].ref(here), first.ref(here), last_year, NA),
                value_or_na(m(name)), "money")
        self.metric("bridge_finance", "Bridge finance: peak cash need less the shortfall", cur,
                    "=" + decision.bridge_finance_formula(
                        book.cells["metric.peak_cash_need"].ref(here),
                        book.cells["metric.funding_shortfall"].ref(here), TOL),
                    m("bridge_finance"), "money")
        at_risk = [book.rows[f"all.source.{f.id}"].range(here) for f in s.funding
                   if not f.committed and not isinstance(f, Loan)]
        self.metric("funding_at_risk", "Funding not yet committed (all sources case)", cur,
                    "=" + ("+".join(f"SUM({x})" for x in at_risk) if at_risk else "0"),
                    m("funding_at_risk"), "money")

    def real(self, formula: str) -> str:
        """A nominal rate formula made real (Fisher) in nominal prices."""
        if not self.nominal:
            return formula
        return f"(1+{formula})/(1+{self.book.inputs['inflation'].ref(NAME)})-1"

    def irr(self, name: str, label: str, flows: Row, rate: Cell) -> None:
        r = self.book.results
        value = self.book.metric(name)
        if name in r.irr_roots:
            roots = ", ".join(f"{x:.4%}" for x in r.irr_roots[name])
            self.metric(name, label, "%/yr", None, value, "percent",
                        note=f"value: several roots ({roots}); the one nearest the discount rate")
            return
        if not np.isfinite(value):
            self.metric(name, label, "%/yr", None, NA, "percent")
            return
        # LibreOffice's IRR iterates from its guess and gives up after 20 steps, so a root far
        # from the discount rate needs a second start: the engine's root, not rounded, since
        # near -100 % the NPV is so steep that a start 0.5 points off (-98 % for -98.46 %) fails.
        inflation = self.book.scenario.inflation if self.nominal else 0.0
        start = (1 + value) * (1 + inflation) - 1
        guess = self.sh.fixed(f"second search start for {name}", "%/yr", start,
                              kind="percent", note="used where IRR from the discount rate "
                              "does not converge (structural)")
        # The search from the discount rate may also land on a root below -100 %, which is no
        # IRR (the flows' polynomial in 1/(1 + r) has a negative root): then the second start.
        flows_range = flows.range(NAME)
        first = f"IRR({flows_range},{rate.ref(NAME)})"
        second = f"IRR({flows_range},{guess.ref(NAME)})"
        formula = f"IFERROR(IF({first}>-1,{first},{second}),{second})"
        cell = self.metric(name, label, "%/yr", "=" + self.real(formula), value, "percent")
        self.book.cells[f"irr_formula.{name}"] = cell
        self.book.rows[f"irr_flows.{name}"] = flows
        self.book.cells[f"irr_rate.{name}"] = rate

    def mirr(self, flows: Row, rate: Cell) -> None:
        value = value_or_na(self.book.metric("financial_mirr"))
        rr = rate.ref(NAME)
        formula = "=IFERROR(" + self.real(f"MIRR({flows.range(NAME)},{rr},{rr})") + f',"{NA}")'
        self.metric("financial_mirr", "Financial MIRR (real; at the discount rate)", "%/yr",
                    formula, value, "percent")

    def build(self) -> None:
        declining = self.book.scenario.social_discount_steps is not None
        fin, soc = self.declining_rates() if declining else self.rates()
        self.book.rows["factor.social"] = self.factors["social"]
        self.book.cells["rate.social"] = soc
        rows = self.ledger()
        flows = self.appraisal(rows)
        self.metrics(rows, flows, fin, soc)
        self.decision(rows)
        self.book.cells["rate.financial"] = fin
        self.book.cells["rate.social"] = soc
        self.book.rows["factor.financial"] = self.factors["financial"]
        self.book.rows["factor.social"] = self.factors["social"]


def social_present_value(book: Book, row: Row, here: str) -> str:
    """A present value at the social rate on sheet ``here``: ``first + NPV(rate, rest)``, or
    with declining rates (format 1.2) the row times the Cash flow sheet's factor row."""
    if book.scenario.social_discount_steps is None:
        return present_value(row, book.cells["rate.social"].ref(here), here)
    return finance.sum_of_products_formula(row.range(here),
                                           book.rows["factor.social"].range(here))


def build(book: Book) -> None:
    CashFlowSheet(book).build()
